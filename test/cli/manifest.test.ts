import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { formatProblem, loadPolicies, policyLabel } from "../../src/policy/manifest.ts";

const EXAMPLE = readFileSync(new URL("../../envoy/kuadrant/tokenratelimitpolicy.yaml", import.meta.url), "utf8");

/** The errors of `text` as the CLI prints them (the filter has not seen the specs). */
function problems(text: string): string[] {
  return loadPolicies(text).problems.filter((p) => !p.warning).map((p) => formatProblem("p.yaml", p));
}

const policy = (name: string, extra = "") => `apiVersion: kuadrant.io/v1alpha1
kind: TokenRateLimitPolicy
metadata: { name: ${name}, namespace: ns }
spec:
  targetRef: { group: gateway.networking.k8s.io, kind: Gateway, name: gw }
  limits:
    ${name}:
      rates: [{ limit: 10, window: 1m }]${extra}
`;

test("a whole TokenRateLimitPolicy gives its name, namespace, targetRef and plugin configuration", () => {
  const { policies, problems } = loadPolicies(EXAMPLE);
  assert.deepEqual(problems, []);
  assert.equal(policies.length, 1);
  const [p] = policies;
  assert.equal(p.name, "llm-budgets");
  assert.equal(p.namespace, "gateway-system");
  assert.deepEqual(p.targetRef, { group: "gateway.networking.k8s.io", kind: "Gateway", name: "llm-gateway" });
  assert.deepEqual(Object.keys(p.config), ["limits"]);
  assert.deepEqual(Object.keys(p.config.limits as object), ["free", "gold"]);
  assert.equal(policyLabel(p), "gateway-system/llm-budgets");
});

test("a bare spec is a policy without a name", () => {
  const { policies, problems } = loadPolicies("limits:\n  a:\n    rates: [{limit: 5, window: 1s}]\n");
  assert.deepEqual(problems, []);
  assert.deepEqual(policies, [{ config: { limits: { a: { rates: [{ limit: 5, window: "1s" }] } } } }]);
  assert.equal(policyLabel(policies[0]), "(unnamed)");
});

test("JSON is read as well as YAML", () => {
  const { policies } = loadPolicies('{"targetRef": {"kind": "Gateway", "name": "gw"}, "limits": {"a": {"rates": [{"limit": 5, "window": "1s"}]}}}');
  assert.deepEqual(policies[0].config, { limits: { a: { rates: [{ limit: 5, window: "1s" }] } } });
  assert.deepEqual(policies[0].targetRef, { kind: "Gateway", name: "gw" });
});

test("a multi-document file yields its policies and skips other kinds and empty documents", () => {
  const text = [
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: gw }\nspec: { gatewayClassName: istio }\n",
    policy("a"),
    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: r }\n",
    policy("b"),
    "",
  ].join("---\n");
  const { policies, problems } = loadPolicies(text);
  assert.deepEqual(problems, []);
  assert.deepEqual(policies.map(policyLabel), ["ns/a", "ns/b"]);
  assert.deepEqual(policies[1].config, { limits: { b: { rates: [{ limit: 10, window: "1m" }] } } });
});

test("a kind: List (kubectl get -o yaml) yields its items", () => {
  const item = (name: string) => policy(name).trimEnd().split("\n").map((l, i) => (i === 0 ? "  - " : "    ") + l).join("\n");
  const { policies, problems } = loadPolicies(`apiVersion: v1\nkind: List\nitems:\n${item("a")}\n${item("b")}\n`);
  assert.deepEqual(problems, []);
  assert.deepEqual(policies.map(policyLabel), ["ns/a", "ns/b"]);
});

test("a TokenRateLimitPolicyList yields its items too", () => {
  const text = "apiVersion: kuadrant.io/v1alpha1\nkind: TokenRateLimitPolicyList\nitems:\n  - kind: TokenRateLimitPolicy\n    metadata: { name: x }\n    spec: { limits: { a: { rates: [{ limit: 1, window: 1s }] } } }\n";
  assert.deepEqual(loadPolicies(text).policies.map(policyLabel), ["x"]);
});

test("a file without any policy is a problem that says what it found", () => {
  assert.deepEqual(problems("kind: Gateway\napiVersion: gateway.networking.k8s.io/v1\n---\nkind: HTTPRoute\n"), [
    "p.yaml: no TokenRateLimitPolicy found (found Gateway, HTTPRoute)",
  ]);
  assert.deepEqual(problems(""), ["p.yaml: no TokenRateLimitPolicy found"]);
  assert.deepEqual(problems("# only a comment\n---\n"), ["p.yaml: no TokenRateLimitPolicy found"]);
});

test("problems carry the line and column of the offending field", () => {
  const text = policy("free").replace("kind: Gateway", "kind: Service");
  assert.deepEqual(problems(text), ['p.yaml:5:50: spec.targetRef.kind: expected Gateway or HTTPRoute, got "Service"']);
});

test("the spec is left to the filter: the manifest alone does not look into limits", () => {
  const { policies, problems: found } = loadPolicies(policy("free").replace("window: 1m", "window: 1w"));
  assert.deepEqual(found.filter((p) => !p.warning), []);
  assert.deepEqual(policies[0].config, { limits: { free: { rates: [{ limit: 10, window: "1w" }] } } });
});

