// The plugin configuration as Envoy applies it: every problem logged on its own line,
// naming the JSON path, and on_configure returning false so that Envoy rejects the
// configuration (the canary fails) or, without a canary, the worker's plugin fails
// closed. A running filter keeps its policy when a bad update arrives.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EXAMPLE_POLICY } from "../../fixtures/llm.ts";
import { filterHost, chat, rateLimitHeaders, HELLO_INPUT } from "./helpers.ts";

const PREFIX = "tokenlimit: invalid configuration: ";
const RATE = { rates: [{ limit: 1000, window: "1h" }] };

/** [what, configuration, the error lines it must log (without the common prefix)]. */
const INVALID: Array<[string, string | object, string[]]> = [
  ["unknown top-level field", { ...EXAMPLE_POLICY, foo: 1 }, [
    "foo: unknown field (expected one of: limits, when, defaults, overrides, dataExtraction, identity, usage, cost, admission, onCounterError, failureMode, dryRun, response, counters, alerts, accessLog)"]],
  ["unknown nested field (a typo)", { limits: { free: { rates: [{ limit: 1, windwo: "1h" }] } } }, [
    "limits.free.rates[0].windwo: unknown field (expected one of: limit, window)",
    "limits.free.rates[0].window: required"]],
  ["wrong types", { limits: { free: { rates: [{ limit: "20000", window: 5 }], when: "x" } }, dryRun: "yes" }, [
    "limits.free.rates[0].limit: expected a positive integer, got \"20000\"",
    "limits.free.rates[0].window: expected a duration string (e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d), got 5",
    "limits.free.when: expected an array, got \"x\"",
    "dryRun: expected true or false, got \"yes\""]],
  ["bad windows and limits", { limits: { free: { rates: [
    { limit: 1, window: "1.5h" }, { limit: 1, window: "10" }, { limit: 1, window: "0s" }, { limit: 1, window: "400d" }, { limit: 0, window: "1h" }, { limit: 1.5, window: "1h" }] } } }, [
    "limits.free.rates[0].window: invalid duration \"1.5h\" (expected e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d)",
    "limits.free.rates[1].window: invalid duration \"10\" (expected e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d)",
    "limits.free.rates[2].window: duration \"0s\" must be greater than zero",
    "limits.free.rates[3].window: duration \"400d\" is longer than 366d",
    "limits.free.rates[4].limit: expected a positive integer, got 0",
    "limits.free.rates[5].limit: expected a positive integer, got 1.5"]],
  ["empty limits", { limits: {} }, ["limits: must contain at least one limit"]],
  ["a limit without rates", { limits: { free: { rates: [] } } }, ["limits.free.rates: must contain at least one rate"]],
  ["an empty object", {}, ["limits: required"]],
  ["CEL that does not parse", { limits: { free: { ...RATE, when: [
    { predicate: 'request.path == "/v1" &&' }, { predicate: "true" }, { predicate: "'unterminated" }] } } }, [
    "limits.free.when[0].predicate: invalid CEL at offset 24: unexpected end of expression in \"request.path == \\\"/v1\\\" &&\"",
    "limits.free.when[2].predicate: invalid CEL at offset 0: unterminated string literal in \"'unterminated\""]],
  ["CEL in the top-level when and the cost", { when: [{ predicate: ")" }], limits: { free: RATE }, cost: { expression: "usage.total_tokens +" } }, [
    "when[0].predicate: invalid CEL at offset 0: unexpected ')' in \")\"",
    "cost.expression: invalid CEL at offset 20: unexpected end of expression in \"usage.total_tokens +\""]],
  ["CEL errors reported together with field errors", { dryRun: "yes", limits: { free: { ...RATE, when: [{ predicate: "request.path = 'x'" }] } } }, [
    "dryRun: expected true or false, got \"yes\"",
    "limits.free.when[0].predicate: invalid CEL at offset 13: unexpected '=' (did you mean '=='?) in \"request.path = 'x'\""]],
  ["usage paths whose wildcards would explode", { limits: { free: RATE }, usage: { paths: { total: "*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*" } } }, [
    "usage.paths: usage paths too complex (more than 4096 nodes; fewer '*' or index segments) (in 'total=*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*')"]],
  ["a misspelt attribute", { limits: { free: { ...RATE, when: [{ predicate: "request.pathh == '/v1'" }] } } }, [
    "limits.free.when[0].predicate: invalid CEL at offset 7: undeclared reference to 'request.pathh' in \"request.pathh == '/v1'\""]],
  ["invalid JSON", '{"limits": {"a" 1}}', ["invalid JSON at offset 16 (line 1, column 17): expected ':' after an object key"]],
  ["a trailing comma", '{"limits": {"free": {"rates": [{"limit": 1, "window": "1h"},]}}}', [
    "invalid JSON at offset 59 (line 1, column 60): trailing comma is not allowed"]],
  ["a duplicate limit", '{"limits": {"free": {"rates": [{"limit": 1, "window": "1h"}]}, "free": {"rates": [{"limit": 2, "window": "1h"}]}}}', [
    "limits.free: duplicate key (each key may appear only once)"]],
  ["an array", "[1]", ["(root): expected an object, got array"]],
  ["names, enums and ranges", {
    limits: { "free tier": RATE, free: { ...RATE, when: ["true"], counters: [{ expression: "" }], tokens: "all" } },
    admission: { mode: "foo", defaultReservation: 50000 },
    response: { status: 200 },
    identity: { jwt: { header: "x auth" } },
    cost: { weights: { input: 1 }, expression: "1" },
  }, [
    "limits[\"free tier\"]: invalid limit name \"free tier\" (expected 1 to 128 letters, digits, '_', '.' or '-')",
    "limits.free.when[0]: expected an object like {\"predicate\": \"<CEL expression>\"}, got \"true\"",
    "limits.free.counters[0].expression: must not be empty",
    "limits.free.tokens: expected one of \"total\", \"input\", \"output\", got \"all\"",
    "identity.jwt.header: invalid header name \"x auth\" (expected letters, digits and !#$%&'*+-.^_`|~)",
    "cost: set either weights or expression, not both",
    "admission.mode: expected one of \"reserve\", \"check\", got \"foo\"",
    "admission.defaultReservation: must not exceed admission.maxReservation (32000), got 50000",
    "response.status: expected an integer from 400 to 599, got 200"]],
  ["custom usage without paths", { limits: { free: RATE }, usage: { provider: "custom" } }, [
    "usage.paths: required when usage.provider is \"custom\" (set at least one of: total, input, output, cached, reasoning)"]],
];

