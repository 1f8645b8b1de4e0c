// Nothing lost: every token charged reaches a counter or is counted as lost; a counter's
// first writes by two workers keep both; a settlement written after a reconfiguration adds
// to the counter as it is then.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Host } from "../../host-test/index.ts";
import { chatHeaders, chatResponse, EXAMPLE_POLICY, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { filterHost, chat, chatRequest, counterEntries, counterOf, decodeCounter, encodeCounter, homeSlotKey, metric, prng, sendResponse, NINE_AM, HELLO_INPUT } from "../filter/helpers.ts";

/** Makes every write to a counter key lose its compare-and-swap while `on()` (another writer bumps its version). */
function outage(host: Host, on: () => boolean): () => void {
  return host.sharedData.beforeFilterWrite((key) => {
    if (!on() || !key.startsWith("tokenlimit|")) return;
    const e = host.sharedData.get(key);
    if (e) host.sharedData.set(key, e.value);
  });
}

/** Tokens stored in every counter of the filter. */
function storedTokens(host: Host): number {
  return counterEntries(host).reduce((sum, e) => sum + decodeCounter(e.value).used, 0);
}

test("tokens_charged always equals what reached the counters plus tokens_lost, under injected store failures", async () => {
  const host = await filterHost({ workers: 2 });
  const r = prng(7);
  let down = false;
  outage(host, () => down);
  for (let i = 0; i < 400; i++) {
    // Outages come and go; some last past the retries (a minute of 1 s ticks).
    if (i % 40 === 0) down = r.next() < 0.5;
    const user = r.pick(["ann", "ben", "cat", "dan"]);
    const res = chat(host, user, ["free"], { worker: r.int(2), response: chatResponse(1 + r.int(50)) });
    assert.equal(res.status, 200);
    host.clock.advance(r.next() < 0.1 ? 61_000 : 100);
  }
  down = false;
  host.clock.advance(2000);
  const charged = metric(host, "tokens_charged");
  const lost = metric(host, "tokens_lost");
  assert.ok(metric(host, "settlements_deferred") > 0, "some settlements failed");
  assert.ok(metric(host, "settlements_recovered") > 0, "some were written on a later tick");
  assert.ok(lost > 0, "some were given up");
  assert.equal(charged, storedTokens(host) + lost);
  assert.equal(metric(host, "settlements_deferred"), metric(host, "settlements_recovered") + metric(host, "settlements_lost"));
  assert.deepEqual(host.traps, []);
});

test("a settlement that loses every compare-and-swap is written on the next tick of the root", async () => {
  const host = await filterHost();
  chat(host, "alice", ["free"]); // creates alice's counter: 100 tokens
  let down = true;
  outage(host, () => down);
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s.sendRequestBody(chatRequest(400), true);
  sendResponse(s, chatResponse(250));
  assert.equal(metric(host, "settlements_deferred"), 1);
  assert.equal(counterOf(host, "free", "alice")?.used, 100);
  down = false;
  host.clock.advance(1000);
  assert.equal(metric(host, "settlements_recovered"), 1);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 350, reserved: 0 });
  assert.equal(metric(host, "tokens_lost"), 0);
});

test("a settlement still failing a minute after its first retry is counted in settlements_lost and tokens_lost", async () => {
  const host = await filterHost();
  chat(host, "alice", ["free"]);
  outage(host, () => true);
  chat(host, "alice", ["free"], { response: chatResponse(250) });
  host.clock.advance(60_000); // the first retry at 1 s, the last so far at 60 s
  assert.equal(metric(host, "settlements_lost"), 0);
  host.clock.advance(1000);
  assert.equal(metric(host, "settlements_lost"), 1);
  assert.equal(metric(host, "tokens_lost"), 250);
  assert.equal(metric(host, "tokens_charged"), 350);
  assert.equal(counterOf(host, "free", "alice")?.used, 100);
});

const TODAY = Date.UTC(2026, 10, 29);

/**
 * Between the filter's read of alice's (missing) counter and its first write, another
 * worker creates the counter with `used` and `reserved`: its write lands first.
 */
