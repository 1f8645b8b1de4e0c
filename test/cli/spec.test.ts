import { test } from "node:test";
import assert from "node:assert/strict";
import { parseWindow } from "../../src/policy/duration.ts";
import { formatPath } from "../../src/policy/errors.ts";
import { toPluginConfig, validateSpec } from "../../src/policy/spec.ts";

/** The errors of a spec at `spec`, as `path: message` lines. */
function problems(spec: unknown): string[] {
  return validateSpec(spec, ["spec"]).map((e) => `${formatPath(e.path)}: ${e.message}`);
}

const rate = { limit: 100, window: "1m" };
const withRates = (rates: unknown) => ({ limits: { free: { rates } } });

test("windows in Kuadrant's duration format parse to milliseconds", () => {
  assert.equal(parseWindow("30s"), 30_000);
  assert.equal(parseWindow("1m"), 60_000);
  assert.equal(parseWindow("24h"), 86_400_000);
  assert.equal(parseWindow("1h30m"), 5_400_000);
  assert.equal(parseWindow("500ms"), 500);
  assert.equal(parseWindow("1d"), 86_400_000);
  assert.equal(parseWindow("1m30s500ms"), 90_500);
  assert.equal(parseWindow("0s"), 0);
});

test("windows outside the format do not parse", () => {
  for (const bad of ["", "1w", "1.5h", "1m30", "m", "-1m", " 1m", "123456s", "1s1s1s1s1s", "1H"]) {
    assert.equal(parseWindow(bad), null, bad);
  }
});

test("paths format as a reader would type them", () => {
  assert.equal(formatPath(["spec", "limits", "free", "rates", 0, "window"]), "spec.limits.free.rates[0].window");
  assert.equal(formatPath(["spec", "limits", "gpt-4.1", "when"]), 'spec.limits["gpt-4.1"].when');
  assert.equal(formatPath([]), "");
  assert.equal(formatPath(["items", 1, "spec"]), "items[1].spec");
  assert.equal(formatPath([0, "spec"]), "[0].spec");
});

test("a spec with a limit, a rate, when and counters is valid", () => {
  assert.deepEqual(problems({
    targetRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: "gw" },
    when: [{ predicate: "true" }],
    limits: { free: { rates: [rate, { limit: 1, window: "1d" }], when: [{ predicate: "a" }], counters: [{ expression: "b" }] } },
  }), []);
});

test("tokenlimit's extension fields are accepted and passed through unchecked", () => {
  const spec = { limits: { free: { rates: [rate] } }, dryRun: true, usage: { anything: 1 }, failureMode: "open",
    identity: {}, cost: {}, admission: {}, onCounterError: "allow", response: {}, counters: {} };
  assert.deepEqual(problems(spec), []);
  assert.deepEqual(toPluginConfig(spec), spec);
});

test("Kuadrant's dataExtraction and a limit's tokens are passed through unchecked", () => {
  const spec = { dataExtraction: { response: { totalTokens: ["/usage/total_tokens"] } }, limits: { free: { rates: [rate], tokens: "output" } } };
  assert.deepEqual(problems(spec), []);
  assert.deepEqual(problems({ defaults: { dataExtraction: {}, limits: { free: { rates: [rate] } } } }), []);
  assert.deepEqual(toPluginConfig(spec), spec);
});

test("limit names are what the filter can use in metrics and counter keys", () => {
  assert.deepEqual(problems({ limits: { "gpt-4.1_daily": { rates: [rate] }, ["x".repeat(128)]: { rates: [rate] } } }), []);
  assert.deepEqual(problems({ limits: { "per user": { rates: [] }, ["x".repeat(129)]: { rates: [rate] } } }), [
    `spec.limits["per user"]: expected a limit name of 1 to 128 letters, digits, '_', '.' or '-'`,
    `spec.limits.${"x".repeat(129)}: expected a limit name of 1 to 128 letters, digits, '_', '.' or '-'`,
  ]);
  assert.deepEqual(problems({ limits: { "": { rates: [rate] } } }), [`spec.limits[""]: expected a limit name of 1 to 128 letters, digits, '_', '.' or '-'`]);
});

test("the spec must be a mapping", () => {
  assert.deepEqual(problems([1]), ["spec: expected a mapping, got a list"]);
  assert.deepEqual(problems(null), ["spec: expected a mapping, got an empty value"]);
});

