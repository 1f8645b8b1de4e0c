// What admission reserves: the request's max_tokens (or the default), capped by
// admission.maxReservation; check mode reserves nothing. And dry run: decide and count,
// never refuse, still charge.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EXAMPLE_POLICY, chatHeaders, chatResponse, CHAT_RESPONSE, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { filterHost, chat, chatRequest, counterOf, usedBy, metric, rateLimitHeaders, HELLO_INPUT } from "./helpers.ts";

test("max_tokens in the request body sets the reservation: remaining at admission = limit - used - max_tokens", async () => {
  const host = await filterHost();
  const first = chat(host, "alice", ["free"], { body: chatRequest(300) });
  assert.equal(first.headers["x-ratelimit-remaining-tokens"], String(20_000 - 0 - 300 - HELLO_INPUT));
  const second = chat(host, "alice", ["free"], { body: chatRequest(2500) });
  assert.equal(second.headers["x-ratelimit-remaining-tokens"], String(20_000 - 100 - 2500 - HELLO_INPUT));
  // 200 then 300 used before each: 20,000 - used - 777.
  for (const [field, remaining] of [["max_completion_tokens", String(19_023 - HELLO_INPUT)], ["max_output_tokens", String(18_923 - HELLO_INPUT)]]) {
    const r = chat(host, "alice", ["free"], { body: chatRequest(777, field) });
    assert.equal(r.headers["x-ratelimit-remaining-tokens"], remaining, field);
  }
  assert.equal(usedBy(host, "free", "alice"), 400);
});

test("the reservation is held while the request is in flight and replaced by the usage at the end", async () => {
  const host = await filterHost();
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s.sendRequestBody(chatRequest(1800), true);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 0, reserved: 1800 + HELLO_INPUT });
  s.sendResponseHeaders(JSON_RESPONSE_HEADERS);
  assert.equal(s.downstreamResponse?.headers["x-ratelimit-remaining-tokens"], String(18_200 - HELLO_INPUT));
  s.sendResponseBody(chatResponse(640), true);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 640, reserved: 0 });
});

test("a request that states no cap reserves admission.defaultReservation", async () => {
  const host = await filterHost({ pluginConfig: { ...EXAMPLE_POLICY, admission: { defaultReservation: 2500 } } });
  assert.equal(chat(host, "alice", ["free"]).headers["x-ratelimit-remaining-tokens"], String(17_500 - HELLO_INPUT));
  const get = host.exchange({
    request: { headers: { ...chatHeaders("alice", ["free"]), ":method": "GET" } },
    response: { headers: JSON_RESPONSE_HEADERS, body: chatResponse(100) },
  });
  assert.equal(get.headers["x-ratelimit-remaining-tokens"], "17400", "a request without a body reserves the default");
});

test("max_tokens is capped by admission.maxReservation", async () => {
  const host = await filterHost({ pluginConfig: { ...EXAMPLE_POLICY, admission: { maxReservation: 4000 } } });
  const r = chat(host, "alice", ["free"], { body: chatRequest(50_000) });
  assert.equal(r.headers["x-ratelimit-remaining-tokens"], String(16_000 - HELLO_INPUT), "the input estimate is added to the capped output");
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s.sendRequestBody(chatRequest(1_000_000_000), true);
  assert.equal(counterOf(host, "free", "alice")?.reserved, 4000 + HELLO_INPUT);
  s.reset();
  assert.equal(counterOf(host, "free", "alice")?.reserved, 0);
});

test("check mode reserves nothing: remaining = limit - used, and the counter holds no reservation in flight", async () => {
  const host = await filterHost({ pluginConfig: { ...EXAMPLE_POLICY, admission: { mode: "check" } } });
  assert.equal(chat(host, "alice", ["free"], { body: chatRequest(5000) }).headers["x-ratelimit-remaining-tokens"], "20000");
  assert.equal(chat(host, "alice", ["free"]).headers["x-ratelimit-remaining-tokens"], "19900");
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s.sendRequestBody(chatRequest(5000), true);
  assert.equal(counterOf(host, "free", "alice")?.reserved, 0);
  s.sendResponseHeaders(JSON_RESPONSE_HEADERS);
  s.sendResponseBody(chatResponse(100), true);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 300, reserved: 0 });
  // Check mode admits while used < limit: 197 more at 100 each reach 20,000 exactly.
  let admitted = 0;
  while (chat(host, "alice", ["free"]).status === 200) admitted++;
  assert.equal(admitted, 197);
  assert.equal(usedBy(host, "free", "alice"), 20_000);
});