function anotherWorkerCreatesFirst(host: Host, used: number, reserved: number): () => boolean {
  let raced = false;
  host.sharedData.beforeFilterWrite((key) => {
    if (raced || key !== homeSlotKey("free", "alice")) return;
    raced = true;
    assert.equal(host.sharedData.get(key), undefined, "the counter is still missing");
    host.sharedData.set(key, encodeCounter({ windowStart: TODAY, windowMs: 86_400_000, used, reserved }, "tokenlimit|free|0|alice", NINE_AM));
  });
  return () => raced;
}

test("first write race: two workers creating the same counter keep both charges (100 + 200 = 300)", async () => {
  const host = await filterHost({ pluginConfig: { ...EXAMPLE_POLICY, admission: { mode: "check" } } });
  // Check mode: admission only reads; the settlement's write is the counter's first.
  const raced = anotherWorkerCreatesFirst(host, 200, 0);
  assert.equal(chat(host, "alice", ["free"], { response: chatResponse(100) }).status, 200);
  assert.equal(raced(), true);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: TODAY, windowMs: 86_400_000, used: 300, reserved: 0 });
  assert.equal(metric(host, "counter_cas_conflicts"), 1);
});

test("first write race: reservations of two workers on a new counter are both kept", async () => {
  const host = await filterHost();
  const raced = anotherWorkerCreatesFirst(host, 0, 700);
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s.sendRequestBody(chatRequest(300), true);
  assert.equal(raced(), true);
  // This request's 300 of output and its prompt's estimate, and the other worker's 700.
  assert.equal(counterOf(host, "free", "alice")?.reserved, 300 + HELLO_INPUT + 700);
  sendResponse(s, chatResponse(100));
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: TODAY, windowMs: 86_400_000, used: 100, reserved: 700 });
});

test("first write race: four workers creating many counters at random interleavings lose no charge", async () => {
  const host = await filterHost({ workers: 4, pluginConfig: { ...EXAMPLE_POLICY, admission: { mode: "check" } } });
  const r = prng(11);
  const expected = new Map<string, number>();
  const open: Array<{ s: ReturnType<Host["newStream"]>; user: string; cost: number }> = [];
  // Every stream's admission runs before any settles, so each counter is created by
  // whichever settlement comes first, on any worker, while the others read it missing.
  for (let i = 0; i < 60; i++) {
    const user = `u${r.int(15)}`;
    const cost = 1 + r.int(300);
    const s = host.newStream({ worker: r.int(4) });
    s.sendRequestHeaders(chatHeaders(user, ["free"]), false);
    s.sendRequestBody(chatRequest(), true);
    open.push({ s, user, cost });
    expected.set(user, (expected.get(user) ?? 0) + cost);
  }
  for (const f of r.shuffle(open)) sendResponse(f.s, chatResponse(f.cost));
  for (const [user, sum] of expected) assert.equal(counterOf(host, "free", user)?.used, sum, user);
});

test("a stream admitted under a 1h window and settled after the window became 24h adds to the new counter: the 14,000 stay", async () => {
  const hourly = { limits: { free: { ...EXAMPLE_POLICY.limits.free, rates: [{ limit: 20000, window: "1h" }] } } };
  const host = await filterHost({ pluginConfig: hourly });
  const old = host.newStream();
  old.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  old.sendRequestBody(chatRequest(500), true);
  assert.equal(host.reconfigure({ limits: { free: { ...EXAMPLE_POLICY.limits.free, rates: [{ limit: 20000, window: "24h" }] } } }), true);
  assert.equal(chat(host, "alice", ["free"], { response: chatResponse(14_000) }).status, 200);
  sendResponse(old, chatResponse(300));
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 14_300, reserved: 0 });
});

