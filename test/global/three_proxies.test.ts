// End to end: three gateway replicas (separate shared data, two workers each) count one
// user's budget in one rate-limit service on a real Redis, over real gRPC. The tokens
// charged stay within the overshoot bound docs/global-counters.md states for the backend,
// the service's counter agrees with what the proxies charged, and when the service or its
// Redis fails, the configured failure mode applies, with its metrics.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { chatHeaders, chatResponse, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { chatRequest, metric, NINE_AM } from "../filter/helpers.ts";
import { advance, freePolicy, settle, spend, startFleet, type Backend } from "./fleet.ts";

const LIMIT = 2500;
const MAX_TOKENS = 300; // each request's reservation (rho)
const COST = 250; // each request's usage (M); never above its reservation (delta = 0)
const R = 3;
const C = 2; // one request in flight per worker

/** The bounds of docs/global-counters.md, with P = 0 (every report delivered before the next round). */
const BOUND: Record<Backend, number> = {
  "envoy-rls": COST + (R - 1) * C * MAX_TOKENS, // M + (R-1)·C·ρ + R·C·δ + P
  limitador: (R * C + 1) * COST, // (R·C + 1)·M + P
};

async function counterValue(redisUrl: string, pattern: string): Promise<number> {
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 0 });
  try {
    const keys = await r.keys(pattern);
    assert.equal(keys.length, 1, `one counter for ${pattern}: ${keys.join(", ")}`);
    return Number(await r.get(keys[0]));
  } finally {
    r.disconnect();
  }
}

for (const backend of ["envoy-rls", "limitador"] as const) {
  test(`${backend}, direct: one user across 3 replicas x 2 workers is charged within the stated bound, and the service counted what they charged`, async (t) => {
    const fleet = await startFleet({ backend, policy: freePolicy(backend, LIMIT), limit: LIMIT });
    t.after(() => fleet.close());
    const r = await spend(fleet, { user: "alice", maxTokens: MAX_TOKENS, cost: COST });
    assert.deepEqual(r.other, {}, "every request was admitted or refused with 429");
    assert.ok(r.refused > 0 && r.rounds > 2, JSON.stringify(r));
    assert.ok(r.charged <= LIMIT + BOUND[backend], `charged ${r.charged} > ${LIMIT} + ${BOUND[backend]}`);
    // The budget was used: nothing is refused while a request's reservation still fits.
    assert.ok(r.charged > LIMIT - MAX_TOKENS, `charged ${r.charged}: the budget was not used`);
    // Without cross-replica coordination each replica would have admitted the whole budget.
    assert.ok(r.charged < 2 * LIMIT, `charged ${r.charged}`);
    for (const h of fleet.hosts) {
      assert.deepEqual(h.traps, []);
      assert.equal(metric(h, "service.reports_pending"), 0);
      assert.equal(metric(h, "service.reports_lost"), 0);
      assert.equal(metric(h, "service.errors"), 0);
    }
    assert.deepEqual(fleet.service.decodeErrors, [], "the filter's requests decode with the real protobuf decoder");
    const used = await counterValue(fleet.redis.url, backend === "envoy-rls" ? "*_alice_*" : '*"alice"*');
    // envoyproxy/ratelimit counts each admission's hit, the refused ones too; Limitador counts only reports.
    assert.equal(used, backend === "envoy-rls" ? r.charged + r.refused : r.charged);
    console.log(`${backend} direct: limit ${LIMIT}, charged ${r.charged} (${(r.charged / LIMIT).toFixed(2)}x), bound ${LIMIT + BOUND[backend]}, admitted ${r.admitted}, refused ${r.refused}, rounds ${r.rounds}`);
  });
}

/** Cached mode's extra bound, (R - 1)·λ·T: λ the tokens a replica spends a second, T = ttl + flushInterval. */
const ROUND_MS = 250;
const LAMBDA = (C * COST * 1000) / ROUND_MS;
const T_SECONDS = 2; // ttl 1s + flushInterval 1s
const CACHED = { mode: "cached", cache: { ttl: "1s", flushInterval: "1s" } };

for (const backend of ["envoy-rls", "limitador"] as const) {
  test(`${backend}, cached: one user across 3 replicas x 2 workers is charged within the direct bound plus (R-1)·λ·T, and every cost reaches the service`, async (t) => {
    const fleet = await startFleet({ backend, policy: freePolicy(backend, LIMIT, CACHED), limit: LIMIT });
    t.after(() => fleet.close());
    const r = await spend(fleet, { user: "alice", maxTokens: MAX_TOKENS, cost: COST, roundMs: ROUND_MS });
    assert.deepEqual(r.other, {}, "every request was admitted or refused with 429");
    assert.ok(r.refused > 0, JSON.stringify(r));
    const bound = BOUND[backend] + (R - 1) * LAMBDA * T_SECONDS;
    assert.ok(r.charged <= LIMIT + bound, `charged ${r.charged} > ${LIMIT} + ${bound}`);
    assert.ok(r.charged > LIMIT - MAX_TOKENS, `charged ${r.charged}: the budget was not used`);
    // Let every batched cost reach the service.
    await advance(fleet.hosts, 3000);
    let hits = 0;
    for (const h of fleet.hosts) {
      assert.deepEqual(h.traps, []);
      assert.equal(metric(h, "service.reports_pending"), 0);
      assert.equal(metric(h, "service.reports_lost"), 0);
      assert.equal(metric(h, "service.errors"), 0);
      hits += metric(h, "service.cache_hits");
    }
    assert.ok(hits > 0, "admissions were answered from the views");
    assert.deepEqual(fleet.service.decodeErrors, []);
    const used = await counterValue(fleet.redis.url, backend === "envoy-rls" ? "*_alice_*" : '*"alice"*');
    if (backend === "limitador") assert.equal(used, r.charged, "Limitador counted exactly the reported costs");
    else assert.ok(used >= r.charged && used <= r.charged + r.refused, `envoyproxy/ratelimit counted ${used} for ${r.charged} charged and ${r.refused} refused`);
    console.log(`${backend} cached: limit ${LIMIT}, charged ${r.charged} (${(r.charged / LIMIT).toFixed(2)}x), bound ${LIMIT + bound}, admitted ${r.admitted}, refused ${r.refused}, rounds ${r.rounds}, cache hits ${hits}`);
  });
}