test("limits is required, a mapping, and not empty", () => {
  assert.deepEqual(problems({}), ["spec.limits: required"]);
  assert.deepEqual(problems({ limits: [] }), ["spec.limits: expected a mapping of named limits, got a list"]);
  assert.deepEqual(problems({ limits: {} }), ["spec.limits: expected at least one limit"]);
  assert.deepEqual(problems({ limits: { free: "x" } }), ['spec.limits.free: expected a mapping, got "x"']);
});

test("unknown fields are named, with the field they probably meant", () => {
  assert.deepEqual(problems({ limit: {}, limits: { free: { rates: [rate] } } }), ["spec.limit: unknown field; did you mean limits?"]);
  assert.deepEqual(problems({ Limits: {}, limits: { free: { rates: [rate] } } }), ["spec.Limits: unknown field; did you mean limits?"]);
  assert.deepEqual(problems({ zzz: 1, limits: { free: { rates: [rate] } } }), [
    "spec.zzz: unknown field; expected one of targetRef, defaults, overrides, limits, when, dataExtraction, identity, usage, cost, admission, onCounterError, failureMode, dryRun, response, counters",
  ]);
  assert.deepEqual(problems({ limits: { free: { rates: [rate], counter: [] } } }), ["spec.limits.free.counter: unknown field; did you mean counters?"]);
  assert.deepEqual(problems(withRates([{ ...rate, burst: 2 }])), ["spec.limits.free.rates[0].burst: unknown field; expected one of limit, window"]);
});

test("a limit needs at least one rate", () => {
  assert.deepEqual(problems({ limits: { free: {} } }), ["spec.limits.free.rates: required"]);
  assert.deepEqual(problems(withRates([])), ["spec.limits.free.rates: expected at least one rate"]);
  assert.deepEqual(problems(withRates(rate)), ["spec.limits.free.rates: expected a list, got a mapping"]);
  assert.deepEqual(problems(withRates(["1/m"])), ['spec.limits.free.rates[0]: expected a mapping, got "1/m"']);
});

test("a rate's limit is a positive integer", () => {
  assert.deepEqual(problems(withRates([{ window: "1m" }])), ["spec.limits.free.rates[0].limit: required"]);
  for (const [limit, shown] of [[0, "0"], [-5, "-5"], [1.5, "1.5"], ["20000", '"20000"'], [2 ** 53, "9007199254740992"], [null, "an empty value"]]) {
    assert.deepEqual(problems(withRates([{ limit, window: "1m" }])), [`spec.limits.free.rates[0].limit: expected a positive integer, got ${shown}`]);
  }
});

test("a rate's window is a non-zero duration", () => {
  assert.deepEqual(problems(withRates([{ limit: 1 }])), ["spec.limits.free.rates[0].window: required"]);
  assert.deepEqual(problems(withRates([{ limit: 1, window: "1w" }])), [
    'spec.limits.free.rates[0].window: expected a duration such as 30s, 1m, 24h, 1h30m, 500ms or 1d, got "1w"',
  ]);
  assert.deepEqual(problems(withRates([{ limit: 1, window: 60 }])), [
    "spec.limits.free.rates[0].window: expected a duration such as 30s, 1m, 24h, 1h30m, 500ms or 1d, got 60",
  ]);
  assert.deepEqual(problems(withRates([{ limit: 1, window: "0m" }])), ['spec.limits.free.rates[0].window: expected a duration longer than zero, got "0m"']);
  assert.deepEqual(problems(withRates([{ limit: 1, window: "366d" }, { limit: 1, window: "8784h" }])), []);
  assert.deepEqual(problems(withRates([{ limit: 1, window: "366d1ms" }])), ['spec.limits.free.rates[0].window: expected a duration of at most 366d, got "366d1ms"']);
});

test("when entries are mappings with one CEL predicate", () => {
  const when = (list: unknown) => problems({ limits: { free: { rates: [rate], when: list } } });
  assert.deepEqual(when({ predicate: "a" }), ["spec.limits.free.when: expected a list, got a mapping"]);
  assert.deepEqual(when(["a == b"]), ['spec.limits.free.when[0]: expected a mapping with predicate, got "a == b"']);
  assert.deepEqual(when([{}]), ["spec.limits.free.when[0].predicate: required"]);
  assert.deepEqual(when([{ predicate: " " }]), ['spec.limits.free.when[0].predicate: expected a CEL expression, got " "']);
  assert.deepEqual(when([{ predicate: true }]), ["spec.limits.free.when[0].predicate: expected a CEL expression, got true"]);
  assert.deepEqual(when([{ predicate: "a", expression: "b" }]), ["spec.limits.free.when[0].expression: unknown field; expected one of predicate"]);
});

