// `render --format limitador` and `--format envoy-ratelimit`: the limits a rate-limit service
// needs to count what the filter sends. Exact output, what each engine cannot express, and
// a round trip: the descriptor the filter sends for every rate meets exactly the engine limit
// rendered for it, matched the way each engine matches.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { render } from "../../src/commands.ts";
import { type Entry, type RateCounter, descriptorFor, descriptorKeys, rateCounters } from "../../src/policy/descriptors.ts";
import { type LimitadorLimit, type RatelimitDescriptor, RATELIMIT_UNITS, celString, envoyRateLimitConfig, limitadorLimits } from "../../src/policy/engines.ts";
import { loadPolicies } from "../../src/policy/manifest.ts";
import { FILTER } from "./fixtures.ts";

const policy = (backend: string, extra = "") => `apiVersion: kuadrant.io/v1alpha1
kind: TokenRateLimitPolicy
metadata: { name: llm-budgets, namespace: gateway-system }
spec:
  targetRef: { group: gateway.networking.k8s.io, kind: Gateway, name: llm-gateway }
  limits:
    free:
      rates: [{ limit: 1000, window: 1m }, { limit: 20000, window: 24h }]
      counters: [{ expression: auth.identity.userid }, { expression: 'request.headers["x-model"]' }]
    shared:
      rates: [{ limit: 2000000, window: 1h }${extra}]
  counters:
    backend: ${backend}
    service: { cluster: rls, domain: llm }
`;

const LIMITADOR = `# Limitador limits for gateway-system/llm-budgets, namespace "llm": one limit per rate.
# The filter sends one descriptor per limit: tokenlimit_limit, then tokenlimit_counter_<i>.

- namespace: llm
  name: free.rates[0]
  max_value: 1000
  seconds: 60
  conditions:
    - descriptors[0]['tokenlimit_limit'] == 'free'
  variables:
    - descriptors[0]['tokenlimit_counter_0']
    - descriptors[0]['tokenlimit_counter_1']
- namespace: llm
  name: free.rates[1]
  max_value: 20000
  seconds: 86400
  conditions:
    - descriptors[0]['tokenlimit_limit'] == 'free'
  variables:
    - descriptors[0]['tokenlimit_counter_0']
    - descriptors[0]['tokenlimit_counter_1']
- namespace: llm
  name: shared.rates[0]
  max_value: 2000000
  seconds: 3600
  conditions:
    - descriptors[0]['tokenlimit_limit'] == 'shared'
  variables: []
`;

const ENVOY_RATELIMIT = `# envoyproxy/ratelimit configuration for gateway-system/llm-budgets: one descriptor per rate,
# tokenlimit_limit, then tokenlimit_window (seconds), then tokenlimit_counter_<i>.

domain: llm
descriptors:
  - key: tokenlimit_limit
    value: free
    descriptors:
      - key: tokenlimit_window
        value: "60"
        descriptors:
          - key: tokenlimit_counter_0
            descriptors:
              - key: tokenlimit_counter_1
                rate_limit:
                  unit: minute
                  requests_per_unit: 1000
      - key: tokenlimit_window
        value: "86400"
        descriptors:
          - key: tokenlimit_counter_0
            descriptors:
              - key: tokenlimit_counter_1
                rate_limit:
                  unit: day
                  requests_per_unit: 20000
  - key: tokenlimit_limit
    value: shared
    descriptors:
      - key: tokenlimit_window
        value: "3600"
        rate_limit:
          unit: hour
          requests_per_unit: 2000000
`;

const configOf = (text: string) => {
  const { policies, problems } = loadPolicies(text);
  assert.deepEqual(problems.filter((p) => !p.warning), []);
  return policies[0].config;
};

test("--format limitador prints one Limitador limit per rate, in the policy's namespace", async () => {
  const out = await render("p.yaml", policy("limitador"), FILTER, { format: "limitador" });
  assert.deepEqual(out, { code: 0, stdout: LIMITADOR, stderr: "" });
});

