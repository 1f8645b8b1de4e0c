// `tokenlimit controller`: wires the parts together — the cluster connection, the filter
// that judges configurations, leader election, the control loop and the health server —
// and stops them in order on SIGTERM/SIGINT.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { KubeConfig } from "@kubernetes/client-node";
import { systemClock } from "./clock.ts";
import { Controller } from "./controller.ts";
import { startHealthServer } from "./http.ts";
import { kubeClient } from "./kube.ts";
import { parseLimitadorRef } from "./limitador.ts";
import { LeaderElector } from "./leader.ts";
import { Metrics } from "./metrics.ts";
import { FilterVerdicts } from "./validation.ts";
import type { PluginOptions } from "./wasmplugin.ts";

export interface ControllerCommandOptions {
  wasm: string;
  wasmUrl: string;
  wasmSha256?: string;
  imagePullSecret?: string;
  imagePullPolicy?: "IfNotPresent" | "Always";
  phase: PluginOptions["phase"];
  failStrategy: PluginOptions["failStrategy"];
  attach: PluginOptions["attach"];
  resync: string;
  policySelector?: string;
  limitador?: string;
  listen: string;
  leaseNamespace?: string;
  leaseName: string;
  identity?: string;
  kubeconfig?: string;
}

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

/** Runs until SIGTERM or SIGINT; resolves with the exit code. */
export async function runController(o: ControllerCommandOptions): Promise<number> {
  let wasm: Uint8Array;
  try {
    wasm = readFileSync(o.wasm);
  } catch (e) {
    log(`${o.wasm}: cannot read the filter module: ${(e as Error).message}`);
    return 1;
  }
  if (o.wasmSha256 !== undefined && !/^[0-9a-f]{64}$/.test(o.wasmSha256)) {
    log(`--wasm-sha256 must be 64 lower-case hex digits, got ${JSON.stringify(o.wasmSha256)}`);
    return 1;
  }
  const resyncSeconds = Number(o.resync);
  const listen = /^(.*):(\d+)$/.exec(o.listen);
  if (!Number.isFinite(resyncSeconds) || resyncSeconds <= 0 || listen === null) {
    log("--resync must be a number of seconds and --listen host:port");
    return 1;
  }
  const limitador = o.limitador === undefined ? undefined : parseLimitadorRef(o.limitador);
  if (limitador !== undefined && "error" in limitador) {
    log(limitador.error);
    return 1;
  }
  const kc = new KubeConfig();
  if (o.kubeconfig !== undefined) kc.loadFromFile(o.kubeconfig);
  else kc.loadFromDefault(); // in a pod: the service account; elsewhere: $KUBECONFIG or ~/.kube/config
  const client = kubeClient(kc);
  const metrics = new Metrics();
  const namespace = o.leaseNamespace ?? process.env.POD_NAMESPACE ?? readServiceAccountNamespace() ?? "tokenlimit-system";
  const identity = o.identity ?? process.env.POD_NAME ?? hostname();
  let controller: Controller | undefined;
  const elector = new LeaderElector(client, { namespace, name: o.leaseName, identity }, systemClock, (leading) => {
    metrics.set("tokenlimit_controller_leader", leading ? 1 : 0);
    log(leading ? `leading as ${identity}` : `not leading (${identity})`);
    if (leading) controller?.trigger();
  }, log);
  controller = new Controller({
    client,
    plugin: {
      url: o.wasmUrl, phase: o.phase, failStrategy: o.failStrategy, attach: o.attach,
      ...(o.wasmSha256 ? { sha256: o.wasmSha256 } : {}),
      ...(o.imagePullSecret ? { imagePullSecret: o.imagePullSecret } : {}),
      ...(o.imagePullPolicy ? { imagePullPolicy: o.imagePullPolicy } : {}),
    },
    verdicts: new FilterVerdicts(wasm),
    clock: systemClock,
    metrics,
    isLeader: () => elector.isLeader(),
    resyncMs: resyncSeconds * 1000,
    ...(o.policySelector ? { policySelector: o.policySelector } : {}),
    ...(limitador ? { limitador } : {}),
    log,
  });
  const health = await startHealthServer({ host: listen[1], port: Number(listen[2]), metrics, ready: () => controller!.synced });
  log(`tokenlimit controller ${identity}: lease ${namespace}/${o.leaseName}, health and metrics on ${health.url}`);
  controller.start();
  elector.start();
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  log("stopping");
  controller.stop();
  await controller.idle();
  await elector.stop(true);
  await health.close();
  return 0;
}

function readServiceAccountNamespace(): string | undefined {
  try {
    return readFileSync("/var/run/secrets/kubernetes.io/serviceaccount/namespace", "utf8").trim();
  } catch {
    return undefined;
  }
}
