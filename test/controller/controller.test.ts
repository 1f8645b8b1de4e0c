// The controller against the test API server (test/support/kube-api), through the real
// @kubernetes/client-node: list and watch, writes, the status subresource, 409s, watch
// expiry, garbage collection. Time is a manual clock: backoff and resync fire when the
// test advances it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Controller } from "../../src/controller/controller.ts";
import { kubeClient } from "../../src/controller/kube.ts";
import { Metrics } from "../../src/controller/metrics.ts";
import { FilterVerdicts } from "../../src/controller/validation.ts";
import { ManualClock } from "../support/clock.ts";
import { kubeConfigFor, until } from "../support/kube-api/client.ts";
import { RESOURCES } from "../support/kube-api/resources.ts";
import { KubeApiServer } from "../support/kube-api/server.ts";
import { OPTIONS, daily, onGateway } from "./objects.ts";

const verdicts = new FilterVerdicts(readFileSync("build/tokenlimit.wasm"));
const type = (plural: string) => RESOURCES.find((t) => t.plural === plural)!;
const START = Date.UTC(2026, 11, 4, 12);

async function harness(t: { after: (fn: () => Promise<void>) => void }, opts: { leader?: () => boolean; policySelector?: string; limitador?: { namespace: string; name: string } } = {}) {
  const server = new KubeApiServer({ now: () => new Date(START) });
  const url = await server.start();
  const clock = new ManualClock(START);
  const metrics = new Metrics();
  const controller = new Controller({
    client: kubeClient(kubeConfigFor(url)), plugin: OPTIONS, verdicts, clock, metrics,
    isLeader: opts.leader ?? (() => true), resyncMs: 60_000,
    ...(opts.policySelector ? { policySelector: opts.policySelector } : {}),
    ...(opts.limitador ? { limitador: opts.limitador } : {}),
  });
  t.after(async () => {
    controller.stop();
    await server.stop();
  });
  const store = server.store;
  const gw = (ns: string, name: string) => store.create(type("gateways"), ns, { metadata: { name }, spec: { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } });
  const pol = (ns: string, name: string, spec: Record<string, unknown>) => store.create(type("tokenratelimitpolicies"), ns, { metadata: { name }, spec });
  const edit = (ns: string, name: string, spec: Record<string, unknown>) =>
    store.update(type("tokenratelimitpolicies"), ns, name, { ...store.get(type("tokenratelimitpolicies"), ns, name), spec });
  const plugin = (ns: string, name: string) => store.list(type("wasmplugins"), ns).find((p) => p.metadata.name === name);
  const conditions = (ns: string, name: string) =>
    (store.list(type("tokenratelimitpolicies"), ns).find((p) => p.metadata.name === name)?.status?.conditions ?? [])
      .map((c: { type: string; status: string; reason: string }) => `${c.type}=${c.status}/${c.reason}`);
  /** Waits until the controller has nothing left to do and its caches hold what the server holds. */
  const settled = async () => {
    await until(() => controller.synced && controller.plugins.list().length === store.list(type("wasmplugins")).length, "the controller to catch up");
    await controller.idle();
  };
  return { server, store, clock, metrics, controller, gw, pol, edit, plugin, conditions, settled };
}