test("--format envoy-ratelimit prints the domain and one descriptor tree per limit, the rate at its leaf", async () => {
  const out = await render("p.yaml", policy("envoy-rls"), FILTER, { format: "envoy-ratelimit" });
  assert.deepEqual(out, { code: 0, stdout: ENVOY_RATELIMIT, stderr: "" });
});

test("the YAML parses back to exactly what the descriptor model gives", () => {
  const config = configOf(policy("limitador"));
  const limits = limitadorLimits(config);
  assert.ok("value" in limits);
  assert.deepEqual(parse(LIMITADOR), limits.value);
  const rls = envoyRateLimitConfig(configOf(policy("envoy-rls")));
  assert.ok("value" in rls);
  assert.deepEqual(parse(ENVOY_RATELIMIT), rls.value);
});

test("the descriptors carry the limit, the window for envoy-rls only, then the counter values in order", () => {
  const [free0, , shared] = rateCounters(configOf(policy("limitador")));
  assert.deepEqual(descriptorKeys(free0, "limitador"), ["tokenlimit_limit", "tokenlimit_counter_0", "tokenlimit_counter_1"]);
  assert.deepEqual(descriptorKeys(free0, "envoy-rls"), ["tokenlimit_limit", "tokenlimit_window", "tokenlimit_counter_0", "tokenlimit_counter_1"]);
  assert.deepEqual(descriptorFor(free0, "envoy-rls", ["alice", "gpt-4o"]), [
    { key: "tokenlimit_limit", value: "free" }, { key: "tokenlimit_window", value: "60" },
    { key: "tokenlimit_counter_0", value: "alice" }, { key: "tokenlimit_counter_1", value: "gpt-4o" },
  ]);
  assert.deepEqual(descriptorFor(shared, "limitador", []), [{ key: "tokenlimit_limit", value: "shared" }]);
  assert.equal(descriptorFor(free0, "limitador", ["alice"]), undefined, "one value per counter expression");
});

/**
 * The Limitador limits a descriptor meets: every condition holds and every variable is set.
 * Conditions are read in the one form render writes, `descriptors[0]['k'] == 'v'`.
 */
function limitadorMatches(limits: LimitadorLimit[], namespace: string, entries: Entry[]): LimitadorLimit[] {
  const map = new Map(entries.map((e) => [e.key, e.value]));
  const keyOf = (expr: string) => /^descriptors\[0\]\['([a-z0-9_]+)'\]$/.exec(expr)?.[1];
  return limits.filter((l) => l.namespace === namespace && l.conditions.every((c) => {
    const m = /^(descriptors\[0\]\['[a-z0-9_]+'\]) == '([^'\\]*)'$/.exec(c);
    assert.ok(m, `condition in the rendered form: ${c}`);
    return map.get(keyOf(m[1])!) === m[2];
  }) && l.variables.every((v) => map.has(keyOf(v)!)));
}

/** The rate limit envoyproxy/ratelimit finds for a descriptor: key_value before key, entry by entry (config_impl.go GetLimit). */
function ratelimitMatch(tree: RatelimitDescriptor[], entries: Entry[]): RatelimitDescriptor["rate_limit"] {
  let level: RatelimitDescriptor[] | undefined = tree;
  let node: RatelimitDescriptor | undefined;
  for (const { key, value } of entries) {
    node = level?.find((d) => d.key === key && d.value === value) ?? level?.find((d) => d.key === key && d.value === undefined);
    if (node === undefined) return undefined;
    level = node.descriptors;
  }
  return node?.rate_limit;
}

