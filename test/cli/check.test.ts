// `validate` runs the real filter: every rule about a spec is the filter's, reported at
// the line and column of the YAML it comes from, together with the manifest's own
// problems and where Kuadrant's CRD would refuse the manifest, in one pass.
import { test } from "node:test";
import assert from "node:assert/strict";
import { validate } from "../../src/commands.ts";
import { FILTER } from "./fixtures.ts";
import { echoModule } from "./wat.ts";

/** `validate`'s exit code and stderr lines for `text`, read from p.yaml. */
async function check(text: string): Promise<{ code: number; lines: string[] }> {
  const out = await validate("p.yaml", text, FILTER);
  return { code: out.code, lines: out.stderr.split("\n").filter((l) => l !== "") };
}

const manifest = (spec: string, name = "a") => `apiVersion: kuadrant.io/v1alpha1
kind: TokenRateLimitPolicy
metadata: { name: ${name}, namespace: ns }
spec:
  targetRef: { group: gateway.networking.k8s.io, kind: Gateway, name: gw }
${spec}`;

const refused = (window: string) => `Kuadrant's CRD refuses "${window}": it takes 1 to 4 parts of up to 5 digits with h, m, s or ms, e.g. 24h`;

test("windows are the filter's: 100000s and 1h1h1h1h1h are valid, with Kuadrant's CRD warnings", async () => {
  const text = manifest("  limits:\n    a:\n      rates:\n        - { limit: 1, window: 100000s }\n        - { limit: 1, window: 1h1h1h1h1h }\n        - { limit: 1, window: 1d }\n");
  assert.deepEqual(await validate("p.yaml", text, FILTER), {
    code: 0,
    stdout: "p.yaml: valid: ns/a (accepted by tokenlimit.wasm)\n",
    stderr: "p.yaml: policy ns/a:\n" +
      `  9:23: warning: spec.limits.a.rates[0].window: ${refused("100000s")}\n` +
      `  10:23: warning: spec.limits.a.rates[1].window: ${refused("1h1h1h1h1h")}\n` +
      `  11:23: warning: spec.limits.a.rates[2].window: ${refused("1d")}\n`,
  });
});

test("the filter's duration errors, at the line of each window", async () => {
  const text = "limits:\n  free:\n    rates:\n      - { limit: 1, window: 1w }\n      - { limit: 1, window: 0m }\n      - { limit: 1, window: 366d1ms }\n      - { limit: 1, window: 60 }\n      - { limit: 1, window: 366d }\n";
  assert.deepEqual(await check(text), {
    code: 1,
    lines: [
      "p.yaml: policy (unnamed):",
      '  4:21: limits.free.rates[0].window: invalid duration "1w" (expected e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d)',
      '  5:21: limits.free.rates[1].window: duration "0m" must be greater than zero',
      '  6:21: limits.free.rates[2].window: duration "366d1ms" is longer than 366d',
      "  7:21: limits.free.rates[3].window: expected a duration string (e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d), got 60",
    ],
  });
});

test("a rate's limit is a positive integer, as the filter reads it", async () => {
  const text = 'limits:\n  free:\n    rates: [{ limit: 0, window: 1m }, { limit: -5, window: 1m }, { limit: 1.5, window: 1m }, { limit: "20000", window: 1m }, { limit: 20_000, window: 1m }, { window: 1m }]\n';
  assert.deepEqual(await check(text), {
    code: 1,
    lines: [
      "p.yaml: policy (unnamed):",
      "  3:15: limits.free.rates[0].limit: expected a positive integer, got 0",
      "  3:41: limits.free.rates[1].limit: expected a positive integer, got -5",
      "  3:68: limits.free.rates[2].limit: expected a positive integer, got 1.5",
      '  3:96: limits.free.rates[3].limit: expected a positive integer, got "20000"',
      '  3:128: limits.free.rates[4].limit: expected a positive integer, got "20_000"',
      "  3:157: limits.free.rates[5].limit: required",
    ],
  });
});

test("unknown fields, limit names and missing rates: every problem of a spec at once", async () => {
  const text = 'limit: {}\nlimits:\n  free:\n    counter: []\n  "per user":\n    rates: []\n  ok:\n    rates: { limit: 1, window: 1m }\n';
  assert.deepEqual(await check(text), {
    code: 1,
    lines: [
      "p.yaml: policy (unnamed):",
      "  1:1: limit: unknown field (expected one of: limits, when, defaults, overrides, dataExtraction, identity, usage, cost, admission, onCounterError, failureMode, dryRun, response, counters, alerts, accessLog)",
      "  3:3: limits.free.rates: required",
      "  4:5: limits.free.counter: unknown field (expected one of: rates, when, counters, tokens, alerts, soft)",
      `  5:3: limits["per user"]: invalid limit name "per user" (expected 1 to 128 letters, digits, '_', '.' or '-')`,
      `  6:5: limits["per user"].rates: must contain at least one rate`,
      "  8:5: limits.ok.rates: expected an array, got object",
    ],
  });
  assert.deepEqual(await check("limits: {}\n"), { code: 1, lines: ["p.yaml: policy (unnamed):", "  1:1: limits: must contain at least one limit"] });
  assert.deepEqual(await check("when: []\n"), { code: 1, lines: ["p.yaml: policy (unnamed):", "  1:1: limits: required"] });
});

