// The reconciler, driven directly: cluster objects in, WasmPlugins and policy statuses
// out. Every configuration is judged by the real build/tokenlimit.wasm.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { reconcile } from "../../src/controller/reconcile.ts";
import type { Snapshot } from "../../src/controller/reconcile.ts";
import { FilterVerdicts, plan } from "../../src/controller/validation.ts";
import { NOW, OPTIONS, daily, gateway, onGateway, onRoute, policy, route } from "./objects.ts";

const verdicts = new FilterVerdicts(readFileSync("build/tokenlimit.wasm"));
const world = (s: Partial<Snapshot>): Snapshot => ({ policies: [], gateways: [], routes: [], plugins: [], ...s });

const accepted = (generation = 1) => ({
  type: "Accepted", status: "True", reason: "Accepted", message: "TokenRateLimitPolicy has been accepted",
  observedGeneration: generation, lastTransitionTime: NOW,
});
const enforced = (message: string, generation = 1) => ({
  type: "Enforced", status: "True", reason: "Enforced", message, observedGeneration: generation, lastTransitionTime: NOW,
});

test("a policy on a Gateway becomes that gateway's WasmPlugin: targetRefs, image, sha256, pull secret, phase, fail strategy, owner", async () => {
  const p = policy("gateway-system", "llm-budgets", { targetRef: onGateway("llm-gateway"), limits: { free: daily(20000) } });
  const result = await plan(world({ policies: [p], gateways: [gateway("gateway-system", "llm-gateway")] }), OPTIONS, verdicts, NOW);
  assert.deepEqual(result.apply, [{
    apiVersion: "extensions.istio.io/v1alpha1",
    kind: "WasmPlugin",
    metadata: {
      name: "tokenlimit-llm-gateway",
      namespace: "gateway-system",
      labels: { "app.kubernetes.io/name": "tokenlimit", "app.kubernetes.io/managed-by": "tokenlimit-controller" },
      annotations: { "tokenlimit.io/policies": "gateway-system/llm-budgets" },
      ownerReferences: [{ apiVersion: "kuadrant.io/v1alpha1", kind: "TokenRateLimitPolicy", name: "llm-budgets", uid: "uid-llm-budgets" }],
    },
    spec: {
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "llm-gateway" }],
      url: "oci://ghcr.io/acme/tokenlimit:0.1.0",
      sha256: OPTIONS.sha256,
      imagePullSecret: "registry-credentials",
      pluginName: "tokenlimit",
      phase: "STATS",
      failStrategy: "FAIL_CLOSE",
      pluginConfig: {
        limits: {
          "gateway-system.llm-budgets.free": {
            rates: [{ limit: 20000, window: "24h" }],
            counters: [{ expression: "auth.identity.userid" }],
          },
        },
      },
    },
  }]);
  assert.deepEqual(result.remove, []);
  assert.deepEqual(result.statuses, [{
    namespace: "gateway-system", name: "llm-budgets",
    status: { observedGeneration: 1, conditions: [accepted(), enforced("limits in force in WasmPlugin gateway-system/tokenlimit-llm-gateway")] },
  }]);
});

test("attach: selector selects the Gateway's pods by Istio's gateway-name label; an annotated Gateway (a classic ingress gateway) by its own labels", async () => {
  const snapshot = world({
    policies: [
      policy("a", "p", { targetRef: onGateway("gw"), limits: { free: daily(10) } }),
      policy("b", "q", { targetRef: onGateway("ingress"), limits: { free: daily(10) } }),
    ],
    gateways: [gateway("a", "gw"), gateway("b", "ingress", { "tokenlimit.io/workload-selector": "istio=ingressgateway,app=istio-ingressgateway" })],
  });
  const result = await plan(snapshot, { ...OPTIONS, attach: "selector" }, verdicts, NOW);
  assert.deepEqual(result.apply.map((w) => [w.metadata.name, w.spec.selector, w.spec.targetRefs]), [
    ["tokenlimit-gw", { matchLabels: { "gateway.networking.k8s.io/gateway-name": "gw" } }, undefined],
    ["tokenlimit-ingress", { matchLabels: { istio: "ingressgateway", app: "istio-ingressgateway" } }, undefined],
  ]);
});

