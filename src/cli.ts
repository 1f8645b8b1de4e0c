#!/usr/bin/env node
// tokenlimit: renders and checks TokenRateLimitPolicy manifests for the tokenlimit
// Proxy-Wasm filter. Argument parsing and I/O only; the commands are in ./commands.ts.
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { FORMATS, type FilterModule, type Format, type Output, type RenderOptions, render, validate } from "./commands.ts";
import { imageCommand } from "./image/command.ts";
import { serveCommand } from "./serve/command.ts";
import { FAIL_STRATEGIES, ISTIO_PHASES } from "./policy/render.ts";
import { bundledFilter, packageVersion } from "./install.ts";

/** How messages name the filter that ships with the command. */
const BUNDLED_NAME = "tokenlimit.wasm";

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

/** The compiled filter: `--wasm`, or the one that ships with the command. */
function loadFilter(wasm: string | undefined): FilterModule | { error: string } {
  const file = wasm ?? bundledFilter();
  const module = read(file);
  if ("error" in module) {
    // From a checkout, the module is built, not checked in.
    return { error: wasm === undefined ? `${module.error} (build it with npm run build, or pass --wasm)` : module.error };
  }
  return { bytes: module.bytes, name: wasm ?? BUNDLED_NAME };
}

function emit(out: Output): void {
  process.stdout.write(out.stdout);
  process.stderr.write(out.stderr);
  process.exitCode = out.code;
}

const program = new Command()
  .name("tokenlimit")
  .description("Render and check TokenRateLimitPolicy manifests for the tokenlimit Envoy/Istio filter.")
  .version(packageVersion())
  .showHelpAfterError("(tokenlimit --help for usage)")
  .addHelpText("after", `
Examples:
  tokenlimit validate policy.yaml
  tokenlimit render policy.yaml > plugin-config.json
  tokenlimit render policy.yaml --format envoy --wasm-url /etc/envoy/tokenlimit.wasm
  tokenlimit render policy.yaml --format istio --wasm-url oci://ghcr.io/acme/tokenlimit:0.1.0 | kubectl apply -f -
  kubectl get tokenratelimitpolicy llm-budgets -n gateway-system -o yaml | tokenlimit render - --format istio
  tokenlimit render policy.yaml --format limitador > limits.yaml            # Limitador's limits file
  tokenlimit render policy.yaml --format envoy-ratelimit > config/tokenlimit.yaml  # envoyproxy/ratelimit`);

program
  .command("render")
  .description("print a policy as the filter's plugin configuration, an Envoy HTTP filter, an Istio WasmPlugin, or the limits of the rate-limit service that counts for it (limitador, envoy-ratelimit)")
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
  .option("--image-pull-secret <name>", "istio: Secret (kubernetes.io/dockerconfigjson) to pull the image with")
  .addOption(new Option("--failure-strategy <strategy>", "istio: when the module cannot be fetched or its VM fails (default FAIL_CLOSE)").choices(FAIL_STRATEGIES))
  .addOption(new Option("--phase <phase>", "istio: where in the filter chain the plugin runs (default STATS)").choices(ISTIO_PHASES))
  .option("--wasm <file>", "the compiled filter that checks the policy first (default: the one shipped with tokenlimit); with --format istio, the WasmPlugin's checksum is pinned to it")
  .action(async (file: string, opts: Omit<RenderOptions, "pinModule"> & { format: Format; wasm?: string }) => {
    const input = read(file);
    if ("error" in input) return emit({ code: 1, stdout: "", stderr: input.error + "\n" });
    const filter = loadFilter(opts.wasm);
    if ("error" in filter) return emit({ code: 1, stdout: "", stderr: filter.error + "\n" });
    const { wasm, ...rest } = opts;
    // Only a module named on the command line pins the checksum: the shipped one is not
    // necessarily what the cluster pulls.
    const pinModule = wasm !== undefined && rest.format === "istio" ? filter : undefined;
    emit(await render(file === "-" ? "<stdin>" : file, input.bytes.toString("utf8"), filter, { ...rest, pinModule }));
  });

program
  .command("validate")
  .description("check every policy in a file with the filter itself; exit code 1 and every problem, with its line, on stderr if any is invalid")
  .argument("<policy>", "TokenRateLimitPolicy manifest, list of manifests or bare spec (YAML or JSON; - reads stdin)")
  .option("--wasm <file>", "the compiled filter that checks each policy (default: the one shipped with tokenlimit)")
  .action(async (file: string, opts: { wasm?: string }) => {
    const input = read(file);
    if ("error" in input) return emit({ code: 1, stdout: "", stderr: input.error + "\n" });
    const filter = loadFilter(opts.wasm);
    if ("error" in filter) return emit({ code: 1, stdout: "", stderr: filter.error + "\n" });
    emit(await validate(file === "-" ? "<stdin>" : file, input.bytes.toString("utf8"), filter));
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
  .option("--wasm <file>", "the compiled filter, which judges every configuration (default: the one shipped with tokenlimit)", bundledFilter())
  .option("--policy-selector <labels>", "only TokenRateLimitPolicies with these labels (key=value,...), e.g. beside Kuadrant")
  .option("--limitador <namespace/name>", "keep the spec.limits of this Limitador for the policies that count in Limitador (counters.backend: limitador)")
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

program.addCommand(imageCommand());
program.addCommand(serveCommand());

await program.parseAsync();
