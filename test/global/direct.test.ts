// Direct mode: every admission asks the rate-limit service, every settled request reports
// its cost. The service is answered in process; what the filter sends is decoded with the
// real protobuf code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chat, metric, chatRequest, HELLO_INPUT } from "../filter/helpers.ts";
import { CHAT_REQUEST, chatHeaders, CHAT_RESPONSE, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { answer, Code, CLUSTER, ENVOY_RLS, KUADRANT_RLS, sent, serviceHost, servicePolicy } from "./helpers.ts";

const FREE_ALICE_RLS: Array<[string, string]> = [["tokenlimit_limit", "free"], ["tokenlimit_window", "86400"], ["tokenlimit_counter_0", "alice"]];
const FREE_ALICE_LIMITADOR: Array<[string, string]> = [["tokenlimit_limit", "free"], ["tokenlimit_counter_0", "alice"]];

test("envoy-rls: admission sends one descriptor per rate with hits_addend 1; the report sends the cost minus that hit", async () => {
  const host = await serviceHost(servicePolicy("envoy-rls", { domain: "llm-gw" }));
  host.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", () => ({ message: answer(Code.OK, [{ code: Code.OK, remaining: 19999, limit: 20000, resetSeconds: 54000 }]) }));
  const r = chat(host, "alice", ["free"]);
  host.flush();
  assert.equal(r.status, 200);
  assert.equal(r.upstreamRequest?.ended, true);
  assert.deepEqual(sent(host, "ShouldRateLimit"), [
    { domain: "llm-gw", descriptors: [FREE_ALICE_RLS], hitsAddend: 1 },
    { domain: "llm-gw", descriptors: [FREE_ALICE_RLS], hitsAddend: 99 },
  ]);
  assert.equal(host.grpcCalls[0].cluster, CLUSTER);
  assert.equal(host.grpcCalls[0].timeoutMs, 100);
  // 19,999 left after the counted hit, the reservation held by this request: 1,000 of output and 3 of input.
  assert.equal(r.headers["x-ratelimit-remaining-tokens"], String(19999 - (1000 + HELLO_INPUT) + 1));
  assert.equal(metric(host, "service.calls"), 2);
  assert.equal(metric(host, "service.reports_sent"), 1);
  assert.equal(metric(host, "requests_admitted"), 1);
});

test("envoy-rls: OVER_LIMIT answers 429 with the service's reset as retry-after, and reports nothing", async () => {
  const host = await serviceHost(servicePolicy("envoy-rls"));
  host.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", () => ({ message: answer(Code.OVER_LIMIT, [{ code: Code.OVER_LIMIT, remaining: 0, limit: 20000, resetSeconds: 3600 }]) }));
  const r = chat(host, "alice", ["free"]);
  host.flush();
  assert.equal(r.status, 429);
  // The headers went on while the body was read; the body never did.
  assert.equal(r.upstreamRequest?.ended, false);
  assert.equal(r.headers["retry-after"], "3600");
  assert.equal(r.headers["x-ratelimit-limit-tokens"], "20000");
  assert.equal(r.headers["x-ratelimit-remaining-tokens"], "0");
  assert.equal(sent(host, "ShouldRateLimit").length, 1);
  assert.equal(metric(host, "requests_limited"), 1);
});

test("envoy-rls: this proxy's in-flight reservations are subtracted from what the service says is left", async () => {
  const host = await serviceHost(servicePolicy("envoy-rls"));
  // The service's view: 1,500 left before each request's hit (it counts each admission's hit).
  let remaining = 1500;
  host.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", () => {
    remaining -= 1;
    return { message: answer(Code.OK, [{ code: Code.OK, remaining, limit: 20000 }]) };
  });
  const streams = [1, 2, 3].map(() => host.newStream());
  const body = chatRequest(1000);
  for (const s of streams) {
    s.sendRequestHeaders(chatHeaders("alice", ["free"]));
    s.sendRequestBody(body, true);
    host.flush();
  }
  // First: 1,499 left, nothing in flight: admitted, holds 999 (its hit is counted).
  // Second: 1,498 left, 999 in flight: 499 >= 0, admitted, holds 999 more.
  // Third: 1,497 left, 1,998 in flight: refused.
  assert.equal(streams[0].upstreamRequest?.ended, true);
  assert.equal(streams[1].upstreamRequest?.ended, true);
  assert.equal(streams[2].localResponse?.status, 429);
  for (const s of streams.slice(0, 2)) {
    s.sendResponseHeaders(JSON_RESPONSE_HEADERS);
    s.sendResponseBody(CHAT_RESPONSE, true);
  }
  host.flush();
  // Both charged 100: reports of 99 each; the reservations are given back.
  assert.deepEqual(sent(host, "ShouldRateLimit").map((r) => r.hitsAddend), [1, 1, 1, 99, 99]);
  const fourth = host.newStream();
  fourth.sendRequestHeaders(chatHeaders("alice", ["free"]));
  fourth.sendRequestBody(body, true);
  host.flush();
  assert.equal(fourth.upstreamRequest?.ended, true);
});