test("every rate's descriptor meets exactly its own limit in both engines, whatever the counter values", () => {
  const limitador = configOf(policy("limitador"));
  const limits = (limitadorLimits(limitador) as { value: LimitadorLimit[] }).value;
  const rls = (envoyRateLimitConfig(configOf(policy("envoy-rls"))) as { value: { descriptors: RatelimitDescriptor[] } }).value;
  const values = (rate: RateCounter, who: string) => rate.counters.map((_, i) => `${who}-${i}`);
  for (const rate of rateCounters(limitador)) {
    for (const who of ["alice", "bob's", "x y"]) {
      // Limitador: one request per limit, so a descriptor meets every rate of its limit.
      const met = limitadorMatches(limits, "llm", descriptorFor(rate, "limitador", values(rate, who))!);
      assert.deepEqual(met.map((l) => l.name), limits.filter((l) => l.name.startsWith(rate.limit + ".")).map((l) => l.name));
      const own = met.find((l) => l.name === `${rate.limit}.rates[${rate.rateIndex}]`)!;
      assert.deepEqual([own.max_value, own.seconds], [rate.max, rate.windowMs / 1000]);
      // envoy-ratelimit: one descriptor per rate, meeting that rate alone.
      const leaf = ratelimitMatch(rls.descriptors, descriptorFor(rate, "envoy-rls", values(rate, who))!);
      assert.ok(leaf, `${rate.path} has a rate limit`);
      assert.deepEqual([leaf.requests_per_unit, RATELIMIT_UNITS[leaf.unit]], [rate.max, rate.windowMs / 1000]);
    }
  }
  assert.equal(limitadorMatches(limits, "other", descriptorFor(rateCounters(limitador)[2], "limitador", [])!).length, 0, "another namespace");
});

test("envoy-ratelimit refuses a window that is not exactly one unit, and a limit above a uint32, naming the rate", async () => {
  const extra = `, { limit: 5, window: 90m }, { limit: 5000000000, window: 7d }, { limit: 5, window: 30d }`;
  const out = await render("p.yaml", policy("envoy-rls", extra), FILTER, { format: "envoy-ratelimit" });
  const unitless = "its windows are exactly one second, minute, hour, day, week (7d), month (30d) or year (365d), with no multiplier";
  assert.deepEqual(out, {
    code: 1, stdout: "",
    stderr: "p.yaml: policy gateway-system/llm-budgets:\n" +
      `  11:59: spec.limits.shared.rates[1].window: envoy-ratelimit cannot count a window of 90m: ${unitless}\n` +
      "  11:76: spec.limits.shared.rates[2].limit: envoy-ratelimit counts at most 4294967295 per unit (requests_per_unit is a uint32), got 5000000000\n",
  });
});

test("a window that is not whole seconds is refused by the filter itself on a service backend; Limitador takes any whole number of seconds", async () => {
  const crdWarning = "  12:3: warning: spec.counters: tokenlimit extension: Kuadrant's CRD has no such field and refuses it\n";
  for (const [backend, format] of [["limitador", "limitador"], ["envoy-rls", "envoy-ratelimit"]] as const) {
    const out = await render("p.yaml", policy(backend, `, { limit: 5, window: 1500ms }`), FILTER, { format });
    assert.deepEqual(out, {
      code: 1, stdout: "",
      stderr: 'p.yaml: policy gateway-system/llm-budgets:\n  11:59: spec.limits.shared.rates[1].window: a rate-limit service counts whole seconds, got "1500ms"\n' + crdWarning,
    });
  }
  const ok = await render("p.yaml", policy("limitador", `, { limit: 5, window: 90m }, { limit: 5000000000, window: 2d1s }`), FILTER, { format: "limitador" });
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(parse(ok.stdout).slice(3).map((l: LimitadorLimit) => [l.max_value, l.seconds]), [[5, 5400], [5000000000, 172801]]);
});

test("two rates of a limit with the same window are refused by both engines: they would be one counter", async () => {
  const extra = `, { limit: 5, window: 60m }`;
  const limitador = await render("p.yaml", policy("limitador", extra), FILTER, { format: "limitador" });
  assert.deepEqual(limitador.stderr, "p.yaml: policy gateway-system/llm-budgets:\n" +
    "  11:59: spec.limits.shared.rates[1].window: same window as rates[0] (3600s): Limitador would count both rates in one counter; keep the smaller limit\n");
  const rls = await render("p.yaml", policy("envoy-rls", extra), FILTER, { format: "envoy-ratelimit" });
  assert.deepEqual(rls.stderr, "p.yaml: policy gateway-system/llm-budgets:\n" +
    "  11:59: spec.limits.shared.rates[1].window: same window as rates[0] (60m): envoy-ratelimit refuses a duplicate descriptor; keep the smaller limit\n");
  assert.equal(limitador.code + rls.code, 2);
});