test("a policy on an HTTPRoute limits only that route's traffic: its hostnames and matches become a predicate on each limit", async () => {
  const snapshot = world({
    policies: [policy("llm", "chat", { targetRef: onRoute("chat"), limits: { free: daily(100) } })],
    gateways: [gateway("gateway-system", "llm-gateway")],
    routes: [route("llm", "chat", {
      parentRefs: [{ name: "llm-gateway", namespace: "gateway-system" }],
      hostnames: ["api.example.com"],
      rules: [{ matches: [{ path: { type: "PathPrefix", value: "/v1/chat" }, method: "POST" }] }],
    })],
  });
  const result = await plan(snapshot, OPTIONS, verdicts, NOW);
  assert.equal(result.apply.length, 1);
  assert.equal(result.apply[0].metadata.namespace, "gateway-system");
  // The policy lives in another namespace than the plugin: no owner reference is possible.
  assert.equal(result.apply[0].metadata.ownerReferences, undefined);
  assert.deepEqual(result.apply[0].spec.pluginConfig, {
    limits: {
      "llm.chat.free": {
        rates: [{ limit: 100, window: "24h" }],
        counters: [{ expression: "auth.identity.userid" }],
        when: [{
          predicate: '(request.host == "api.example.com" || request.host.startsWith("api.example.com:")) && ' +
            '(request.url_path == "/v1/chat" || request.url_path.startsWith("/v1/chat/")) && request.method == "POST"',
        }],
      },
    },
  });
});

const routeA = route("ns", "a", { parentRefs: [{ name: "gw" }], hostnames: ["a.example.com"], rules: [{}] });
const routeB = route("ns", "b", { parentRefs: [{ name: "gw" }], hostnames: ["b.example.com"], rules: [{}] });
const A = 'request.host == "a.example.com" || request.host.startsWith("a.example.com:")';
const B = 'request.host == "b.example.com" || request.host.startsWith("b.example.com:")';

async function limitsOf(policies: ReturnType<typeof policy>[]) {
  const result = await plan(world({ policies, gateways: [gateway("ns", "gw")], routes: [routeA, routeB] }), OPTIONS, verdicts, NOW);
  const limits = result.apply[0].spec.pluginConfig as { limits: Record<string, { rates: { limit: number }[]; when?: { predicate: string }[] }> };
  const summary = Object.fromEntries(Object.entries(limits.limits).map(([k, v]) => [k, [v.rates[0].limit, v.when?.map((w) => w.predicate) ?? []]]));
  return { summary, result };
}

test("gateway defaults (atomic) apply to routes without a policy of their own; a route policy replaces them on its route", async () => {
  const { summary } = await limitsOf([
    policy("ns", "gw-defaults", { targetRef: onGateway("gw"), defaults: { limits: { free: daily(1000), gold: daily(5000) } } }),
    policy("ns", "route-a", { targetRef: onRoute("a"), limits: { free: daily(10) } }),
  ]);
  assert.deepEqual(summary, {
    "ns.gw-defaults.free": [1000, [`!(${A})`]],
    "ns.gw-defaults.gold": [5000, [`!(${A})`]],
    "ns.route-a.free": [10, [A]],
  });
});

test("gateway defaults with strategy merge keep, on a route with its own policy, the limits that policy does not name", async () => {
  const { summary } = await limitsOf([
    policy("ns", "gw-defaults", { targetRef: onGateway("gw"), defaults: { strategy: "merge", limits: { free: daily(1000), gold: daily(5000) } } }),
    policy("ns", "route-a", { targetRef: onRoute("a"), limits: { free: daily(10) } }),
  ]);
  assert.deepEqual(summary, {
    "ns.gw-defaults.free": [1000, [`!(${A})`]],
    // one limit, one counter, on every route
    "ns.gw-defaults.gold": [5000, []],
    "ns.route-a.free": [10, [A]],
  });
});

test("gateway overrides win over route policies: atomic replaces them, merge keeps the limits it does not name", async () => {
  const atomic = await limitsOf([
    policy("ns", "gw-overrides", { targetRef: onGateway("gw"), overrides: { limits: { free: daily(50) } } }),
    policy("ns", "route-a", { targetRef: onRoute("a"), limits: { free: daily(10), gold: daily(99) } }),
  ]);
  assert.deepEqual(atomic.summary, { "ns.gw-overrides.free": [50, []] });
  const [, routeStatus] = atomic.result.statuses;
  assert.deepEqual(routeStatus.status.conditions[1], {
    type: "Enforced", status: "False", reason: "Overridden", message: "every limit is overridden by ns/gw-overrides",
    observedGeneration: 1, lastTransitionTime: NOW,
  });

  const merge = await limitsOf([
    policy("ns", "gw-overrides", { targetRef: onGateway("gw"), overrides: { strategy: "merge", limits: { free: daily(50) } } }),
    policy("ns", "route-a", { targetRef: onRoute("a"), limits: { free: daily(10), gold: daily(99) } }),
  ]);
  assert.deepEqual(merge.summary, { "ns.gw-overrides.free": [50, []], "ns.route-a.gold": [99, [A]] });
});