test("limitador: CheckRateLimit per limit with one descriptor; Report sends the whole cost", async () => {
  const host = await serviceHost(servicePolicy("limitador"));
  host.onGrpcCall(KUADRANT_RLS, "CheckRateLimit", () => ({ message: answer(Code.OK) }));
  host.onGrpcCall(KUADRANT_RLS, "Report", () => ({ message: answer(Code.OK) }));
  const r = chat(host, "alice", ["free"]);
  host.flush();
  assert.equal(r.status, 200);
  assert.deepEqual(sent(host, "CheckRateLimit"), [{ domain: "tokenlimit", descriptors: [FREE_ALICE_LIMITADOR], hitsAddend: 1 }]);
  assert.deepEqual(sent(host, "Report"), [{ domain: "tokenlimit", descriptors: [FREE_ALICE_LIMITADOR], hitsAddend: 100 }]);
  // Limitador tells no remaining budget: no guessed headers.
  assert.equal(r.headers["x-ratelimit-remaining-tokens"], undefined);
  assert.equal(metric(host, "service.reports_sent"), 1);
});

test("limitador: an OVER_LIMIT answer is a 429 whose retry-after is the limit's window (Limitador tells no reset)", async () => {
  const host = await serviceHost(servicePolicy("limitador"));
  host.onGrpcCall(KUADRANT_RLS, "CheckRateLimit", () => ({ message: answer(Code.OVER_LIMIT) }));
  const r = chat(host, "alice", ["free"]);
  host.flush();
  assert.equal(r.status, 429);
  assert.equal(r.headers["retry-after"], "86400");
  assert.equal(sent(host, "Report").length, 0);
});

test("limitador: a response that charged nothing sends no Report (Limitador would count 0 as 1)", async () => {
  const host = await serviceHost(servicePolicy("limitador"));
  host.onGrpcCall(KUADRANT_RLS, "CheckRateLimit", () => ({ message: answer(Code.OK) }));
  const r = chat(host, "alice", ["free"], { response: '{"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}' });
  host.flush();
  assert.equal(r.status, 200);
  assert.equal(sent(host, "Report").length, 0);
});

test("failureMode deny (the default): a timeout answers 503 naming it, counted", async () => {
  const host = await serviceHost(servicePolicy("envoy-rls", { timeout: "50ms" }));
  host.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", () => ({ pending: true }));
  const r = chat(host, "alice", ["free"]);
  assert.equal(r.status, 503);
  assert.equal(r.upstreamRequest?.ended, false);
  assert.match(JSON.parse(r.body).error.message, /rate-limit service: timeout/);
  assert.equal(metric(host, "service.errors.timeout"), 1);
  assert.equal(metric(host, "service.failure_mode_denied"), 1);
});

test("failureMode deny: an unavailable service answers 503 naming it", async () => {
  const host = await serviceHost(servicePolicy("limitador"));
  host.onGrpcCall(KUADRANT_RLS, "CheckRateLimit", () => ({ status: 14, statusMessage: "no healthy upstream" }));
  const r = chat(host, "alice", ["free"]);
  assert.equal(r.status, 503);
  assert.match(JSON.parse(r.body).error.message, /rate-limit service: unavailable/);
  assert.equal(metric(host, "service.errors.unavailable"), 1);
});

