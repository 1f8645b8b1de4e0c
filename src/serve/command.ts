// `tokenlimit serve`: options, policy loading and the process around startServe; its
// commander wiring is added to src/cli.ts with one line.
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import { bundledFilter } from "../install.ts";
import { checkPolicies, formatReport, isValid } from "../policy/check.ts";
import { type ClusterSpec, parseCluster } from "./clusters.ts";
import { DEFAULT_POLICY } from "./defaults.ts";
import { startMockUpstream } from "./mock-upstream.ts";
import { startServe } from "./server.ts";
import { PROMETHEUS_PATH } from "./stats.ts";

/**
 * The plugin configuration in a policy file (a TokenRateLimitPolicy manifest, a list, or a
 * bare spec such as plugin.json), checked by the filter as `validate` does; `name` picks one
 * of several. Returns the configuration, or the report to print.
 */
export async function loadServePolicy(file: string, text: string, wasm: Uint8Array, name?: string): Promise<{ config: object } | { error: string }> {
  const checked = await checkPolicies(text, { bytes: wasm, name: "tokenlimit.wasm" });
  if (!isValid(checked)) return { error: formatReport(file, checked).join("\n") };
  const all = checked.policies.filter((p) => p.policy !== undefined);
  const chosen = name === undefined ? all : all.filter((p) => p.label === name || p.policy!.name === name);
  if (chosen.length !== 1) {
    const labels = all.map((p) => p.label).join(", ");
    return { error: name === undefined ? `${file}: ${all.length} policies (${labels}); choose one with --name` : `${file}: no policy named ${name} (found: ${labels})` };
  }
  return { config: chosen[0].policy!.config as object };
}

interface ServeFlags {
  policy?: string;
  name?: string;
  upstream?: string;
  listen: string;
  workers: number;
  cluster: ClusterSpec[];
  wasm?: string;
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "critical";
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError("expected an integer from 1 to 64");
  return n;
}

function cluster(v: string, all: ClusterSpec[] = []): ClusterSpec[] {
  try {
    return [...all, parseCluster(v)];
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

async function run(flags: ServeFlags): Promise<void> {
  const wasmFile = flags.wasm ?? bundledFilter();
  let wasm: Uint8Array;
  try {
    wasm = readFileSync(wasmFile);
  } catch {
    process.stderr.write(`${wasmFile}: cannot read${flags.wasm === undefined ? " (build it with npm run build, or pass --wasm)" : ""}\n`);
    process.exitCode = 1;
    return;
  }
  let config: object = DEFAULT_POLICY;
  if (flags.policy !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.policy === "-" ? 0 : flags.policy, "utf8");
    } catch {
      process.stderr.write(`${flags.policy}: cannot read\n`);
      process.exitCode = 1;
      return;
    }
    const loaded = await loadServePolicy(flags.policy, text, wasm, flags.name);
    if ("error" in loaded) {
      process.stderr.write(loaded.error + "\n");
      process.exitCode = 1;
      return;
    }
    config = loaded.config;
  }
  const mock = flags.upstream === undefined ? await startMockUpstream() : null;
  const serving = await startServe({
    wasm,
    pluginConfig: config,
    upstream: flags.upstream ?? mock!.url,
    listen: flags.listen,
    workers: flags.workers,
    clusters: flags.cluster,
    logLevel: flags.logLevel,
    onRequest: (_r, line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
    onLog: (e) => process.stderr.write(`[${e.level}] ${e.source === "wasm" ? "filter" : "host"}: ${e.message}\n`),
  });
  process.stderr.write([
    `tokenlimit serve: listening on ${serving.url}, ${flags.workers} worker(s)`,
    `  upstream: ${flags.upstream ?? `${mock!.url} (built-in mock: chat completions and /v1/messages)`}`,
    `  policy: ${flags.policy ?? "built-in default (free 20000 tokens/24h, gold 200000 tokens/24h, per user)"}`,
    ...flags.cluster.map((c) => `  cluster ${c.name}: ${c.host}:${c.port}`),
    `  metrics: ${serving.url}${PROMETHEUS_PATH}`,
    "",
  ].join("\n"));
  const stop = (): void => {
    void serving.close().then(() => mock?.close()).then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

/** The `serve` subcommand. */
export function serveCommand(): Command {
  return new Command("serve")
    .description("run the filter in front of a real upstream: an HTTP/1.1 reverse proxy on the simulated Envoy host, to try and test policies (not a production proxy)")
    .option("--policy <file>", "TokenRateLimitPolicy manifest or plugin configuration, YAML or JSON (- reads stdin; default: the example policy on /v1/chat/completions and /v1/messages)")
    .option("--name <name>", "the policy to serve when the file holds several (name or namespace/name)")
    .option("--upstream <url>", "where requests go, http:// or https:// (default: a built-in OpenAI/Anthropic-compatible mock)")
    .option("--listen <host:port>", "address to listen on", "127.0.0.1:8080")
    .option("--workers <n>", "worker VMs sharing data, as Envoy's --concurrency", positiveInt, 1)
    .option("--cluster <name=host:port>", "a cluster the filter's HTTP (HTTP/1.1) and gRPC (HTTP/2) calls reach (repeatable)", cluster, [] as ClusterSpec[])
    .option("--wasm <file>", "the compiled filter (default: the one shipped with tokenlimit)")
    .addOption(new Option("--log-level <level>", "the filter's log level").choices(["trace", "debug", "info", "warn", "error", "critical"]).default("info"))
    .action(async (flags: ServeFlags) => {
      try {
        await run(flags);
      } catch (e) {
        process.stderr.write(`tokenlimit serve: ${(e as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
