// `tokenlimit controller` as a process, as the Deployment runs it: it takes the Lease,
// reconciles, serves /healthz, /readyz and /metrics, and on SIGTERM releases the Lease
// and exits 0.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kubeconfigYaml, until, untilAsync, within } from "../support/kube-api/client.ts";
import { RESOURCES } from "../support/kube-api/resources.ts";
import { KubeApiServer } from "../support/kube-api/server.ts";
import { daily, onGateway } from "./objects.ts";

const type = (plural: string) => RESOURCES.find((t) => t.plural === plural)!;

test("the controller process leads, reconciles, serves health and metrics, and on SIGTERM releases the Lease and exits 0", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tokenlimit-controller-"));
  const server = new KubeApiServer();
  const url = await server.start();
  writeFileSync(join(dir, "kubeconfig"), kubeconfigYaml(url));
  server.store.create(type("gateways"), "ns", { metadata: { name: "gw" }, spec: { gatewayClassName: "istio", listeners: [] } });
  server.store.create(type("tokenratelimitpolicies"), "ns", { metadata: { name: "p" }, spec: { targetRef: onGateway("gw"), limits: { free: daily(10) } } });

  const child = spawn(process.execPath, ["src/tokenlimit.mjs", "controller", "--kubeconfig", join(dir, "kubeconfig"),
    "--wasm-url", "oci://ghcr.io/acme/tokenlimit:0.1.0", "--listen", "127.0.0.1:0", "--lease-namespace", "tokenlimit-system", "--identity", "replica-1"],
  { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  await until(() => /health and metrics on (http:\/\/\S+)/.test(stderr), "the controller to start", 30_000);
  const base = /health and metrics on (http:\/\/\S+)/.exec(stderr)![1];
  await until(() => server.store.list(type("wasmplugins"), "ns").length === 1, "the WasmPlugin", 30_000);
  assert.equal(server.store.get(type("leases"), "tokenlimit-system", "tokenlimit-controller").spec.holderIdentity, "replica-1");

  const get = async (path: string) => {
    const r = await fetch(base + path);
    return { status: r.status, body: await r.text() };
  };
  assert.deepEqual(await get("/healthz"), { status: 200, body: "ok\n" });
  assert.deepEqual(await get("/readyz"), { status: 200, body: "ok\n" });
  const wanted = [
    "# TYPE tokenlimit_controller_reconciles_total counter",
    "tokenlimit_controller_leader 1",
    "tokenlimit_controller_wasmplugins 1",
    'tokenlimit_controller_writes_total{object="wasmplugin",op="create",result="success"} 1',
    'tokenlimit_controller_writes_total{object="policy",op="status",result="success"} 1',
  ];
  // The controller counts a write when its answer arrives: read until the pass is counted.
  let metrics: string[] = [];
  await untilAsync(async () => {
    metrics = (await get("/metrics")).body.split("\n");
    return wanted.every((line) => metrics.includes(line));
  }, "the metrics of the first pass");
  assert.ok(metrics.some((l) => /^tokenlimit_controller_reconcile_duration_seconds_count [1-9]/.test(l)), metrics.join("\n"));

  child.kill("SIGTERM");
  assert.equal(await within(exited, "the process to exit"), 0);
  assert.equal(server.store.get(type("leases"), "tokenlimit-system", "tokenlimit-controller").spec.holderIdentity, "");
});