test("failureMode deny: an answer that does not decode is a bad answer, 503", async () => {
  const host = await serviceHost(servicePolicy("envoy-rls"));
  host.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", () => ({ message: new Uint8Array([0x12, 0x7f, 0x08]) }));
  const r = chat(host, "alice", ["free"]);
  assert.equal(r.status, 503);
  assert.match(JSON.parse(r.body).error.message, /rate-limit service: bad_answer/);
  assert.equal(metric(host, "service.errors.bad_answer"), 1);
});

test("envoy-rls: a descriptor no rule of the service matches is a bad answer, not a free pass", async () => {
  const host = await serviceHost(servicePolicy("envoy-rls"));
  host.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", () => ({ message: answer(Code.OK, [{ code: Code.OK }]) }));
  assert.equal(chat(host, "alice", ["free"]).status, 503);
});

test("failureMode allow: the request goes through, counted, and its whole cost is reported (no hit was counted)", async () => {
  const host = await serviceHost(servicePolicy("envoy-rls", { failureMode: "allow" }));
  let calls = 0;
  host.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", () => (++calls === 1 ? { status: 14 } : { message: answer(Code.OK) }));
  const r = chat(host, "alice", ["free"]);
  host.flush();
  assert.equal(r.status, 200);
  assert.equal(r.upstreamRequest?.ended, true);
  assert.equal(metric(host, "service.failure_mode_allowed"), 1);
  assert.deepEqual(sent(host, "ShouldRateLimit").map((x) => x.hitsAddend), [1, 100]);
});

test("a report that fails is retried on tick with backoff, and counted", async () => {
  const host = await serviceHost(servicePolicy("limitador"));
  host.onGrpcCall(KUADRANT_RLS, "CheckRateLimit", () => ({ message: answer(Code.OK) }));
  let reports = 0;
  host.onGrpcCall(KUADRANT_RLS, "Report", () => (++reports <= 2 ? { status: 14, statusMessage: "connection refused" } : { message: answer(Code.OK) }));
  chat(host, "alice", ["free"]);
  host.flush();
  assert.equal(metric(host, "service.reports_pending"), 1);
  host.clock.advance(1000);
  assert.equal(reports, 3);
  assert.deepEqual(sent(host, "Report").map((x) => x.hitsAddend), [100, 100, 100]);
  assert.equal(metric(host, "service.reports_retried"), 2);
  assert.equal(metric(host, "service.reports_sent"), 1);
  assert.equal(metric(host, "service.reports_pending"), 0);
  assert.equal(metric(host, "service.reports_lost"), 0);
});

test("a report that keeps failing is given up after its last attempt and counted lost", async () => {
  const host = await serviceHost(servicePolicy("limitador"));
  host.onGrpcCall(KUADRANT_RLS, "CheckRateLimit", () => ({ message: answer(Code.OK) }));
  host.onGrpcCall(KUADRANT_RLS, "Report", () => ({ status: 14 }));
  chat(host, "alice", ["free"]);
  host.clock.advance(60_000);
  assert.equal(sent(host, "Report").length, 6);
  assert.equal(metric(host, "service.reports_lost"), 1);
  assert.equal(metric(host, "service.reports_pending"), 0);
});

test("a stream reset while its admission is pending: the call is cancelled and a late answer is dropped", async () => {
  const host = await serviceHost(servicePolicy("envoy-rls"));
  host.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", () => ({ message: answer(Code.OK, [{ code: Code.OK, remaining: 10, limit: 20000 }]), delayMs: 30 }));
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", ["free"]));
  s.sendRequestBody(CHAT_REQUEST, true);
  assert.equal(s.requestPaused, true);
  s.reset();
  host.clock.advance(100);
  assert.equal(host.grpcCalls[0].state, "cancelled");
  assert.equal(s.upstreamRequest?.ended, false);
  assert.equal(s.upstreamRequest?.body, "");
  assert.deepEqual(host.traps, []);
  // Nothing was admitted, so nothing is reported for it; the next request is served normally.
  const r = chat(host, "bob", ["free"]);
  host.flush();
  assert.equal(r.status, 200);
  assert.deepEqual(sent(host, "ShouldRateLimit").map((x) => [x.descriptors[0][2][1], x.hitsAddend]), [["alice", 1], ["bob", 1], ["bob", 99]]);
});