test("the top-level when is checked like a limit's", () => {
  assert.deepEqual(problems({ when: [{ predicat: "x" }], limits: { free: { rates: [rate] } } }), [
    "spec.when[0].predicat: unknown field; did you mean predicate?",
    "spec.when[0].predicate: required",
  ]);
});

test("counters entries are mappings with one CEL expression", () => {
  const counters = (list: unknown) => problems({ limits: { free: { rates: [rate], counters: list } } });
  assert.deepEqual(counters("auth.identity.userid"), ['spec.limits.free.counters: expected a list, got "auth.identity.userid"']);
  assert.deepEqual(counters([5]), ["spec.limits.free.counters[0]: expected a mapping with expression, got 5"]);
  assert.deepEqual(counters([{ expression: "" }]), ['spec.limits.free.counters[0].expression: expected a CEL expression, got ""']);
  assert.deepEqual(counters([{ expr: "a" }]), [
    "spec.limits.free.counters[0].expr: unknown field; expected one of expression",
    "spec.limits.free.counters[0].expression: required",
  ]);
});

test("targetRef names a Gateway or an HTTPRoute of the Gateway API", () => {
  const limits = { free: { rates: [rate] } };
  assert.deepEqual(problems({ targetRef: "gw", limits }), ['spec.targetRef: expected a mapping, got "gw"']);
  assert.deepEqual(problems({ targetRef: { group: "x.io", kind: "Service", name: "" }, limits }), [
    'spec.targetRef.group: expected gateway.networking.k8s.io, got "x.io"',
    'spec.targetRef.kind: expected Gateway or HTTPRoute, got "Service"',
    'spec.targetRef.name: expected a name, got ""',
  ]);
  assert.deepEqual(problems({ targetRef: {}, limits }), ["spec.targetRef.kind: required", "spec.targetRef.name: required"]);
});

test("defaults and overrides hold limits and exclude the bare form", () => {
  const limits = { free: { rates: [rate] } };
  assert.deepEqual(problems({ defaults: { limits } }), []);
  assert.deepEqual(problems({ overrides: { strategy: "merge", limits, when: [{ predicate: "p" }] } }), []);
  assert.deepEqual(problems({ defaults: { limits }, overrides: { limits } }), ["spec.overrides: not allowed together with defaults"]);
  assert.deepEqual(problems({ defaults: { limits }, limits, when: [] }), [
    "spec.limits: not allowed together with defaults (Kuadrant ignores it then); move it into defaults",
    "spec.when: not allowed together with defaults (Kuadrant ignores it then); move it into defaults",
  ]);
  assert.deepEqual(problems({ defaults: { strategy: "replace" } }), [
    'spec.defaults.strategy: expected atomic or merge, got "replace"',
    "spec.defaults.limits: required",
  ]);
  assert.deepEqual(problems({ overrides: { limits, dryRun: true } }), ["spec.overrides.dryRun: unknown field; expected one of strategy, limits, when, dataExtraction"]);
});

test("the plugin configuration is the spec without targetRef, in the spec's order", () => {
  const spec = { dryRun: true, targetRef: { kind: "Gateway", name: "gw" }, when: [{ predicate: "p" }], limits: { a: { rates: [rate] } } };
  const config = toPluginConfig(spec);
  assert.deepEqual(config, { dryRun: true, when: [{ predicate: "p" }], limits: { a: { rates: [rate] } } });
  assert.deepEqual(Object.keys(config), ["dryRun", "when", "limits"]);
  assert.notEqual(config.limits, spec.limits, "values are copied");
});

test("defaults and overrides reach the filter as written", () => {
  const defaults = { strategy: "atomic", limits: { a: { rates: [rate] } }, when: [{ predicate: "p" }] };
  assert.deepEqual(toPluginConfig({ targetRef: {}, defaults, dryRun: false }), { defaults, dryRun: false });
});