test("a budget carries over a reconfiguration that keeps the limit's name and window, whatever else changes", async () => {
  const host = await filterHost();
  chat(host, "alice", ["free"], { response: chatResponse(15_000) });
  const raised = { limits: { free: { ...EXAMPLE_POLICY.limits.free, rates: [{ limit: 30000, window: "24h" }] } }, admission: { mode: "check" } };
  assert.equal(host.reconfigure(raised), true);
  const r = chat(host, "alice", ["free"], { response: chatResponse(100) });
  assert.equal(r.headers["x-ratelimit-remaining-tokens"], "15000");
  assert.equal(counterOf(host, "free", "alice")?.used, 15_100);
});

test("a renamed limit starts with a fresh budget; the old name's counter is left as it was", async () => {
  const host = await filterHost();
  chat(host, "alice", ["free"], { response: chatResponse(20_000) });
  assert.equal(chat(host, "alice", ["free"]).status, 429);
  assert.equal(host.reconfigure({ limits: { basic: EXAMPLE_POLICY.limits.free } }), true);
  assert.equal(chat(host, "alice", ["free"], { response: chatResponse(50) }).status, 200);
  assert.equal(counterOf(host, "basic", "alice")?.used, 50);
  assert.equal(counterOf(host, "free", "alice")?.used, 20_000);
});

test("a changed window carries what was spent into the window running at the change, and the next window starts fresh", async () => {
  const host = await filterHost();
  chat(host, "alice", ["free"], { response: chatResponse(19_000) });
  const hourly = { limits: { free: { ...EXAMPLE_POLICY.limits.free, rates: [{ limit: 1000, window: "1h" }] } } };
  assert.equal(host.reconfigure(hourly), true);
  const r = chat(host, "alice", ["free"]);
  assert.equal(r.status, 429, "the 19,000 spent today count in the running hour");
  assert.equal(r.headers["retry-after"], "3600");
  host.clock.advance(3_600_000);
  assert.equal(chat(host, "alice", ["free"]).status, 200);
  assert.equal(counterOf(host, "free", "alice")?.windowStart, NINE_AM + 3_600_000);
});

test("a reservation made by a VM that then traps stops blocking the user after admission.reservationTtl, not at the end of the day", async () => {
  const policy = { ...EXAMPLE_POLICY, admission: { reservationTtl: "5m" } };
  const host = await filterHost({ workers: 2, pluginConfig: policy });
  chat(host, "alice", ["free"], { response: chatResponse(12_000) });
  const doomed = host.newStream({ worker: 1 });
  doomed.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  doomed.sendRequestBody(chatRequest(8_000), true);
  assert.equal(counterOf(host, "free", "alice")?.reserved, 8_000 + HELLO_INPUT);
  // Worker 1 traps before the response: its reservation is never given back.
  host.probe("proxy_on_response_headers", () => { throw new WebAssembly.RuntimeError("unreachable"); }, { vm: "worker 1", once: true });
  doomed.sendResponseHeaders(JSON_RESPONSE_HEADERS, false);
  assert.equal(host.worker(1).failed, true);
  assert.equal(chat(host, "alice", ["free"]).status, 429, "12,000 used + 8,000 reserved");
  // 09:00 is a period start: the reservation counts in its period (09:00-09:05) and the next.
  host.clock.advance(9 * 60_000);
  assert.equal(chat(host, "alice", ["free"]).status, 429);
  host.clock.advance(60_000);
  const r = chat(host, "alice", ["free"], { response: chatResponse(100) });
  assert.equal(r.status, 200);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: TODAY, windowMs: 86_400_000, used: 12_100, reserved: 0 });
});

test("admission.reservationTtl must be a duration of at least 1s: the error names the path", async () => {
  const host = await filterHost({ pluginConfig: { ...EXAMPLE_POLICY, admission: { reservationTtl: "500ms" } } });
  assert.equal(host.accepted, false);
  assert.ok(host.logs("error").some((l) => l.includes("admission.reservationTtl: must be at least 1s")), host.logs("error").join("\n"));
  const typo = await filterHost({ pluginConfig: { ...EXAMPLE_POLICY, admission: { reservationTtl: "10 minutes" } } });
  assert.equal(typo.accepted, false);
  assert.ok(typo.logs("error").some((l) => l.includes("admission.reservationTtl")));
});