test("each format is for its own backend: the other service's is refused, the local backend warned about", async () => {
  assert.deepEqual(await render("p.yaml", policy("envoy-rls"), FILTER, { format: "limitador" }), {
    code: 1, stdout: "",
    stderr: 'p.yaml: policy gateway-system/llm-budgets:\n  13:5: spec.counters.backend: --format limitador is for counters.backend "limitador", not "envoy-rls"\n',
  });
  assert.deepEqual(await render("p.yaml", policy("limitador"), FILTER, { format: "envoy-ratelimit" }), {
    code: 1, stdout: "",
    stderr: 'p.yaml: policy gateway-system/llm-budgets:\n  13:5: spec.counters.backend: --format envoy-ratelimit is for counters.backend "envoy-rls", not "limitador"\n',
  });
  const local = policy("local").replace(/\n  counters:\n[^]*$/, "\n");
  const out = await render("p.yaml", local, FILTER, { format: "limitador" });
  assert.equal(out.code, 0);
  assert.equal(out.stderr, 'warning: counters.backend is "local": the filter counts in the proxy and calls no service; set it to "limitador" for these limits to count\n');
  assert.deepEqual(parse(out.stdout).map((l: LimitadorLimit) => l.namespace), ["tokenlimit", "tokenlimit", "tokenlimit"], "the default key prefix");
});

test("the namespace and domain default to counters.keyPrefix", async () => {
  const text = policy("envoy-rls").replace("service: { cluster: rls, domain: llm }", "keyPrefix: gw-eu\n    service: { cluster: rls }");
  const out = await render("p.yaml", text, FILTER, { format: "envoy-ratelimit" });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(parse(out.stdout).domain, "gw-eu");
});

test("a policy the filter refuses is not rendered; --wasm-url is not for these formats", async () => {
  const bad = await render("p.yaml", policy("limitador").replace("cluster: rls, ", ""), FILTER, { format: "limitador" });
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, "");
  assert.match(bad.stderr, /spec\.counters\.service\.cluster/);
  assert.deepEqual(await render("p.yaml", policy("limitador"), FILTER, { format: "limitador", wasmUrl: "/x.wasm" }), {
    code: 1, stdout: "", stderr: "--wasm-url: not for --format limitador\n",
  });
});

test("CEL string literals escape quotes and backslashes", () => {
  assert.equal(celString("free"), "'free'");
  assert.equal(celString(`it's a \\ test`), `'it\\'s a \\\\ test'`);
  assert.equal(celString("a\nb"), "'a\\nb'");
});

test("limits under defaults or overrides are counted as the filter enforces them, and named by their own path", () => {
  const limits = { free: { rates: [{ limit: 10, window: "1m" }], counters: [{ expression: "auth.identity.userid" }] } };
  for (const block of ["defaults", "overrides"]) {
    const config = { [block]: { limits }, counters: { backend: "envoy-rls", service: { cluster: "rls" } } };
    const [rate] = rateCounters(config);
    assert.equal(rate.path, `${block}.limits.free.rates[0]`);
    const rls = envoyRateLimitConfig(config);
    assert.ok("value" in rls);
    assert.deepEqual(ratelimitMatch(rls.value.descriptors, descriptorFor(rate, "envoy-rls", ["alice"])!), { unit: "minute", requests_per_unit: 10 });
  }
  const bad = envoyRateLimitConfig({ defaults: { limits: { "free tier": { rates: [{ limit: 10, window: "90s" }] } } } });
  assert.deepEqual("errors" in bad && bad.errors.map((e) => e.path), [["defaults", "limits", "free tier", "rates", 0, "window"]]);
});
