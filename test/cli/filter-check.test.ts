import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { checkWithFilter, filterFindings, splitPath } from "../../src/policy/filter-check.ts";
import { loadPolicies } from "../../src/policy/manifest.ts";
import { echoModule } from "./wat.ts";

const FILTER = new URL("../../build/tokenlimit.wasm", import.meta.url);
const EXAMPLE = readFileSync(new URL("../../envoy/kuadrant/tokenratelimitpolicy.yaml", import.meta.url), "utf8");

test("the filter receives the configuration and its warnings are kept when it accepts", async () => {
  const verdict = await checkWithFilter(await echoModule({ level: 3, accept: true }), '{"limits":{}}');
  assert.deepEqual(verdict, { accepted: true, logs: ['warn: {"limits":{}}'] });
});

test("a rejected configuration comes back with the filter's error lines", async () => {
  const verdict = await checkWithFilter(await echoModule({ level: 4, accept: false }), "limits.free: bad");
  assert.deepEqual(verdict, { accepted: false, logs: ["error: limits.free: bad"] });
});

test("log lines below warn are left out", async () => {
  assert.deepEqual(await checkWithFilter(await echoModule({ level: 2, accept: false }), "x"), { accepted: false, logs: [] });
});

test("non-ASCII configuration arrives as UTF-8", async () => {
  const verdict = await checkWithFilter(await echoModule({ level: 4, accept: true }), '{"é":"⏱"}');
  assert.deepEqual(verdict.logs, ['error: {"é":"⏱"}']);
});

test("a trap while configuring is a failure, not an exception", async () => {
  const verdict = await checkWithFilter(await echoModule({ level: 4, accept: true, trap: true }), "x");
  assert.equal(verdict.accepted, false);
  assert.equal(verdict.failure, "Function: proxy_on_configure failed: Uncaught RuntimeError: unreachable");
  assert.deepEqual(verdict.logs, ["error: x"]);
});

test("a module that is not Proxy-Wasm ABI 0.2.1 is a failure", async () => {
  const verdict = await checkWithFilter(await echoModule({ level: 4, accept: true, noAbiExport: true }), "x");
  assert.deepEqual(verdict, { accepted: false, logs: [], failure: "Missing or unknown Proxy-Wasm ABI version" });
});

test("bytes that are not Wasm are a failure", async () => {
  const verdict = await checkWithFilter(new TextEncoder().encode("not wasm"), "x");
  assert.equal(verdict.accepted, false);
  assert.equal(verdict.failure, "Failed to parse corrupted Wasm module: not a WebAssembly binary (bad magic)");
});

test("the built filter accepts the example policy", async () => {
  assert.ok(existsSync(FILTER), "run node scripts/build.mjs first");
  const [policy] = loadPolicies(EXAMPLE).policies;
  const verdict = await checkWithFilter(readFileSync(FILTER), JSON.stringify(policy.config));
  assert.equal(verdict.failure, undefined);
  assert.ok(verdict.accepted, verdict.logs.join("\n"));
});

test("the filter's paths are split into keys and indexes, quoted keys included", () => {
  assert.deepEqual(splitPath("limits.free.rates[0].window: invalid duration"), { path: ["limits", "free", "rates", 0, "window"], message: "invalid duration" });
  assert.deepEqual(splitPath('limits["gpt-4.1: x"].when[12].predicate: a: b'), { path: ["limits", "gpt-4.1: x", "when", 12, "predicate"], message: "a: b" });
  assert.deepEqual(splitPath('limits["a\\"b"]: m'), { path: ["limits", 'a"b'], message: "m" });
  assert.deepEqual(splitPath("(root): expected an object, got array"), { path: [], message: "expected an object, got array" });
  for (const text of ["no path here", "limits..a: m", "limits[x]: m", "limits.a", ": m", "limits a: m"]) assert.equal(splitPath(text), undefined, text);
});

test("the filter's lines about the configuration become findings with paths; other lines stay whole", () => {
  assert.deepEqual(filterFindings([
    "error: tokenlimit: invalid configuration: limits.a.rates: required",
    "warn: tokenlimit: configuration: defaults.strategy: ignored",
    "error: tokenlimit: invalid configuration: something without a path",
    "critical: out of memory",
    "warn: {\"limits\":{}}",
  ]), [
    { path: ["limits", "a", "rates"], message: "required", warning: false },
    { path: ["defaults", "strategy"], message: "ignored", warning: true },
    { message: "something without a path", warning: false },
    { message: "out of memory", warning: false },
    { message: '{"limits":{}}', warning: true },
  ]);
});
