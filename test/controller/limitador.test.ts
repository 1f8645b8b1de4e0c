// The controller keeps the limits of the Limitador it is given (`--limitador`) for the
// gateways whose configuration counts in Limitador, so that a policy reaches enforcement
// without a hand step. The reconciler, driven directly; every configuration is judged by
// the real build/tokenlimit.wasm.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mergeLimits, parseLimitadorRef } from "../../src/controller/limitador.ts";
import type { Snapshot } from "../../src/controller/reconcile.ts";
import type { KubeObject } from "../../src/controller/types.ts";
import { FilterVerdicts, plan } from "../../src/controller/validation.ts";
import { NOW, OPTIONS, daily, gateway, onGateway, policy } from "./objects.ts";

const verdicts = new FilterVerdicts(readFileSync("build/tokenlimit.wasm"));
const world = (s: Partial<Snapshot>): Snapshot => ({ policies: [], gateways: [], routes: [], plugins: [], ...s });
const GLOBAL = { backend: "limitador", service: { cluster: "outbound|8081||limitador-tokenlimit.kuadrant-system.svc.cluster.local" } };

/** The Limitador resource as limitador-operator's users write it, with fields the controller must keep. */
function limitadorObject(limits: unknown[] = []): KubeObject {
  return {
    apiVersion: "limitador.kuadrant.io/v1alpha1", kind: "Limitador",
    metadata: { name: "tokenlimit", namespace: "kuadrant-system", resourceVersion: "7" },
    spec: { replicas: 2, storage: { redis: { configSecretRef: { name: "tokenlimit-redis" } } }, limits },
  };
}
const kept = (object?: KubeObject) => ({ namespace: "kuadrant-system", name: "tokenlimit", ...(object ? { object } : {}) });

const FREE_LIMIT = {
  namespace: "tokenlimit",
  name: "gateway-system.llm-budgets.free.rates[0]",
  max_value: 20000,
  seconds: 86400,
  conditions: ["descriptors[0]['tokenlimit_limit'] == 'gateway-system.llm-budgets.free'"],
  variables: ["descriptors[0]['tokenlimit_counter_0']"],
};

const budgets = (counters: unknown = GLOBAL, free: Record<string, unknown> = daily(20000)) =>
  policy("gateway-system", "llm-budgets", { targetRef: onGateway("llm-gateway"), limits: { free }, counters });
const conditionsOf = (p: Awaited<ReturnType<typeof plan>>) =>
  p.statuses.flatMap((s) => s.status.conditions.map((c) => `${c.type}=${c.status}/${c.reason}: ${c.message}`));

test("a policy counting in Limitador gives the kept Limitador its limits, as render --format limitador would, keeping the rest of its spec", async () => {
  const p = await plan(world({ policies: [budgets()], gateways: [gateway("gateway-system", "llm-gateway")], limitador: kept(limitadorObject()) }), OPTIONS, verdicts, NOW);
  assert.deepEqual(p.limitador, {
    ...limitadorObject(),
    spec: { replicas: 2, storage: { redis: { configSecretRef: { name: "tokenlimit-redis" } } }, limits: [FREE_LIMIT] },
  });
  assert.equal(p.apply.length, 1);
  assert.deepEqual(conditionsOf(p), [
    "Accepted=True/Accepted: TokenRateLimitPolicy has been accepted",
    "Enforced=True/Enforced: limits in force in WasmPlugin gateway-system/tokenlimit-llm-gateway, counted in Limitador kuadrant-system/tokenlimit",
  ]);
});

test("a Limitador that already has the limits is not written again", async () => {
  const p = await plan(world({ policies: [budgets()], gateways: [gateway("gateway-system", "llm-gateway")], limitador: kept(limitadorObject([FREE_LIMIT])) }), OPTIONS, verdicts, NOW);
  assert.equal(p.limitador, undefined);
});

