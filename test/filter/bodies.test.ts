// Response bodies as they really arrive: split anywhere, byte by byte, huge, without
// usage, broken, compressed, failed upstream, cut off. Every case charges exactly what
// the rules say (assembly/limits/charge.ts) and counts every fallback in a metric.
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { chatHeaders, chatResponse, CHAT_RESPONSE, CHAT_REQUEST, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { filterHost, chat, chatRequest, counterOf, usedBy, metric, HELLO_INPUT } from "./helpers.ts";

test("the example response split into 2 chunks at every byte position charges exactly 100 each time", async () => {
  const host = await filterHost();
  for (let cut = 1; cut < CHAT_RESPONSE.length; cut++) {
    const r = chat(host, "bob", ["gold"], { responseChunkSize: [cut] });
    assert.equal(r.status, 200);
    assert.equal(r.body, CHAT_RESPONSE, `cut ${cut}: body passes unchanged`);
    assert.equal(r.stream.downstreamResponse?.chunks.length, 2);
    assert.equal(usedBy(host, "gold", "bob"), 100 * cut, `cut at ${cut}`);
  }
  assert.equal(metric(host, "usage_missing"), 0);
  assert.equal(metric(host, "fallback_charges"), 0);
});

test("the example response in 1-byte chunks charges exactly 100", async () => {
  const host = await filterHost();
  const r = chat(host, "alice", ["free"], { responseChunkSize: 1 });
  assert.equal(r.stream.downstreamResponse?.chunks.length, Buffer.byteLength(CHAT_RESPONSE));
  assert.equal(r.body, CHAT_RESPONSE);
  assert.equal(usedBy(host, "free", "alice"), 100);
  assert.equal(counterOf(host, "free", "alice")?.reserved, 0);
});

test("a 10 MB response (usage at the end) charges exactly and Wasm memory stays what a 1 KB response needs", async () => {
  const small = chatResponse(100, "y".repeat(900));
  const huge = chatResponse(4242, "Lorem ipsum dolor sit amet, \\\"quoted\\\" \\u00e9 ".repeat(Math.ceil((10 << 20) / 46)));
  assert.ok(huge.length > 10 << 20);
  const memory: Record<string, number> = {};
  for (const [name, body, chunkSize] of [["1KB", small, undefined], ["10MB/64KB", huge, 64 * 1024], ["10MB/1", huge, undefined]] as const) {
    const host = await filterHost();
    const r = chat(host, "bob", ["gold"], { response: body, responseChunkSize: chunkSize });
    assert.equal(r.status, 200);
    assert.equal(r.bodyBytes.length, Buffer.byteLength(body));
    assert.equal(usedBy(host, "gold", "bob"), name === "1KB" ? 100 : 4242, name);
    assert.equal(metric(host, "usage_missing"), 0);
    memory[name] = host.memoryBytes();
  }
  assert.equal(memory["10MB/64KB"], memory["1KB"], "10 MB in 64 KB chunks");
  assert.equal(memory["10MB/1"], memory["1KB"], "10 MB in one chunk");
});

test("a response without usage is charged the reservation (default 1000, or max_tokens) and counted in usage_missing", async () => {
  const host = await filterHost();
  const noUsage = '{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}]}';
  assert.equal(chat(host, "alice", ["free"], { response: noUsage }).status, 200);
  assert.equal(usedBy(host, "free", "alice"), 1000 + HELLO_INPUT);
  assert.equal(metric(host, "usage_missing"), 1);
  assert.equal(metric(host, "fallback_charges"), 1);
  assert.equal(chat(host, "alice", ["free"], { response: noUsage, body: chatRequest(250) }).status, 200);
  assert.equal(usedBy(host, "free", "alice"), 1250 + 2 * HELLO_INPUT);
  assert.equal(metric(host, "usage_missing"), 2);
  assert.equal(chat(host, "alice", ["free"], { response: "" }).status, 200);
  assert.equal(usedBy(host, "free", "alice"), 2250 + 3 * HELLO_INPUT, "an empty body is charged the reservation too");
  assert.equal(metric(host, "usage_missing"), 3);
  assert.equal(counterOf(host, "free", "alice")?.reserved, 0);
});

test("an invalid JSON body is charged the fallback and counted", async () => {
  const host = await filterHost();
  for (const body of ['{"id": "x", "choices": [ oops', "<html><body>Bad Gateway</body></html>", "\u0000\u0001\u00ff garbage", "[1,2,"]) {
    const before = usedBy(host, "free", "alice");
    const r = chat(host, "alice", ["free"], { response: body });
    assert.equal(r.status, 200);
    assert.equal(r.body, body, "the body passes unchanged");
    assert.equal(usedBy(host, "free", "alice") - before, 1000 + HELLO_INPUT, JSON.stringify(body));
  }
  assert.equal(metric(host, "usage_missing"), 4);
  assert.equal(metric(host, "fallback_charges"), 4);
  assert.deepEqual(host.traps, []);
});

test("a gzip-encoded body is unreadable: fallback charge, usage_unreadable counted, and accept-encoding: identity is asked upstream", async () => {
  const host = await filterHost();
  const gz = gzipSync(Buffer.from(CHAT_RESPONSE));
  const r = host.exchange({
    request: { headers: { ...chatHeaders("alice", ["free"]), "accept-encoding": "gzip, deflate, br" }, body: chatRequest(300) },
    response: { headers: { ...JSON_RESPONSE_HEADERS, "content-encoding": "gzip" }, body: gz },
  });
  assert.equal(r.status, 200);
  assert.equal(r.upstreamRequest?.headers["accept-encoding"], "identity");
  assert.equal(r.upstreamRequest?.headerPairs.filter(([k]) => k === "accept-encoding").length, 1);
  assert.deepEqual(r.bodyBytes, new Uint8Array(gz), "the compressed body passes unchanged");
  assert.equal(usedBy(host, "free", "alice"), 300 + HELLO_INPUT, "charged the reservation (max_tokens and the input), not 100");
  assert.equal(metric(host, "usage_unreadable"), 1);
  assert.equal(metric(host, "usage_missing"), 1);
  assert.equal(metric(host, "fallback_charges"), 1);
  // content-encoding: identity is readable.
  chat(host, "alice", ["free"], { responseHeaders: { ...JSON_RESPONSE_HEADERS, "content-encoding": "identity" } });
  assert.equal(usedBy(host, "free", "alice"), 400 + HELLO_INPUT);
  assert.equal(metric(host, "usage_unreadable"), 1);
});

test("accept-encoding is left alone on requests no limit applies to", async () => {
  const host = await filterHost();
  const r = host.exchange({
    request: { headers: { ...chatHeaders("alice", ["free"], "/v1/models"), "accept-encoding": "gzip" }, body: CHAT_REQUEST },
    response: { headers: JSON_RESPONSE_HEADERS, body: "{}" },
  });
  assert.equal(r.upstreamRequest?.headers["accept-encoding"], "gzip");
});

test("5xx responses are charged nothing, even when they report usage, and counted in upstream_errors_uncharged", async () => {
  const host = await filterHost();
  const err = '{"error":{"message":"The server had an error","type":"server_error"}}';
  for (const [status, body] of [["500", err], ["503", ""], ["502", CHAT_RESPONSE]] as const) {
    const r = chat(host, "alice", ["free"], { responseHeaders: { ":status": status, "content-type": "application/json" }, response: body });
    assert.equal(r.status, Number(status));
  }
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 0, reserved: 0 });
  assert.equal(metric(host, "upstream_errors_uncharged"), 3);
  assert.equal(metric(host, "usage_missing"), 0);
  assert.equal(metric(host, "tokens_charged"), 0);
});

