// tokenlimit: renders and checks TokenRateLimitPolicy manifests for the tokenlimit
// Proxy-Wasm filter. Argument parsing and I/O only; the commands are in ./commands.ts.
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { FORMATS, type Format, type Output, type RenderOptions, render, validate } from "./commands.ts";
import { imageCommand } from "./image/command.ts";
import { FAIL_STRATEGIES, ISTIO_PHASES } from "./policy/render.ts";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

/** Reads a file, or standard input for `-`; a failure becomes the message to print. */
function read(file: string): { bytes: Buffer } | { error: string } {
  try {
    return { bytes: readFileSync(file === "-" ? 0 : file) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory"
      : code === "EACCES" ? "permission denied" : (e as Error).message;
    return { error: `${file}: cannot read: ${why}` };
  }
}

function emit(out: Output): void {
  process.stdout.write(out.stdout);
  process.stderr.write(out.stderr);
  process.exitCode = out.code;
}

const program = new Command()
  .name("tokenlimit")
  .description("Render and check TokenRateLimitPolicy manifests for the tokenlimit Envoy/Istio filter.")
  .version(version)
  .showHelpAfterError("(tokenlimit --help for usage)")
  .addHelpText("after", `
Examples:
  tokenlimit validate policy.yaml --wasm build/tokenlimit.wasm
  tokenlimit render policy.yaml > plugin-config.json
  tokenlimit render policy.yaml --format envoy --wasm-url /etc/envoy/tokenlimit.wasm
  tokenlimit render policy.yaml --format istio --wasm-url oci://ghcr.io/acme/tokenlimit:0.1.0 | kubectl apply -f -
  kubectl get tokenratelimitpolicy llm-budgets -n gateway-system -o yaml | tokenlimit render - --format istio`);

program
  .command("render")
  .description("print a policy as the filter's plugin configuration, an Envoy HTTP filter or an Istio WasmPlugin")
  .argument("<policy>", "TokenRateLimitPolicy manifest, list of manifests or bare spec (YAML or JSON; - reads stdin)")
  .addOption(new Option("--format <format>", "what to print").choices(FORMATS).default("plugin-config"))
  .option("--wasm-url <url>", "where the module is: a path or file:// URL (envoy), an oci://, https:// or file:// URL (istio)")
  .option("--namespace <ns>", "namespace of the WasmPlugin (istio; default: the policy's)")
  .option("--gateway <name>", "gateway whose pods run the WasmPlugin (istio; default: the policy's Gateway targetRef)")
  .option("--name <name>", "the policy to render when the file holds several (name or namespace/name)")
  .option("--selector <key=value>", "istio: pod label of a classic ingress gateway instead of a Gateway (repeatable)", (v: string, all: string[] = []) => [...all, v])
  .option("--target-refs", "istio: attach to the Gateway with targetRefs (Istio 1.22+) instead of its pods' label")
  .option("--sha256 <hex>", "istio: checksum Istio verifies: the image's manifest digest for oci://, else the module's sha256")
  .option("--digest <sha256:hex>", "istio: pin the oci:// URL to this image digest")
  .option("--wasm <file>", "istio: compute the checksum from this module (for oci://, the digest image push gives it)")
  .option("--image-pull-secret <name>", "istio: Secret (kubernetes.io/dockerconfigjson) to pull the image with")
  .addOption(new Option("--failure-strategy <strategy>", "istio: when the module cannot be fetched or its VM fails (default FAIL_CLOSE)").choices(FAIL_STRATEGIES))
  .addOption(new Option("--phase <phase>", "istio: where in the filter chain the plugin runs (default STATS)").choices(ISTIO_PHASES))
  .action((file: string, opts: Omit<RenderOptions, "wasm"> & { format: Format; wasm?: string }) => {
    const input = read(file);
    if ("error" in input) return emit({ code: 1, stdout: "", stderr: input.error + "\n" });
    let wasm: RenderOptions["wasm"];
    if (opts.wasm !== undefined) {
      const module = read(opts.wasm);
      if ("error" in module) return emit({ code: 1, stdout: "", stderr: module.error + "\n" });
      wasm = { bytes: module.bytes, name: opts.wasm };
    }
    emit(render(file === "-" ? "<stdin>" : file, input.bytes.toString("utf8"), { ...opts, wasm }));
  });

program
  .command("validate")
  .description("check every policy in a file; exit code 1 and one problem per line on stderr if any is invalid")
  .argument("<policy>", "TokenRateLimitPolicy manifest, list of manifests or bare spec (YAML or JSON; - reads stdin)")
  .option("--wasm <file>", "also have the compiled filter (e.g. build/tokenlimit.wasm) check each configuration")
  .action(async (file: string, opts: { wasm?: string }) => {
    const input = read(file);
    if ("error" in input) return emit({ code: 1, stdout: "", stderr: input.error + "\n" });
    let wasm: { bytes: Uint8Array; name: string } | undefined;
    if (opts.wasm !== undefined) {
      const module = read(opts.wasm);
      if ("error" in module) return emit({ code: 1, stdout: "", stderr: module.error + "\n" });
      wasm = { bytes: module.bytes, name: opts.wasm };
    }
    emit(await validate(file === "-" ? "<stdin>" : file, input.bytes.toString("utf8"), { wasm }));
  });

program.addCommand(imageCommand());

await program.parseAsync();