test("of two policies on the same target the oldest wins; the younger is Accepted and Enforced=False, Overridden", async () => {
  const { summary, result } = await limitsOf([
    policy("ns", "young", { targetRef: onRoute("b"), limits: { free: daily(1) } }, { created: "2026-12-03T00:00:00Z" }),
    policy("ns", "old", { targetRef: onRoute("b"), limits: { free: daily(2) } }, { created: "2026-12-02T00:00:00Z" }),
  ]);
  assert.deepEqual(summary, { "ns.old.free": [2, [B]] });
  assert.deepEqual(result.statuses.map((s) => [s.name, s.status.conditions.map((c) => `${c.type}=${c.status}/${c.reason}: ${c.message}`)]), [
    ["old", ["Accepted=True/Accepted: TokenRateLimitPolicy has been accepted", "Enforced=True/Enforced: limits in force in WasmPlugin ns/tokenlimit-gw"]],
    ["young", ["Accepted=True/Accepted: TokenRateLimitPolicy has been accepted", "Enforced=False/Overridden: every limit is overridden by ns/old"]],
  ]);
});

test("an invalid policy is Accepted=False, Invalid, with the filter's own messages, and the others are still enforced", async () => {
  const { summary, result } = await limitsOf([
    policy("ns", "good", { targetRef: onGateway("gw"), limits: { free: daily(10) } }),
    policy("ns", "bad", { targetRef: onRoute("a"), limits: { free: { rates: [{ limit: 10, window: "1w" }], when: [{ predicate: "request.path ==" }] } } }, { generation: 4 }),
  ]);
  assert.deepEqual(summary, { "ns.good.free": [10, []] });
  assert.deepEqual(result.statuses[0], {
    namespace: "ns", name: "bad",
    status: {
      observedGeneration: 4,
      conditions: [{
        type: "Accepted", status: "False", reason: "Invalid",
        message: 'invalid configuration: limits.free.rates[0].window: invalid duration "1w" (expected e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d); ' +
          'invalid configuration: limits.free.when[0].predicate: invalid CEL at offset 15: unexpected end of expression in "request.path =="',
        observedGeneration: 4, lastTransitionTime: NOW,
      }],
    },
  });
});

test("a policy whose Gateway or HTTPRoute does not exist is Accepted=False, TargetNotFound, and produces nothing", async () => {
  const result = await plan(world({
    policies: [
      policy("ns", "p", { targetRef: onGateway("missing"), limits: { free: daily(1) } }),
      policy("ns", "q", { targetRef: onRoute("orphan"), limits: { free: daily(1) } }),
    ],
    routes: [route("ns", "orphan", { parentRefs: [{ name: "gone" }] })],
  }), OPTIONS, verdicts, NOW);
  assert.deepEqual(result.apply, []);
  assert.deepEqual(result.statuses.map((s) => s.status.conditions), [
    [{ type: "Accepted", status: "False", reason: "TargetNotFound", message: "Gateway ns/missing not found", observedGeneration: 1, lastTransitionTime: NOW }],
    [{ type: "Accepted", status: "False", reason: "TargetNotFound", message: "HTTPRoute ns/orphan has no parent Gateway that exists", observedGeneration: 1, lastTransitionTime: NOW }],
  ]);
});

test("policies on one gateway that set a whole-filter field differently: the one of lower precedence is Conflicted", async () => {
  // A route policy ranks above the gateway's (implicit) defaults.
  const { summary, result } = await limitsOf([
    policy("ns", "gw", { targetRef: onGateway("gw"), limits: { free: daily(1) }, dryRun: true }),
    policy("ns", "route-a", { targetRef: onRoute("a"), limits: { free: daily(2) }, dryRun: false }),
  ]);
  assert.deepEqual(summary, { "ns.route-a.free": [2, [A]] });
  assert.equal((result.apply[0].spec.pluginConfig as Record<string, unknown>).dryRun, false);
  assert.deepEqual(result.statuses[0].status.conditions, [{
    type: "Accepted", status: "False", reason: "Conflicted",
    message: "spec.dryRun differs from ns/route-a's; it configures the filter of the whole Gateway ns/gw, so policies there must agree on it",
    observedGeneration: 1, lastTransitionTime: NOW,
  }]);
});

