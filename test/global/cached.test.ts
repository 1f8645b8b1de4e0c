// Cached mode: admission from this proxy's view of each counter (no round trip once a
// counter has a view), costs batched per counter and flushed on tick, views refreshed by
// the flush's answer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chat, metric } from "../filter/helpers.ts";
import { answer, Code, ENVOY_RLS, KUADRANT_RLS, sent, serviceHost, servicePolicy } from "./helpers.ts";

const CACHED = { mode: "cached", cache: { ttl: "1s", flushInterval: "1s" } };

test("envoy-rls cached: the first request asks the service, the next is answered from the view; costs are flushed together", async () => {
  const host = await serviceHost(servicePolicy("envoy-rls", CACHED));
  let remaining = 20000;
  host.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", (c) => {
    remaining -= sent(host, "ShouldRateLimit").at(-1)!.hitsAddend;
    void c;
    return { message: answer(Code.OK, [{ code: Code.OK, remaining, limit: 20000 }]) };
  });
  assert.equal(chat(host, "alice", ["free"]).status, 200);
  assert.equal(chat(host, "alice", ["free"]).status, 200);
  host.flush();
  assert.deepEqual(sent(host, "ShouldRateLimit").map((r) => r.hitsAddend), [1]);
  assert.equal(metric(host, "service.cache_misses"), 1);
  assert.equal(metric(host, "service.cache_hits"), 1);
  host.clock.advance(1100);
  // One flush for both: 99 (the first, whose hit was counted) + 100.
  assert.deepEqual(sent(host, "ShouldRateLimit").map((r) => r.hitsAddend), [1, 199]);
  assert.equal(remaining, 20000 - 200);
  host.clock.advance(5000);
  // Nothing more to flush, nothing admitted since: no more calls.
  assert.equal(sent(host, "ShouldRateLimit").length, 2);
});

test("envoy-rls cached: a view whose budget is spent refuses locally with 429, without a call", async () => {
  const host = await serviceHost(servicePolicy("envoy-rls", CACHED));
  host.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", () => ({ message: answer(Code.OK, [{ code: Code.OK, remaining: 50, limit: 20000 }]) }));
  assert.equal(chat(host, "alice", ["free"]).status, 200);
  // 50 left after the first request's hit; it cost 99 more: the view is 49 over.
  const r = chat(host, "alice", ["free"]);
  assert.equal(r.status, 429);
  assert.equal(r.headers["x-ratelimit-remaining-tokens"], "0");
  assert.equal(sent(host, "ShouldRateLimit").length, 1);
  // Another user has a counter of their own: it asks the service.
  assert.equal(chat(host, "bob", ["free"]).status, 200);
  assert.equal(sent(host, "ShouldRateLimit").length, 2);
});

test("cached views are shared by the workers of a proxy", async () => {
  const host = await serviceHost(servicePolicy("envoy-rls", CACHED), { workers: 2 });
  host.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", () => ({ message: answer(Code.OK, [{ code: Code.OK, remaining: 10000, limit: 20000 }]) }));
  assert.equal(chat(host, "alice", ["free"], { worker: 0 }).status, 200);
  assert.equal(chat(host, "alice", ["free"], { worker: 1 }).status, 200);
  assert.equal(sent(host, "ShouldRateLimit").length, 1);
  host.clock.advance(1100);
  // Each worker flushes the counters it admitted on; the shared view is taken once (by CAS).
  assert.deepEqual(sent(host, "ShouldRateLimit").map((r) => r.hitsAddend), [1, 199]);
});

test("limitador cached: Report of the batched cost, then CheckRateLimit; OVER_LIMIT closes the view", async () => {
  const host = await serviceHost(servicePolicy("limitador", CACHED));
  let over = false;
  host.onGrpcCall(KUADRANT_RLS, "CheckRateLimit", () => ({ message: answer(over ? Code.OVER_LIMIT : Code.OK) }));
  host.onGrpcCall(KUADRANT_RLS, "Report", () => ({ message: answer(Code.OK) }));
  assert.equal(chat(host, "alice", ["free"]).status, 200);
  assert.equal(chat(host, "alice", ["free"]).status, 200);
  assert.equal(sent(host, "CheckRateLimit").length, 1);
  assert.equal(sent(host, "Report").length, 0);
  over = true;
  host.clock.advance(1100);
  assert.deepEqual(sent(host, "Report").map((r) => r.hitsAddend), [200]);
  assert.equal(sent(host, "CheckRateLimit").length, 2);
  const r = chat(host, "alice", ["free"]);
  assert.equal(r.status, 429);
  assert.equal(sent(host, "CheckRateLimit").length, 2);
});

test("cached: a flush that fails keeps its cost pending and sends it again at the next flush", async () => {
  const host = await serviceHost(servicePolicy("limitador", CACHED));
  host.onGrpcCall(KUADRANT_RLS, "CheckRateLimit", () => ({ message: answer(Code.OK) }));
  let reports = 0;
  host.onGrpcCall(KUADRANT_RLS, "Report", () => (++reports === 1 ? { status: 14 } : { message: answer(Code.OK) }));
  assert.equal(chat(host, "alice", ["free"]).status, 200);
  host.clock.advance(1100);
  assert.equal(reports, 1);
  assert.equal(chat(host, "alice", ["free"]).status, 200);
  host.clock.advance(1100);
  assert.deepEqual(sent(host, "Report").map((r) => r.hitsAddend), [100, 200]);
  assert.equal(metric(host, "service.errors.unavailable"), 1);
});

test("envoy-rls cached: once a view has no more left than a request's reservation, that request asks the service", async () => {
  const host = await serviceHost(servicePolicy("envoy-rls", CACHED));
  let remaining = 1511;
  host.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", () => ({ message: answer(Code.OK, [{ code: Code.OK, remaining: --remaining, limit: 20000 }]) }));
  // The view: 1,510 left after the first hit; each request costs 100 and reserves 1,003
  // (1,000 of output, 3 of input). 1,411, 1,311, 1,211, 1,111, 1,011 left: answered from the view.
  for (let i = 0; i < 6; i++) assert.equal(chat(host, "alice", ["free"]).status, 200);
  assert.equal(sent(host, "ShouldRateLimit").length, 1);
  // 911 left is less than a reservation: other replicas' spending now matters.
  assert.equal(chat(host, "alice", ["free"]).status, 200);
  assert.equal(sent(host, "ShouldRateLimit").length, 2);
  assert.equal(metric(host, "service.cache_hits"), 5);
  assert.equal(metric(host, "service.cache_misses"), 2);
});