test("a 4xx response without usage is charged nothing; with usage it is charged the usage", async () => {
  const host = await filterHost();
  chat(host, "alice", ["free"], { responseHeaders: { ":status": "400", "content-type": "application/json" }, response: '{"error":{"message":"bad"}}' });
  assert.equal(usedBy(host, "free", "alice"), 0);
  assert.equal(metric(host, "upstream_errors_uncharged"), 1);
  chat(host, "alice", ["free"], { responseHeaders: { ":status": "400", "content-type": "application/json" }, response: CHAT_RESPONSE });
  assert.equal(usedBy(host, "free", "alice"), 100);
});

test("a stream reset after response headers and part of the body is charged the fallback (no usage seen yet)", async () => {
  const host = await filterHost();
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s.sendRequestBody(chatRequest(400), true);
  assert.equal(counterOf(host, "free", "alice")?.reserved, 400 + HELLO_INPUT);
  s.sendResponseHeaders(JSON_RESPONSE_HEADERS);
  s.sendResponseBody(CHAT_RESPONSE.slice(0, 120));
  s.reset();
  assert.equal(s.completed, true);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 400 + HELLO_INPUT, reserved: 0 });
  assert.equal(metric(host, "streams_aborted"), 1);
  assert.equal(metric(host, "fallback_charges"), 1);
});

test("a stream reset after the usage went by is charged the usage seen", async () => {
  const host = await filterHost();
  const usageFirst = '{"usage":{"prompt_tokens":15,"completion_tokens":85,"total_tokens":100},"choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I';
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s.sendRequestBody(chatRequest(400), true);
  s.sendResponseHeaders(JSON_RESPONSE_HEADERS);
  s.sendResponseBody(usageFirst);
  s.reset();
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 100, reserved: 0 });
  assert.equal(metric(host, "streams_aborted"), 1);
  assert.equal(metric(host, "fallback_charges"), 0);
});

test("a stream reset before the response releases the reservation and charges nothing", async () => {
  const host = await filterHost();
  chat(host, "alice", ["free"]);
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s.sendRequestBody(chatRequest(700), true);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 100, reserved: 700 + HELLO_INPUT });
  s.reset();
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 100, reserved: 0 });
  assert.equal(metric(host, "streams_aborted"), 1);
  assert.equal(metric(host, "tokens_charged"), 100);
});

test("a stream reset while the request body is still arriving reserves and charges nothing", async () => {
  const host = await filterHost();
  chat(host, "alice", ["free"]);
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s.sendRequestBody('{"model":"m","max_tokens":', false);
  s.reset();
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 100, reserved: 0 });
  assert.deepEqual(host.traps, []);
});

test("a response that ends in trailers is charged when the trailers arrive", async () => {
  const host = await filterHost();
  const r = host.exchange({
    request: { headers: chatHeaders("alice", ["free"]), body: CHAT_REQUEST },
    response: { headers: JSON_RESPONSE_HEADERS, body: CHAT_RESPONSE, trailers: { "x-trailer": "1" } },
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.trailers, { "x-trailer": "1" });
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 100, reserved: 0 });
});

test("a headers-only response (end of stream on the headers) is charged the fallback once", async () => {
  const host = await filterHost();
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s.sendRequestBody(chatRequest(321), true);
  s.sendResponseHeaders({ ":status": "200" }, true);
  assert.equal(s.completed, true);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 321 + HELLO_INPUT, reserved: 0 });
  assert.equal(metric(host, "usage_missing"), 1);
});
