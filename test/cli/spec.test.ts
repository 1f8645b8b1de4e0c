import { test } from "node:test";
import assert from "node:assert/strict";
import { formatPath } from "../../src/policy/errors.ts";
import { KUADRANT_WINDOW, kuadrantWarnings, targetRefErrors } from "../../src/policy/kuadrant.ts";
import { toPluginConfig } from "../../src/policy/spec.ts";

const rate = { limit: 100, window: "1m" };
const targetRef = { group: "gateway.networking.k8s.io", kind: "Gateway", name: "gw" };

/** The Kuadrant warnings of a manifest's spec, as `path: message` lines. */
function warnings(spec: Record<string, unknown>): string[] {
  return kuadrantWarnings(spec, ["spec"]).map((e) => `${formatPath(e.path)}: ${e.message}`);
}

function targetRefProblems(ref: unknown): string[] {
  return targetRefErrors(ref, ["spec", "targetRef"]).map((e) => `${formatPath(e.path)}: ${e.message}`);
}

const EXTENSION = "tokenlimit extension: Kuadrant's CRD has no such field and refuses it";
const refused = (window: string) => `Kuadrant's CRD refuses "${window}": it takes 1 to 4 parts of up to 5 digits with h, m, s or ms, e.g. 24h`;

test("paths format as a reader would type them", () => {
  assert.equal(formatPath(["spec", "limits", "free", "rates", 0, "window"]), "spec.limits.free.rates[0].window");
  assert.equal(formatPath(["spec", "limits", "gpt-4.1", "when"]), 'spec.limits["gpt-4.1"].when');
  assert.equal(formatPath([]), "");
  assert.equal(formatPath(["items", 1, "spec"]), "items[1].spec");
  assert.equal(formatPath([0, "spec"]), "[0].spec");
});

test("a spec with only Kuadrant's fields gets no Kuadrant warning", () => {
  assert.deepEqual(warnings({
    targetRef,
    when: [{ predicate: "true" }],
    limits: { free: { rates: [rate, { limit: 1, window: "1h30m500ms" }], when: [{ predicate: "a" }], counters: [{ expression: "b" }] } },
  }), []);
  assert.deepEqual(warnings({ targetRef, defaults: { strategy: "merge", when: [], limits: { a: { rates: [rate] } } } }), []);
});

test("Kuadrant's window pattern: 1 to 4 parts of 1 to 5 digits and h, m, s or ms", () => {
  const windows = (...list: string[]) => warnings({ targetRef, limits: { a: { rates: list.map((window) => ({ limit: 1, window })) } } });
  assert.deepEqual(windows("99999s", "1h1m1s1ms", "500ms", "24h"), []);
  assert.deepEqual(windows("100000s", "1h1h1h1h1h", "1d"), [
    `spec.limits.a.rates[0].window: ${refused("100000s")}`,
    `spec.limits.a.rates[1].window: ${refused("1h1h1h1h1h")}`,
    `spec.limits.a.rates[2].window: ${refused("1d")}`,
  ]);
  assert.equal(KUADRANT_WINDOW.source, "^([0-9]{1,5}(h|m|s|ms)){1,4}$");
});

test("tokenlimit's extension fields are named where Kuadrant's CRD would refuse them", () => {
  assert.deepEqual(warnings({
    targetRef, dryRun: true, usage: {}, dataExtraction: {},
    limits: { a: { rates: [{ ...rate, burst: 1 }], tokens: "output" } },
    overrides: { dataExtraction: {}, limits: { b: { rates: [{ limit: 1, window: "1d" }] } } },
  }), [
    `spec.dryRun: ${EXTENSION}`,
    `spec.usage: ${EXTENSION}`,
    `spec.dataExtraction: ${EXTENSION}`,
    `spec.overrides.dataExtraction: ${EXTENSION}`,
    `spec.overrides.limits.b.rates[0].window: ${refused("1d")}`,
    `spec.limits.a.tokens: ${EXTENSION}`,
    `spec.limits.a.rates[0].burst: ${EXTENSION}`,
  ]);
});

test("Kuadrant's CRD requires a targetRef", () => {
  assert.deepEqual(warnings({ limits: { a: { rates: [rate] } } }), ["spec.targetRef: required by Kuadrant's CRD (tokenlimit does not use it)"]);
});

test("targetRef names a Gateway or an HTTPRoute of the Gateway API", () => {
  assert.deepEqual(targetRefProblems(targetRef), []);
  assert.deepEqual(targetRefProblems({ kind: "HTTPRoute", name: "chat", sectionName: "rule-1" }), []);
  assert.deepEqual(targetRefProblems("gw"), ['spec.targetRef: expected a mapping, got "gw"']);
  assert.deepEqual(targetRefProblems({ group: "x.io", kind: "Service", name: "" }), [
    'spec.targetRef.group: expected gateway.networking.k8s.io, got "x.io"',
    'spec.targetRef.kind: expected Gateway or HTTPRoute, got "Service"',
    'spec.targetRef.name: expected a name, got ""',
  ]);
  assert.deepEqual(targetRefProblems({}), ["spec.targetRef.kind: required", "spec.targetRef.name: required"]);
  assert.deepEqual(targetRefProblems({ ...targetRef, nmae: "x", port: 80 }), [
    "spec.targetRef.nmae: unknown field; did you mean name?",
    "spec.targetRef.port: unknown field; expected one of group, kind, name, sectionName",
  ]);
});

test("the plugin configuration is the spec without targetRef, in the spec's order", () => {
  const spec = { dryRun: true, targetRef, when: [{ predicate: "p" }], limits: { a: { rates: [rate] } } };
  const config = toPluginConfig(spec);
  assert.deepEqual(config, { dryRun: true, when: [{ predicate: "p" }], limits: { a: { rates: [rate] } } });
  assert.deepEqual(Object.keys(config), ["dryRun", "when", "limits"]);
  assert.notEqual(config.limits, spec.limits, "values are copied");
});

test("extension fields, dataExtraction, defaults and overrides reach the filter as written", () => {
  const defaults = { strategy: "atomic", limits: { a: { rates: [rate] } }, when: [{ predicate: "p" }] };
  assert.deepEqual(toPluginConfig({ targetRef: {}, defaults, dryRun: false }), { defaults, dryRun: false });
  const spec = { dataExtraction: { response: { totalTokens: ["/usage/total_tokens"] } }, usage: { anything: 1 }, limits: { free: { rates: [rate], tokens: "output" } } };
  assert.deepEqual(toPluginConfig(spec), spec);
});