/** One request by `user` on replica 0, worker 0; returns the stream once its admission settled. */
async function oneRequest(fleet: Awaited<ReturnType<typeof startFleet>>, user: string) {
  const s = fleet.hosts[0].newStream();
  s.sendRequestHeaders(chatHeaders(user, ["free"]));
  s.sendRequestBody(chatRequest(MAX_TOKENS), true);
  await settle(fleet.hosts);
  return s;
}

test("service down: failureMode deny answers 503 naming it, allow lets the request through; both counted", async (t) => {
  const deny = await startFleet({ backend: "limitador", policy: freePolicy("limitador", LIMIT), limit: LIMIT, replicas: 1 });
  t.after(() => deny.close());
  await deny.service.stop();
  const s = await oneRequest(deny, "bob");
  assert.equal(s.localResponse?.status, 503);
  assert.match(JSON.parse(s.localResponse!.body).error.message, /rate-limit service: unavailable/);
  assert.equal(metric(deny.hosts[0], "service.errors.unavailable"), 1);
  assert.equal(metric(deny.hosts[0], "service.failure_mode_denied"), 1);

  const allow = await startFleet({ backend: "envoy-rls", policy: freePolicy("envoy-rls", LIMIT, { failureMode: "allow" }), limit: LIMIT, replicas: 1 });
  t.after(() => allow.close());
  await allow.service.stop();
  const a = await oneRequest(allow, "bob");
  assert.equal(a.upstreamRequest?.ended, true);
  assert.equal(metric(allow.hosts[0], "service.failure_mode_allowed"), 1);
  // Back up before the response ends: the whole cost is reported (no hit was counted at admission).
  await allow.service.start();
  a.sendResponseHeaders(JSON_RESPONSE_HEADERS);
  a.sendResponseBody(chatResponse(COST), true);
  for (let i = 0; i < 50 && metric(allow.hosts[0], "service.reports_sent") === 0; i++) {
    await settle(allow.hosts);
    allow.hosts[0].clock.advance(1000);
    await new Promise((r) => setTimeout(r, 20));
  }
  await settle(allow.hosts);
  assert.equal(metric(allow.hosts[0], "service.reports_sent"), 1);
  assert.equal(await counterValue(allow.redis.url, "*_bob_*"), COST);
});

test("service slower than the timeout: 503 'timeout' when the call's 100 ms pass on the proxy's clock", async (t) => {
  const fleet = await startFleet({ backend: "envoy-rls", policy: freePolicy("envoy-rls", LIMIT), limit: LIMIT, replicas: 1 });
  t.after(() => fleet.close());
  fleet.service.delayMs = 2000;
  const s = fleet.hosts[0].newStream();
  s.sendRequestHeaders(chatHeaders("carol", ["free"]));
  s.sendRequestBody(chatRequest(MAX_TOKENS), true);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(s.requestPaused, true, "waiting for the service");
  fleet.hosts[0].clock.advance(100);
  assert.equal(s.localResponse?.status, 503);
  assert.match(JSON.parse(s.localResponse!.body).error.message, /rate-limit service: timeout/);
  assert.equal(metric(fleet.hosts[0], "service.errors.timeout"), 1);
  await settle(fleet.hosts);
});

test("Redis restarted: calls fail while it is down (the failure mode applies), then counters start again from zero", async (t) => {
  const fleet = await startFleet({ backend: "limitador", policy: freePolicy("limitador", LIMIT), limit: LIMIT, replicas: 1 });
  t.after(() => fleet.close());
  const r = await spend(fleet, { user: "dave", maxTokens: MAX_TOKENS, cost: COST });
  assert.ok(r.refused > 0, "the budget was spent");
  await fleet.redis.stop();
  const down = await oneRequest(fleet, "dave");
  assert.equal(down.localResponse?.status, 503, "Limitador answers UNAVAILABLE while its storage is down");
  assert.equal(metric(fleet.hosts[0], "service.errors.unavailable"), 1);
  await fleet.redis.start();
  let again = await oneRequest(fleet, "dave");
  for (let i = 0; i < 40 && again.localResponse?.status === 503; i++) {
    await new Promise((res) => setTimeout(res, 50));
    again = await oneRequest(fleet, "dave");
  }
  assert.equal(again.upstreamRequest?.ended, true, "the restarted Redis forgot the spent budget");
  assert.equal(fleet.hosts[0].clock.now(), NINE_AM, "no proxy time passed: the budget came back because Redis lost it");
});