test("statuses and WasmPlugins already as wanted are not written again; a condition that changes gets a new lastTransitionTime", async () => {
  const p = policy("ns", "p", { targetRef: onGateway("gw"), limits: { free: daily(1) } });
  const first = await plan(world({ policies: [p], gateways: [gateway("ns", "gw")] }), OPTIONS, verdicts, NOW);
  const settled = { ...p, status: first.statuses[0].status };
  const second = await plan(world({ policies: [settled], gateways: [gateway("ns", "gw")], plugins: first.apply }), OPTIONS, verdicts, "2026-12-04T13:00:00Z");
  assert.deepEqual(second, { unchecked: [], apply: [], remove: [], statuses: [] });

  // The gateway goes away: Accepted changes (new time), Enforced disappears, the plugin is removed.
  const third = await plan(world({ policies: [settled], plugins: first.apply }), OPTIONS, verdicts, "2026-12-04T14:00:00Z");
  assert.deepEqual(third.remove, [{ namespace: "ns", name: "tokenlimit-gw" }]);
  assert.deepEqual(third.statuses[0].status, {
    observedGeneration: 1,
    conditions: [{ type: "Accepted", status: "False", reason: "TargetNotFound", message: "Gateway ns/gw not found", observedGeneration: 1, lastTransitionTime: "2026-12-04T14:00:00Z" }],
  });
});

test("the reconciler asks for the filter's verdict before deciding anything (it never judges a policy itself)", () => {
  const p = policy("ns", "p", { targetRef: onGateway("gw"), limits: { free: daily(1) } });
  const result = reconcile(world({ policies: [p], gateways: [gateway("ns", "gw")] }), OPTIONS, () => undefined, NOW);
  assert.deepEqual(result, {
    unchecked: [JSON.stringify({ limits: { free: daily(1) } })],
    apply: [], remove: [], statuses: [],
  });
});

test("a route with two parent Gateways: its policy is in both WasmPlugins, each in its Gateway's namespace", async () => {
  const result = await plan(world({
    policies: [policy("apps", "chat", { targetRef: onRoute("chat"), limits: { free: daily(5) } })],
    gateways: [gateway("edge", "public"), gateway("apps", "internal")],
    routes: [route("apps", "chat", { parentRefs: [{ name: "public", namespace: "edge" }, { name: "internal" }], rules: [{}] })],
  }), OPTIONS, verdicts, NOW);
  assert.deepEqual(result.apply.map((w) => [`${w.metadata.namespace}/${w.metadata.name}`, w.metadata.ownerReferences?.length ?? 0, w.spec.pluginConfig]), [
    ["apps/tokenlimit-internal", 1, { limits: { "apps.chat.free": daily(5) } }],
    ["edge/tokenlimit-public", 0, { limits: { "apps.chat.free": daily(5) } }],
  ]);
  assert.deepEqual(result.statuses[0].status.conditions[1].message, "limits in force in WasmPlugin apps/tokenlimit-internal, edge/tokenlimit-public");
});

test("a targetRef to a Gateway listener (sectionName) is refused as Invalid; a route rule by name is accepted", async () => {
  const result = await plan(world({
    policies: [
      policy("ns", "listener", { targetRef: { ...onGateway("gw"), sectionName: "http" }, limits: { free: daily(1) } }),
      policy("ns", "rule", { targetRef: onRoute("r", "chat"), limits: { free: daily(1) } }),
    ],
    gateways: [gateway("ns", "gw")],
    routes: [route("ns", "r", { parentRefs: [{ name: "gw" }], rules: [{ name: "chat", matches: [{ path: { type: "Exact", value: "/chat" } }] }] })],
  }), OPTIONS, verdicts, NOW);
  assert.deepEqual(result.statuses.map((s) => [s.name, s.status.conditions[0].reason, s.status.conditions[0].message]), [
    ["listener", "Invalid", "spec.targetRef.sectionName: targeting a Gateway listener is not supported; target the Gateway or an HTTPRoute"],
    ["rule", "Accepted", "TokenRateLimitPolicy has been accepted"],
  ]);
  assert.deepEqual(result.apply[0].spec.pluginConfig, {
    limits: { "ns.rule.free": { ...daily(1), when: [{ predicate: 'request.url_path == "/chat"' }] } },
  });
});