test("the controller owns the kept Limitador's limits: without policies counting there, stale limits are removed", async () => {
  const local = budgets({ backend: "local" });
  const p = await plan(world({ policies: [local], gateways: [gateway("gateway-system", "llm-gateway")], limitador: kept(limitadorObject([FREE_LIMIT])) }), OPTIONS, verdicts, NOW);
  assert.deepEqual((p.limitador?.spec as { limits: unknown[] }).limits, []);
});

test("a limit Limitador cannot count is not enforced at all, rather than admitted by a Limitador without it", async () => {
  // Two rates with one window: Limitador would count both in one counter (a window that is
  // not whole seconds never gets this far: the filter refuses it, so the policy is not Accepted).
  const free = { rates: [{ limit: 100, window: "1h" }, { limit: 200, window: "60m" }], counters: [{ expression: "auth.identity.userid" }] };
  const p = await plan(world({ policies: [budgets(GLOBAL, free)], gateways: [gateway("gateway-system", "llm-gateway")], limitador: kept(limitadorObject([FREE_LIMIT])) }), OPTIONS, verdicts, NOW);
  assert.deepEqual(p.apply, []);
  assert.deepEqual((p.limitador?.spec as { limits: unknown[] }).limits, []);
  assert.deepEqual(conditionsOf(p), [
    "Accepted=True/Accepted: TokenRateLimitPolicy has been accepted",
    "Enforced=False/Invalid: Limitador cannot count the limits of WasmPlugin gateway-system/tokenlimit-llm-gateway: " +
      'limits["gateway-system.llm-budgets.free"].rates[1].window: same window as rates[0] (3600s): Limitador would count both rates in one counter; keep the smaller limit',
  ]);
});

test("a missing Limitador leaves the WasmPlugin in place (its calls fail, failureMode decides) and says so in Enforced", async () => {
  const p = await plan(world({ policies: [budgets()], gateways: [gateway("gateway-system", "llm-gateway")], limitador: kept() }), OPTIONS, verdicts, NOW);
  assert.equal(p.apply.length, 1);
  assert.equal(p.limitador, undefined);
  assert.deepEqual(conditionsOf(p)[1],
    "Enforced=False/Invalid: its limits count in Limitador, but the Limitador kuadrant-system/tokenlimit that should hold them does not exist");
});

test("without a kept Limitador nothing changes: the limits are the operator's to render", async () => {
  const p = await plan(world({ policies: [budgets()], gateways: [gateway("gateway-system", "llm-gateway")] }), OPTIONS, verdicts, NOW);
  assert.equal(p.limitador, undefined);
  assert.equal(conditionsOf(p)[1], "Enforced=True/Enforced: limits in force in WasmPlugin gateway-system/tokenlimit-llm-gateway");
});

test("the limits of every gateway counting in Limitador are kept together, the same limit once", async () => {
  const pa = policy("ns", "pa", { targetRef: onGateway("a"), limits: { free: daily(20000) }, counters: GLOBAL });
  const pb = policy("ns", "pb", { targetRef: onGateway("b"), limits: { gold: daily(200000) }, counters: GLOBAL });
  const p = await plan(world({ policies: [pa, pb], gateways: [gateway("ns", "a"), gateway("ns", "b")], limitador: kept(limitadorObject()) }), OPTIONS, verdicts, NOW);
  const limits = (p.limitador?.spec as { limits: { name: string }[] }).limits;
  assert.deepEqual(limits.map((l) => l.name), ["ns.pa.free.rates[0]", "ns.pb.gold.rates[0]"]);
  const other = { ...FREE_LIMIT, namespace: "another" };
  assert.deepEqual(mergeLimits([[FREE_LIMIT, other], [structuredClone(FREE_LIMIT)]]), [other, FREE_LIMIT]);
});

test("--limitador takes namespace/name", () => {
  assert.deepEqual(parseLimitadorRef("kuadrant-system/tokenlimit"), { namespace: "kuadrant-system", name: "tokenlimit" });
  assert.deepEqual(parseLimitadorRef("tokenlimit"), { error: '--limitador must be namespace/name of a Limitador resource, got "tokenlimit"' });
  assert.ok("error" in parseLimitadorRef("a/b/c"));
});