test("a policy in the cluster becomes a WasmPlugin with its owner reference, and Accepted/Enforced conditions on /status with observedGeneration", async (t) => {
  const h = await harness(t);
  h.gw("gateway-system", "llm-gateway");
  const p = h.pol("gateway-system", "llm-budgets", { targetRef: onGateway("llm-gateway"), limits: { free: daily(20000) } });
  h.controller.start();
  await until(() => h.conditions("gateway-system", "llm-budgets").length === 2, "conditions");
  const plugin = h.plugin("gateway-system", "tokenlimit-llm-gateway")!;
  assert.deepEqual(plugin.metadata.ownerReferences, [{ apiVersion: "kuadrant.io/v1alpha1", kind: "TokenRateLimitPolicy", name: "llm-budgets", uid: p.metadata.uid }]);
  assert.deepEqual(plugin.spec.pluginConfig, { limits: { "gateway-system.llm-budgets.free": daily(20000) } });
  const status = h.store.get(type("tokenratelimitpolicies"), "gateway-system", "llm-budgets").status;
  assert.deepEqual(status, {
    observedGeneration: 1,
    conditions: [
      { type: "Accepted", status: "True", reason: "Accepted", message: "TokenRateLimitPolicy has been accepted", observedGeneration: 1, lastTransitionTime: "2026-12-04T12:00:00Z" },
      { type: "Enforced", status: "True", reason: "Enforced", message: "limits in force in WasmPlugin gateway-system/tokenlimit-llm-gateway", observedGeneration: 1, lastTransitionTime: "2026-12-04T12:00:00Z" },
    ],
  });
  // Written as a merge patch of the status subresource; the plugin created with POST.
  const writes = h.server.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path.split("?")[0]} ${r.contentType ?? ""}`.trim());
  assert.deepEqual(writes, [
    "POST /apis/extensions.istio.io/v1alpha1/namespaces/gateway-system/wasmplugins application/json",
    "PATCH /apis/kuadrant.io/v1alpha1/namespaces/gateway-system/tokenratelimitpolicies/llm-budgets/status application/merge-patch+json",
  ]);
});

test("a changed policy is reconciled again: the new generation in the conditions, the new limit in the WasmPlugin", async (t) => {
  const h = await harness(t);
  h.gw("ns", "gw");
  h.pol("ns", "p", { targetRef: onGateway("gw"), limits: { free: daily(10) } });
  h.controller.start();
  await until(() => h.conditions("ns", "p").length === 2, "conditions");
  h.edit("ns", "p", { targetRef: onGateway("gw"), limits: { free: daily(20) } });
  await until(() => h.store.get(type("tokenratelimitpolicies"), "ns", "p").status?.observedGeneration === 2, "generation 2 observed");
  assert.deepEqual(h.plugin("ns", "tokenlimit-gw")!.spec.pluginConfig, { limits: { "ns.p.free": daily(20) } });
});

test("deleting the policy deletes its WasmPlugin (owner reference, garbage collection), and it stays deleted", async (t) => {
  const h = await harness(t);
  h.gw("ns", "gw");
  h.pol("ns", "p", { targetRef: onGateway("gw"), limits: { free: daily(10) } });
  h.controller.start();
  await until(() => h.plugin("ns", "tokenlimit-gw") !== undefined, "the WasmPlugin");
  h.store.delete(type("tokenratelimitpolicies"), "ns", "p");
  // The stand-in collects the dependent at once, as the garbage collector would.
  assert.equal(h.plugin("ns", "tokenlimit-gw"), undefined);
  // (The two deletions reach the controller on two watches, in either order: a pass that
  // saw only the plugin's may write it again, and the next one removes it.)
  await until(() => h.controller.policies.list().length === 0 && h.controller.plugins.list().length === 0, "the caches to empty");
  await h.controller.idle();
  assert.equal(h.plugin("ns", "tokenlimit-gw"), undefined);
});

test("a WasmPlugin changed or deleted by someone else is put back", async (t) => {
  const h = await harness(t);
  h.gw("ns", "gw");
  h.pol("ns", "p", { targetRef: onGateway("gw"), limits: { free: daily(10) } });
  h.controller.start();
  await until(() => h.plugin("ns", "tokenlimit-gw") !== undefined, "the WasmPlugin");
  const wanted = h.plugin("ns", "tokenlimit-gw")!.spec;
  const edited = h.plugin("ns", "tokenlimit-gw")!;
  h.store.update(type("wasmplugins"), "ns", "tokenlimit-gw", { ...edited, spec: { ...edited.spec, failStrategy: "FAIL_OPEN" } });
  await until(() => h.plugin("ns", "tokenlimit-gw")!.spec.failStrategy === "FAIL_CLOSE", "the edit undone");
  assert.deepEqual(h.plugin("ns", "tokenlimit-gw")!.spec, wanted);
  h.store.delete(type("wasmplugins"), "ns", "tokenlimit-gw");
  await until(() => h.plugin("ns", "tokenlimit-gw") !== undefined, "the WasmPlugin recreated");
  assert.deepEqual(h.plugin("ns", "tokenlimit-gw")!.spec, wanted);
});

test("a write refused with 409 Conflict is retried after a backoff, from the object as it now is", async (t) => {
  const h = await harness(t);
  h.gw("ns", "gw");
  h.pol("ns", "p", { targetRef: onGateway("gw"), limits: { free: daily(10) } });
  h.controller.start();
  await until(() => h.conditions("ns", "p").length === 2, "conditions");
  await h.settled();
  h.server.fail("PUT", "/apis/extensions.istio.io/v1alpha1/namespaces/ns/wasmplugins/tokenlimit-gw", 409);
  // The plugin is not written, so neither is the status: nothing else happens until the retry.
  h.edit("ns", "p", { targetRef: onGateway("gw"), limits: { free: daily(30) } });
  await until(() => h.metrics.get("tokenlimit_controller_writes_total", { object: "wasmplugin", op: "replace", result: "409" }) === 1, "the 409");
  await h.controller.idle();
  assert.deepEqual(h.plugin("ns", "tokenlimit-gw")!.spec.pluginConfig, { limits: { "ns.p.free": daily(10) } });
  assert.deepEqual(h.clock.pending(), [500]); // the first retry, 500 ms later
  h.clock.advance(500);
  // The status is written after the plugin, in the same pass.
  await until(() => h.store.get(type("tokenratelimitpolicies"), "ns", "p").status?.observedGeneration === 2, "the retried pass");
  await h.controller.idle();
  assert.deepEqual(h.plugin("ns", "tokenlimit-gw")!.spec.pluginConfig, { limits: { "ns.p.free": daily(30) } });
  assert.equal(h.metrics.get("tokenlimit_controller_writes_total", { object: "wasmplugin", op: "replace", result: "success" }), 1);
});

test("when the server ends the watches after compacting its history, the informers get 410 Gone, list again, and keep up", async (t) => {
  const h = await harness(t);
  h.gw("ns", "gw");
  h.controller.start();
  await h.settled();
  // A change only the Gateway informer sees, then compaction: the others' resourceVersion is now too old.
  h.gw("ns", "other");
  await until(() => h.controller.gateways.list().length === 2, "the Gateway event");
  h.store.compact();
  h.server.endWatches();
  await until(() => h.metrics.get("tokenlimit_controller_watch_restarts_total", { resource: "tokenratelimitpolicies", reason: "expired" }) === 1 &&
    h.metrics.get("tokenlimit_controller_watch_restarts_total", { resource: "gateways", reason: "closed" }) === 1 &&
    h.server.openWatches === 4, "the watches to restart");
  assert.equal(h.metrics.get("tokenlimit_controller_watch_restarts_total", { resource: "httproutes", reason: "expired" }), 1);
  assert.equal(h.metrics.get("tokenlimit_controller_watch_restarts_total", { resource: "wasmplugins", reason: "expired" }), 1);
  h.pol("ns", "p", { targetRef: onGateway("gw"), limits: { free: daily(10) } });
  await until(() => h.plugin("ns", "tokenlimit-gw") !== undefined, "the WasmPlugin after the relist");
});

test("resync: with no event at all, the controller reconciles again every resync period", async (t) => {
  const h = await harness(t);
  h.controller.start();
  await h.settled();
  const before = h.metrics.get("tokenlimit_controller_reconciles_total", { result: "success" });
  assert.deepEqual(h.clock.pending(), [60_000]);
  h.clock.advance(60_000);
  await h.controller.idle();
  assert.equal(h.metrics.get("tokenlimit_controller_reconciles_total", { result: "success" }), before + 1);
  assert.deepEqual(h.clock.pending(), [60_000]);
});

test("a replica that is not the leader watches but never writes", async (t) => {
  const h = await harness(t, { leader: () => false });
  h.gw("ns", "gw");
  h.pol("ns", "p", { targetRef: onGateway("gw"), limits: { free: daily(10) } });
  h.controller.start();
  await until(() => h.controller.synced && h.metrics.get("tokenlimit_controller_reconciles_total", { result: "standby" }) > 0, "a standby pass");
  await h.controller.idle();
  assert.deepEqual(h.server.requests.filter((r) => r.method !== "GET"), []);
});

test("with a policy selector, policies without those labels are neither enforced nor given a status", async (t) => {
  const h = await harness(t, { policySelector: "tokenlimit.io/enforce=true" });
  h.gw("ns", "gw");
  h.store.create(type("tokenratelimitpolicies"), "ns", { metadata: { name: "mine", labels: { "tokenlimit.io/enforce": "true" } }, spec: { targetRef: onGateway("gw"), limits: { free: daily(1) } } });
  h.pol("ns", "kuadrants", { targetRef: onGateway("gw"), limits: { free: daily(2) } });
  h.controller.start();
  await until(() => h.conditions("ns", "mine").length === 2, "conditions");
  await h.controller.idle();
  assert.deepEqual(h.plugin("ns", "tokenlimit-gw")!.spec.pluginConfig, { limits: { "ns.mine.free": daily(1) } });
  assert.deepEqual(h.conditions("ns", "kuadrants"), []);
});

test("with --limitador, a policy counting in Limitador writes its limits there before its WasmPlugin, and a hand edit is undone at the next resync", async (t) => {
  const h = await harness(t, { limitador: { namespace: "kuadrant-system", name: "tokenlimit" } });
  const limitadors = type("limitadors");
  h.store.create(limitadors, "kuadrant-system", { metadata: { name: "tokenlimit" }, spec: { replicas: 2, limits: [] } });
  h.gw("ns", "gw");
  const counters = { backend: "limitador", service: { cluster: "outbound|8081||limitador-tokenlimit.kuadrant-system.svc.cluster.local" } };
  h.pol("ns", "p", { targetRef: onGateway("gw"), limits: { free: daily(10) }, counters });
  h.controller.start();
  await until(() => h.conditions("ns", "p").length === 2, "conditions");
  const expected = [{
    namespace: "tokenlimit", name: "ns.p.free.rates[0]", max_value: 10, seconds: 86400,
    conditions: ["descriptors[0]['tokenlimit_limit'] == 'ns.p.free'"], variables: ["descriptors[0]['tokenlimit_counter_0']"],
  }];
  assert.deepEqual(h.store.get(limitadors, "kuadrant-system", "tokenlimit").spec, { replicas: 2, limits: expected });
  const writes = h.server.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path.split("?")[0]}`);
  assert.deepEqual(writes, [
    "PUT /apis/limitador.kuadrant.io/v1alpha1/namespaces/kuadrant-system/limitadors/tokenlimit",
    "POST /apis/extensions.istio.io/v1alpha1/namespaces/ns/wasmplugins",
    "PATCH /apis/kuadrant.io/v1alpha1/namespaces/ns/tokenratelimitpolicies/p/status",
  ]);
  assert.match(h.conditions("ns", "p")[1], /^Enforced=True\/Enforced$/);

  await h.settled();
  const current = h.store.get(limitadors, "kuadrant-system", "tokenlimit");
  h.store.update(limitadors, "kuadrant-system", "tokenlimit", { ...current, spec: { ...current.spec, limits: [] } });
  h.clock.advance(60_000);
  await until(() => h.store.get(limitadors, "kuadrant-system", "tokenlimit").spec.limits.length === 1, "the limits put back");
  assert.deepEqual(h.store.get(limitadors, "kuadrant-system", "tokenlimit").spec.limits, expected);
});