test("where Kuadrant's CRD would refuse a manifest is a warning at its line", () => {
  const text = policy("free").replace("window: 1m", "window: 1d").replace("  targetRef:", "  dryRun: true\n  targetRef:");
  const { policies, problems: found } = loadPolicies(text);
  assert.deepEqual(found.map((p) => formatProblem("p.yaml", p)), [
    "p.yaml:5:3: warning: spec.dryRun: tokenlimit extension: Kuadrant's CRD has no such field and refuses it",
    `p.yaml:9:28: warning: spec.limits.free.rates[0].window: Kuadrant's CRD refuses "1d": it takes 1 to 4 parts of up to 5 digits with h, m, s or ms, e.g. 24h`,
  ]);
  assert.equal(policies.length, 1, "warnings do not make a policy invalid");
  assert.deepEqual(loadPolicies("dryRun: true\nlimits: { a: { rates: [{ limit: 1, window: 1d }] } }\n").problems, [], "a bare spec is not a manifest");
});

test("a missing field is reported at its parent", () => {
  assert.deepEqual(problems("kind: TokenRateLimitPolicy\nmetadata: { name: x }\n"), ["p.yaml:1:1: spec: required"]);
  assert.deepEqual(problems("kind: TokenRateLimitPolicy\nspec:\n  targetRef: { name: gw }\n  limits: {}\n"), [
    "p.yaml:3:3: spec.targetRef.kind: required",
  ]);
});

test("problems in later documents and list items point at their own lines", () => {
  const text = `${policy("a")}---\n${policy("b").replace("kind: Gateway", "kind: Service")}`;
  assert.deepEqual(problems(text), ['p.yaml:14:50: spec.targetRef.kind: expected Gateway or HTTPRoute, got "Service"']);
  const list = "kind: List\nitems:\n  - kind: TokenRateLimitPolicy\n    spec: { targetRef: gw, limits: {} }\n";
  assert.deepEqual(problems(list), ['p.yaml:4:13: items[0].spec.targetRef: expected a mapping, got "gw"']);
});

test("kind and apiVersion are checked when present", () => {
  const text = "apiVersion: kuadrant.io/v1beta1\nkind: TokenRatelimitPolicy\nspec: { limits: { a: { rates: [{ limit: 1, window: 1s }] } } }\n";
  assert.deepEqual(problems(text), [
    'p.yaml:2:1: kind: expected TokenRateLimitPolicy, got "TokenRatelimitPolicy"',
    'p.yaml:1:1: apiVersion: expected kuadrant.io/v1alpha1 or kuadrant.io/v1, got "kuadrant.io/v1beta1"',
  ]);
  assert.deepEqual(problems(text.replace("kind: TokenRatelimitPolicy\n", "")), [
    'p.yaml:1:1: apiVersion: expected kuadrant.io/v1alpha1 or kuadrant.io/v1, got "kuadrant.io/v1beta1"',
  ]);
  assert.deepEqual(problems(text.replace("v1beta1", "v1").replace("Ratelimit", "RateLimit")), []);
});

test("other Kuadrant kinds in the same file are skipped", () => {
  const text = `apiVersion: kuadrant.io/v1\nkind: AuthPolicy\nspec: { rules: {} }\n---\n${policy("a")}---\nkind: RateLimitPolicy\n`;
  const { policies, problems: found } = loadPolicies(text);
  assert.deepEqual(found, []);
  assert.deepEqual(policies.map(policyLabel), ["ns/a"]);
  assert.deepEqual(problems("kind: AuthPolicy\n---\nkind: RateLimitPolicy\n"), [
    "p.yaml: no TokenRateLimitPolicy found (found AuthPolicy, RateLimitPolicy)",
  ]);
});

test("metadata is a mapping with string name and namespace", () => {
  const spec = "spec: { limits: { a: { rates: [{ limit: 1, window: 1s }] } } }\n";
  assert.deepEqual(problems(`kind: TokenRateLimitPolicy\nmetadata: x\n${spec}`), ['p.yaml:2:1: metadata: expected a mapping, got "x"']);
  assert.deepEqual(problems(`kind: TokenRateLimitPolicy\nmetadata: { name: 5 }\n${spec}`), ["p.yaml:2:13: metadata.name: expected a string, got 5"]);
});

test("a document that is neither a manifest nor a spec is a problem", () => {
  assert.deepEqual(problems("- a\n- b\n"), ["p.yaml:1:1: expected a TokenRateLimitPolicy or its spec, got a list"]);
  assert.deepEqual(problems("just text\n"), ['p.yaml:1:1: expected a TokenRateLimitPolicy or its spec, got "just text"']);
});

test("YAML syntax errors are reported with their position", () => {
  assert.deepEqual(problems("limits:\n  a: 1\n  a: 2\n"), ["p.yaml:3:3: invalid YAML: Map keys must be unique"]);
  assert.deepEqual(problems("limits:\n  free: {rates: [{limit: 1, window: 1m}]\n"), [
    "p.yaml:3:1: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }",
  ]);
});

test("every problem in every document is reported, valid policies are still returned", () => {
  const bad = policy("b").replace("apiVersion: kuadrant.io/v1alpha1", "apiVersion: v1").replace("kind: Gateway", "kind: Service");
  const { policies, problems: found, documents } = loadPolicies(`${policy("a")}---\n${bad}`);
  assert.deepEqual(policies.map(policyLabel), ["ns/a"]);
  assert.deepEqual(found.map((p) => `${p.line}: ${p.path}`), ["10: apiVersion", "14: spec.targetRef.kind"]);
  assert.deepEqual(documents.map((d) => [d.label, d.policy !== undefined]), [["ns/a", true], ["ns/b", true]], "the filter still checks ns/b's spec");
});