for (const [what, config, errors] of INVALID) {
  test(`an invalid configuration (${what}) logs every problem and Envoy rejects it: on_configure returns false`, async () => {
    const host = await filterHost({ pluginConfig: config });
    assert.equal(host.accepted, false);
    assert.equal(host.rejection, "Failed to configure base Wasm plugin");
    assert.deepEqual(host.logs("error"), errors.map((e) => PREFIX + e));
    assert.deepEqual(host.traps, []);
    assert.deepEqual(host.configureResult, [], "no worker starts with a rejected configuration");
  });
}

test("without Envoy's canary a worker whose on_configure returns false fails closed (503) and logs the same errors", async () => {
  const host = await filterHost({ pluginConfig: { limits: {} }, canary: false });
  assert.equal(host.accepted, true);
  assert.deepEqual(host.configureResult, [false]);
  assert.deepEqual(host.logs("error"), [PREFIX + "limits: must contain at least one limit"]);
  const r = chat(host, "alice", ["free"]);
  assert.equal(r.status, 503);
  assert.equal(r.upstreamRequest, null);
  assert.deepEqual(host.traps, []);
});

test("a bad update is rejected and the running policy stays in force; a valid one after it takes over", async () => {
  const host = await filterHost();
  assert.equal(chat(host, "alice", ["free"]).headers["x-ratelimit-limit-tokens"], "20000");
  assert.equal(host.reconfigure({ limits: { free: { rates: [{ limit: 500, window: "1.5h" }] } } }), false);
  assert.deepEqual(host.logs("error"), [PREFIX + "limits.free.rates[0].window: invalid duration \"1.5h\" (expected e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d)"]);
  assert.equal(chat(host, "alice", ["free"]).headers["x-ratelimit-limit-tokens"], "20000", "still the old policy");
  const next = { limits: { free: { ...EXAMPLE_POLICY.limits.free, rates: [{ limit: 500, window: "24h" }] } } };
  assert.equal(host.reconfigure(next), true);
  assert.deepEqual(host.configureResult, [true]);
  // The counter keeps its count (200 used) when only the limit changes: 300 are left.
  const r = chat(host, "alice", ["free"]);
  assert.equal(r.status, 200);
  assert.deepEqual(rateLimitHeaders(r), [
    ["x-ratelimit-limit-tokens", "500"],
    ["x-ratelimit-remaining-tokens", "0"],
    ["x-ratelimit-reset-tokens", "15h0m0s"],
  ]);
  let admitted = 1;
  while (chat(host, "alice", ["free"]).status === 200) admitted++;
  assert.equal(admitted, 3, "200 -> 300 -> 400 -> 500 used, then refused");
  assert.deepEqual(rateLimitHeaders(chat(host, "bob", ["gold"])), [], "gold is gone from the new policy");
  assert.deepEqual(host.traps, []);
});