test("dry run: an exhausted user is admitted, dry_run_limited counts it, and its usage is still charged", async () => {
  const host = await filterHost({ pluginConfig: { ...EXAMPLE_POLICY, dryRun: true } });
  for (let i = 0; i < 200; i++) assert.equal(chat(host, "alice", ["free"]).status, 200);
  assert.equal(metric(host, "dry_run_limited"), 0);
  for (let i = 0; i < 3; i++) {
    const r = chat(host, "alice", ["free"]);
    assert.equal(r.status, 200);
    assert.equal(r.localReply, false);
    assert.equal(r.body, CHAT_RESPONSE);
    assert.deepEqual(rateLimitHeaders(r), [
      ["x-ratelimit-limit-tokens", "20000"],
      ["x-ratelimit-remaining-tokens", "0"],
      ["x-ratelimit-reset-tokens", "15h0m0s"],
    ], "where the budget stands, but no retry-after: the client was not refused");
  }
  assert.equal(metric(host, "dry_run_limited"), 3);
  assert.equal(metric(host, "limit.free.requests_limited"), 3);
  assert.equal(metric(host, "requests_limited"), 0, "nothing was refused");
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 20_300, reserved: 0 });
  assert.ok(host.logs("info").includes("tokenlimit: dry run: would limit on free (remaining 0)"));
  assert.ok(host.logs("info").includes("tokenlimit: configured 2 limit(s) (dry run)"));
});

test("dry run with onCounterError reject still lets an unidentified request through", async () => {
  const policy = { limits: { all: { rates: [{ limit: 1000, window: "1h" }], counters: [{ expression: "auth.identity.userid" }] } }, onCounterError: "reject", dryRun: true };
  const host = await filterHost({ pluginConfig: policy });
  const r = host.exchange({ request: { headers: { ":method": "GET", ":path": "/v1/models", ":authority": "llm" } }, response: { headers: { ":status": "200" } } });
  assert.equal(r.status, 200);
  assert.deepEqual(rateLimitHeaders(r), []);
  assert.equal(metric(host, "counter_expression_errors"), 1);
});

test("a request body over admission.maxRequestBodyBytes is not read: its input is estimated from its size, the default output reserved", async () => {
  const body = JSON.stringify({ max_tokens: 300, messages: [{ role: "user", content: "x".repeat(40_000) }] });
  const small = await filterHost();
  const baseline = chat(small, "alice", ["free"], { body: chatRequest(300) });
  assert.equal(baseline.headers["x-ratelimit-remaining-tokens"], String(19_700 - HELLO_INPUT));
  // Whole, the body's 40,059 bytes are estimated; in chunks of 4 KiB without content-length,
  // the 12,288 bytes buffered when the bound was passed.
  for (const [chunkSize, seen] of [[undefined, body.length], [4096, 12_288]] as const) {
    const host = await filterHost({ pluginConfig: { ...EXAMPLE_POLICY, admission: { maxRequestBodyBytes: 10_000 } }, bufferLimitBytes: 8 << 20 });
    const r = host.exchange({
      request: { headers: chatHeaders("alice", ["free"]), body, chunkSize },
      response: { headers: JSON_RESPONSE_HEADERS, body: CHAT_RESPONSE },
    });
    assert.equal(r.status, 200);
    assert.equal(r.upstreamRequest?.body, body, "forwarded unchanged");
    assert.equal(r.headers["x-ratelimit-remaining-tokens"], String(20_000 - Math.ceil(seen / 4) - 1000), `chunks of ${chunkSize ?? "the whole body"}: max_tokens not read`);
    assert.equal(host.memoryBytes(), small.memoryBytes(), "the body was not copied into Wasm memory");
  }
});
