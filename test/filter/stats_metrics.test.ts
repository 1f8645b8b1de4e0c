// What the limiter and the identity lookup meet besides their decisions is exported as
// metrics with exact counts: identity outcomes by reason, compare-and-swap writes lost to
// another worker, updates that gave up, stored values that did not decode.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EXAMPLE_POLICY, chatHeaders, CHAT_REQUEST, CHAT_RESPONSE, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { filterHost, chat, metric, homeSlotKey, counterOf } from "./helpers.ts";
import type { Host } from "../../host-test/index.ts";

// The slot alice's counter takes: its home slot, in an empty table.
const ALICE = homeSlotKey("free", "alice");

/** Another worker charges `tokens` to the counter at `key` (an unconditional write, as its own would be). */
function chargeAsAnotherWorker(host: Host, key: string, tokens: number): void {
  const e = host.sharedData.get(key);
  assert.ok(e, `counter ${key} exists`);
  const v = e.value.slice();
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  dv.setBigUint64(18, dv.getBigUint64(18, true) + BigInt(tokens), true);
  host.sharedData.set(key, v);
}

/** A chat request whose authorization header is `authorization` (null: none). */
function chatWithAuthorization(host: Host, authorization: string | null) {
  const headers: Record<string, string> = { ...chatHeaders("x", ["free"]) };
  if (authorization === null) delete headers.authorization;
  else headers.authorization = authorization;
  return host.exchange({ request: { headers, body: CHAT_REQUEST }, response: { headers: JSON_RESPONSE_HEADERS, body: CHAT_RESPONSE } });
}

test("identity outcomes are counted per request that looks the identity up, by reason", async () => {
  const host = await filterHost();
  chat(host, "alice", ["free"]);
  chat(host, "bob", ["gold"]);
  chatWithAuthorization(host, null);
  chatWithAuthorization(host, "Basic YWxpY2U6cHc=");
  chatWithAuthorization(host, "Bearer not-a-jwt");
  // No limit's path matches: the identity is never looked up.
  chat(host, "carol", ["free"], { path: "/v1/embeddings" });
  assert.equal(metric(host, "identity_found"), 2);
  assert.equal(metric(host, "identity_missing"), 3);
  assert.equal(metric(host, "identity_missing.missing_header"), 1);
  assert.equal(metric(host, "identity_missing.bad_prefix"), 1);
  assert.equal(metric(host, "identity_missing.malformed_token"), 1);
  assert.equal(metric(host, "identity_missing.bad_base64"), 0);
  assert.equal(metric(host, "identity_missing.disabled"), 0);
  assert.deepEqual(host.traps, []);
});

test("a write that loses to another worker's is counted and retried on the fresh value: no charge is lost", async () => {
  const host = await filterHost({ workers: 2 });
  chat(host, "alice", ["free"], { worker: 1 });
  let landed = false;
  host.sharedData.beforeFilterWrite((key) => {
    if (landed || key !== ALICE) return;
    landed = true;
    chargeAsAnotherWorker(host, key, 50);
  });
  assert.equal(chat(host, "alice", ["free"], { worker: 0 }).status, 200);
  assert.equal(metric(host, "counter_cas_conflicts"), 1);
  assert.equal(metric(host, "counter_retries_exhausted"), 0);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 250, reserved: 0 });
  assert.deepEqual(host.traps, []);
});

test("an update that loses 17 times in a row gives up: counted, and under failureMode deny the 503 carries the configured retry-after header", async () => {
  const host = await filterHost({ pluginConfig: { ...EXAMPLE_POLICY, failureMode: "deny", response: { headers: { retryAfter: "x-retry-after" } } } });
  chat(host, "alice", ["free"]);
  host.sharedData.beforeFilterWrite((key) => chargeAsAnotherWorker(host, key, 1));
  const r = chat(host, "alice", ["free"]);
  assert.equal(r.status, 503);
  assert.equal(r.headers["x-retry-after"], "1");
  assert.equal(r.headers["retry-after"], undefined);
  assert.equal(metric(host, "counter_cas_conflicts"), 17);
  assert.equal(metric(host, "counter_retries_exhausted"), 1);
  assert.equal(metric(host, "store_errors"), 1);
  assert.equal(metric(host, "requests_admitted"), 1);
  assert.deepEqual(host.traps, []);
});

test("a stored value that does not decode is counted at each read and replaced by a fresh counter", async () => {
  const host = await filterHost();
  host.sharedData.set(ALICE, "not a counter");
  assert.equal(chat(host, "alice", ["free"]).status, 200);
  // Read twice: by the check at request headers, then by the admission that replaces it.
  assert.equal(metric(host, "counter_values_corrupt"), 2);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 100, reserved: 0 });
  assert.deepEqual(host.traps, []);
});

test("a reservation whose rollback keeps losing is deferred, and given back on the next tick once writes succeed", async () => {
  const free = EXAMPLE_POLICY.limits.free;
  const host = await filterHost({
    pluginConfig: { limits: { free: { ...free, rates: [{ limit: 20000, window: "24h" }, { limit: 100, window: "1m" }] } }, admission: { readRequestBody: false } },
  });
  chat(host, "alice", ["free"]); // 100 tokens: the minute's budget is gone
  let daily = 0;
  const stop = host.sharedData.beforeFilterWrite((key) => {
    // The first write reserves on the daily counter; every later one (the rollback) loses.
    if (key === ALICE && ++daily > 1) chargeAsAnotherWorker(host, key, 1);
  });
  // The body is not read (readRequestBody false): admission runs at the headers, daily counter first.
  const headers = { ...chatHeaders("alice", ["free"]), "content-type": "text/plain" };
  const r = host.exchange({ request: { headers, body: "hello" }, response: { headers: JSON_RESPONSE_HEADERS, body: CHAT_RESPONSE } });
  assert.equal(r.status, 429);
  assert.equal(metric(host, "settlements_deferred"), 1);
  assert.equal(metric(host, "counter_cas_conflicts"), 17);
  assert.equal(metric(host, "counter_retries_exhausted"), 1);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 117, reserved: 1000 });
  stop();
  host.clock.advance(1000);
  assert.equal(metric(host, "settlements_recovered"), 1);
  assert.equal(metric(host, "reservations_lost"), 0);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 117, reserved: 0 });
  assert.deepEqual(host.traps, []);
});