test("gold and free both apply: envoy-rls sends both limits' descriptors in one call, limitador one call per limit", async () => {
  const rls = await serviceHost(servicePolicy("envoy-rls"));
  rls.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", () =>
    ({ message: answer(Code.OK, [{ code: Code.OK, remaining: 5, limit: 20000 }, { code: Code.OK, remaining: 5, limit: 200000 }]) }));
  const r = chat(rls, "alice", ["free", "gold"]);
  assert.equal(r.status, 200);
  assert.deepEqual(sent(rls, "ShouldRateLimit")[0].descriptors.map((d) => d[0][1]), ["free", "gold"]);
  const lim = await serviceHost(servicePolicy("limitador"));
  lim.onGrpcCall(KUADRANT_RLS, "CheckRateLimit", () => ({ message: answer(Code.OK) }));
  lim.onGrpcCall(KUADRANT_RLS, "Report", () => ({ message: answer(Code.OK) }));
  assert.equal(chat(lim, "alice", ["free", "gold"]).status, 200);
  lim.flush();
  assert.deepEqual(sent(lim, "CheckRateLimit").map((x) => x.descriptors[0][0][1]), ["free", "gold"]);
  assert.deepEqual(sent(lim, "Report").map((x) => [x.descriptors[0][0][1], x.hitsAddend]), [["free", 100], ["gold", 100]]);
});

test("hostile answers never trap: random bytes and truncated answers give 200, 429 or 503", async () => {
  const { prng } = await import("../filter/helpers.ts");
  const rand = prng(10);
  const valid = answer(Code.OK, [{ code: Code.OK, remaining: 7, limit: 20000, resetSeconds: 12 }]);
  for (const backend of ["envoy-rls", "limitador"] as const) {
    const host = await serviceHost(servicePolicy(backend));
    const respond = () => {
      const n = rand.int(3);
      if (n === 0) return { message: valid.slice(0, rand.int(valid.length)) };
      const bytes = new Uint8Array(rand.int(40));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rand.int(256);
      return { message: bytes };
    };
    host.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", respond);
    host.onGrpcCall(KUADRANT_RLS, "CheckRateLimit", respond);
    host.onGrpcCall(KUADRANT_RLS, "Report", respond);
    for (let i = 0; i < 150; i++) {
      const r = chat(host, `u${i % 7}`, ["free"]);
      assert.ok([200, 429, 503].includes(r.status), `status ${r.status}`);
    }
    host.clock.advance(10_000);
    assert.deepEqual(host.traps, []);
  }
});

test("admission at request headers (the body is not read): the headers wait for the answer, then go on", async () => {
  const host = await serviceHost(servicePolicy("envoy-rls", {}, { admission: { readRequestBody: false } }));
  host.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", () => ({ message: answer(Code.OK, [{ code: Code.OK, remaining: 500, limit: 20000 }]), delayMs: 20 }));
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", ["free"]));
  assert.equal(s.requestPaused, true);
  assert.equal(s.upstreamRequest, null);
  host.clock.advance(25);
  assert.equal(s.requestPaused, false);
  assert.notEqual(s.upstreamRequest, null);
});

test("envoy-rls: an answer with fewer statuses than descriptors is a bad answer", async () => {
  const host = await serviceHost(servicePolicy("envoy-rls"));
  host.onGrpcCall(ENVOY_RLS, "ShouldRateLimit", () => ({ message: answer(Code.OK, [{ code: Code.OK, remaining: 5, limit: 20000 }]) }));
  assert.equal(chat(host, "alice", ["free", "gold"]).status, 503);
  assert.equal(metric(host, "service.errors.bad_answer"), 1);
});