test("when and counters entries, and CEL, are checked by the filter", async () => {
  const text = 'when: [{ predicat: x }]\nlimits:\n  free:\n    rates: [{ limit: 1, window: 1m }]\n    when: ["a == b", { predicate: " " }, { predicate: true }, { predicate: request.pth == "/" }]\n    counters: [5, { expression: "" }, { expr: a }]\n';
  assert.deepEqual(await check(text), {
    code: 1,
    lines: [
      "p.yaml: policy (unnamed):",
      "  1:8: when[0].predicate: required",
      "  1:10: when[0].predicat: unknown field (expected one of: predicate)",
      '  5:12: limits.free.when[0]: expected an object like {"predicate": "<CEL expression>"}, got "a == b"',
      "  5:24: limits.free.when[1].predicate: must not be empty",
      "  5:44: limits.free.when[2].predicate: expected a CEL expression string, got true",
      `  5:65: limits.free.when[3].predicate: invalid CEL at offset 7: undeclared reference to 'request.pth' in "request.pth == \\"/\\""`,
      '  6:16: limits.free.counters[0]: expected an object like {"expression": "<CEL expression>"}, got 5',
      "  6:21: limits.free.counters[1].expression: must not be empty",
      "  6:39: limits.free.counters[2].expression: required",
      "  6:41: limits.free.counters[2].expr: unknown field (expected one of: expression)",
    ],
  });
});

test("defaults and overrides: the filter's rules and its warning about strategy", async () => {
  const limits = "{ limits: { a: { rates: [{ limit: 1, window: 1m }] } } }";
  assert.deepEqual(await check(`defaults: ${limits}\noverrides: { limits: {} }\n`), {
    code: 1, lines: ["p.yaml: policy (unnamed):", "  2:1: overrides: cannot be used together with defaults (set one)"],
  });
  assert.deepEqual(await check(`defaults: ${limits}\nlimits: { a: { rates: [{ limit: 1, window: 1m }] } }\n`), {
    code: 1, lines: ["p.yaml: policy (unnamed):", "  1:1: defaults: cannot be used together with limits (set one)"],
  });
  assert.deepEqual(await check("defaults: { strategy: replace, dryRun: true }\n"), {
    code: 1,
    lines: [
      "p.yaml: policy (unnamed):",
      "  1:1: defaults.limits: required",
      '  1:13: defaults.strategy: expected one of "atomic", "merge", got "replace"',
      "  1:32: defaults.dryRun: unknown field (expected one of: limits, when, strategy, dataExtraction)",
    ],
  });
  assert.deepEqual(await check(manifest("  defaults:\n    strategy: merge\n    limits: { a: { rates: [{ limit: 1, window: 1m }] } }\n")), {
    code: 0,
    lines: ["p.yaml: policy ns/a:", "  7:5: warning: spec.defaults.strategy: ignored (it matters only when Kuadrant merges several policies)"],
  });
});

test("the manifest's errors, the filter's and Kuadrant's warnings come in one pass, in the order of the text", async () => {
  const text = manifest("  dryRun: maybe\n  usage: { provider: openai }\n  limits:\n    a:\n      rates: [{ limit: 0, window: 1d }, { limit: 1, window: 1w }]\n")
    .replace("kind: Gateway", "kind: Service");
  assert.deepEqual(await check(text), {
    code: 1,
    lines: [
      "p.yaml: policy ns/a:",
      '  5:50: spec.targetRef.kind: expected Gateway or HTTPRoute, got "Service"',
      '  6:3: spec.dryRun: expected true or false, got "maybe"',
      "  7:3: warning: spec.usage: tokenlimit extension: Kuadrant's CRD has no such field and refuses it",
      "  10:17: spec.limits.a.rates[0].limit: expected a positive integer, got 0",
      `  10:27: warning: spec.limits.a.rates[0].window: ${refused("1d")}`,
      '  10:53: spec.limits.a.rates[1].window: invalid duration "1w" (expected e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d)',
    ],
  });
});

test("each policy of a file gets its own heading; problems of the file are on lines of their own", async () => {
  const text = `${manifest("  limits: { a: { rates: [{ limit: 1, window: 1m }] } }\n")}---\n` +
    `${manifest("  limits: { b: { rates: [{ limit: 1, window: 1y }] } }\n", "b")}---\n` +
    `${manifest("  limits: { c: { rates: [{ limit: -1, window: 1m }] } }\n", "c")}---\nlimits: { a: 1\n`;
  assert.deepEqual(await check(text), {
    code: 1,
    lines: [
      "p.yaml:23:1: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }",
      "p.yaml: policy ns/b:",
      '  13:38: spec.limits.b.rates[0].window: invalid duration "1y" (expected e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d)',
      "p.yaml: policy ns/c:",
      "  20:28: spec.limits.c.rates[0].limit: expected a positive integer, got -1",
    ],
  });
});

test("a List's items are located in the list", async () => {
  const text = "kind: List\nitems:\n  - kind: TokenRateLimitPolicy\n    metadata: { name: x }\n    spec:\n      targetRef: { kind: Gateway, name: gw }\n      limits: { a: { rates: [{ limit: 1, window: 1w }] } }\n";
  assert.deepEqual(await check(text), {
    code: 1,
    lines: ["p.yaml: policy x:", '  7:42: items[0].spec.limits.a.rates[0].window: invalid duration "1w" (expected e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d)'],
  });
});

test("a module that cannot be loaded is a problem of each policy, named by the module", async () => {
  const bad = { bytes: await echoModule({ level: 4, accept: true, noAbiExport: true }), name: "old.wasm" };
  assert.deepEqual(await validate("p.yaml", manifest("  limits: { a: { rates: [{ limit: 1, window: 1m }] } }\n"), bad), {
    code: 1, stdout: "", stderr: "p.yaml: policy ns/a:\n  old.wasm: Missing or unknown Proxy-Wasm ABI version\n",
  });
});
