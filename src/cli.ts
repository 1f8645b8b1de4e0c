// tokenlimit: renders and checks TokenRateLimitPolicy manifests for the tokenlimit
// Proxy-Wasm filter. Argument parsing and I/O only; the commands are in ./commands.ts.
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { FORMATS, type Format, type Output, render, validate } from "./commands.ts";

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
  .action((file: string, opts: { format: Format; wasmUrl?: string; namespace?: string; gateway?: string; name?: string }) => {
    const input = read(file);
    if ("error" in input) return emit({ code: 1, stdout: "", stderr: input.error + "\n" });
    emit(render(file === "-" ? "<stdin>" : file, input.bytes.toString("utf8"), opts));
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

program
  .command("controller")
  .description("run the Kubernetes controller: TokenRateLimitPolicies, Gateways and HTTPRoutes in, Istio WasmPlugins out (docs/controller.md)")
  .requiredOption("--wasm-url <url>", "the module the WasmPlugins pull: oci://, https:// or file://")
  .option("--wasm-sha256 <hex>", "the module's sha256, checked by Istio")
  .option("--image-pull-secret <name>", "Secret with the registry's credentials, in each WasmPlugin's namespace")
  .addOption(new Option("--image-pull-policy <policy>", "WasmPlugin imagePullPolicy").choices(["IfNotPresent", "Always"]))
  .addOption(new Option("--phase <phase>", "where in Istio's filter chain").choices(["AUTHN", "AUTHZ", "STATS", "UNSPECIFIED_PHASE"]).default("STATS"))
  .addOption(new Option("--fail-strategy <strategy>", "if the module cannot be loaded").choices(["FAIL_CLOSE", "FAIL_OPEN"]).default("FAIL_CLOSE"))
  .addOption(new Option("--attach <how>", "how WasmPlugins find a Gateway's pods").choices(["targetRefs", "selector"]).default("targetRefs"))
  .option("--wasm <file>", "the compiled filter, which judges every configuration", "build/tokenlimit.wasm")
  .option("--policy-selector <labels>", "only TokenRateLimitPolicies with these labels (key=value,...), e.g. beside Kuadrant")
  .option("--resync <seconds>", "reconcile everything this often even without changes", "300")
  .option("--listen <host:port>", "/healthz, /readyz and /metrics", "0.0.0.0:8080")
  .option("--lease-namespace <ns>", "namespace of the leader-election Lease (default: the pod's)")
  .option("--lease-name <name>", "name of the leader-election Lease", "tokenlimit-controller")
  .option("--identity <id>", "this replica's name in the Lease (default: $POD_NAME or the host name)")
  .option("--kubeconfig <file>", "outside a cluster: the kubeconfig (default: $KUBECONFIG or ~/.kube/config)")
  .action(async (opts) => {
    const { runController } = await import("./controller/main.ts");
    process.exitCode = await runController(opts);
  });

await program.parseAsync();