test("a worker that failed to configure recovers with the next valid configuration", async () => {
  const host = await filterHost({ pluginConfig: '{"limits": ', canary: false });
  assert.deepEqual(host.configureResult, [false]);
  assert.equal(host.logs("error").length, 1);
  assert.equal(host.reconfigure(EXAMPLE_POLICY), true);
  assert.deepEqual(host.configureResult, [true]);
  const r = chat(host, "alice", ["free"]);
  assert.equal(r.status, 200);
  assert.equal(r.headers["x-ratelimit-remaining-tokens"], String(19_000 - HELLO_INPUT));
});

test("targetRef is accepted and ignored with a warning, so a whole TokenRateLimitPolicy spec can be pasted", async () => {
  const host = await filterHost({ pluginConfig: { targetRef: { group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "llm" }, ...EXAMPLE_POLICY } });
  assert.equal(host.accepted, true);
  assert.deepEqual(host.logs("error"), []);
  assert.ok(host.logs("warn").includes("tokenlimit: configuration: targetRef: ignored (the filter applies to the traffic of the listener or route it is configured on)"));
  assert.equal(chat(host, "alice", ["free"]).headers["x-ratelimit-limit-tokens"], "20000");
});

test("response settings shape the refusal: status, header names (one turned off), message; admitted headers off", async () => {
  const host = await filterHost({ pluginConfig: {
    ...EXAMPLE_POLICY,
    response: { status: 503, headers: { reset: "", limit: "X-Budget-Limit" }, message: "Token budget exhausted \"é\"", admittedHeaders: false },
  } });
  const first = chat(host, "alice", ["free"]);
  assert.deepEqual(first.headerPairs, [[":status", "200"], ["content-type", "application/json"]]);
  let refusal = first;
  for (let i = 0; i < 200 && refusal.status === 200; i++) refusal = chat(host, "alice", ["free"]);
  const body = '{"error":{"message":"Token budget exhausted \\"é\\" on limit free: limit 20000, remaining 0. Please try again in 15h0m0s.",' +
    '"type":"tokens","param":null,"code":"rate_limit_exceeded"}}';
  assert.equal(refusal.status, 503);
  assert.deepEqual(refusal.headerPairs, [
    [":status", "503"],
    ["content-type", "application/json"],
    ["x-budget-limit", "20000"],
    ["x-ratelimit-remaining-tokens", "0"],
    ["retry-after", "54000"],
    ["content-length", String(Buffer.byteLength(body))],
  ]);
  assert.equal(refusal.body, body);
  assert.equal(JSON.parse(refusal.body).error.message.startsWith('Token budget exhausted "é"'), true);
});
