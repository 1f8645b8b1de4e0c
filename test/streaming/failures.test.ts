// Streams that do not end well: a client reset mid-stream, an upstream error event, no
// usage at all, no [DONE], and a 10 MB stream. Each is charged what was seen (or the
// configured fallback), counted in metrics, and never traps the VM.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as T from "../../fixtures/transcripts.ts";
import type { Host } from "../../host-test/index.ts";
import { newHost, policy, replay, openStream, delta, metric, rawStringBytes, storedReserved, utf8 } from "./helpers.ts";

/** Opens `t`, delivers its first `at` bytes (in `chunk`-byte pieces), then the client resets. Returns the charge. */
function cutAt(host: Host, t: T.Transcript, at: number, chunk = 17, body = t.body): number {
  const bytes = utf8(body);
  return delta(host, () => {
    const s = openStream(host, t);
    for (let p = 0; p < at; p += chunk) s.sendResponseBody(bytes.subarray(p, Math.min(p + chunk, at)), false);
    s.reset();
    assert.ok(s.completed);
  });
}

/** UTF-8 length of `body` up to the end of the first line containing `marker` plus its blank line. */
function afterEvent(body: string, marker: string): number {
  const i = body.indexOf(marker);
  assert.ok(i >= 0, marker);
  return utf8(body.slice(0, body.indexOf("\n\n", i) + 2)).length;
}

const ceilDiv4 = (n: number) => Math.ceil(n / 4);
// The reservations include the input estimate of each transcript's request: its prompt's
// string bytes at 4 bytes a token.
const OPENAI_INPUT = ceilDiv4("user".length + "Write a haiku about coffee.".length); // 8
const ANTHROPIC_INPUT = ceilDiv4("user".length + "Hello".length); // 3
const VLLM_INPUT = ceilDiv4("user".length + "Hi".length); // 2
const RESPONSES_INPUT = ceilDiv4("Say hi.".length); // 2

test("client reset before OpenAI's usage chunk: the reservation is charged and the stream counted as aborted", async () => {
  const host = await newHost();
  const t = T.OPENAI_CHAT_STREAM;
  const aborted = metric(host, "tokenlimit.streams_aborted");
  const missing = metric(host, "tokenlimit.usage_missing");
  // The request states no max tokens: the default reservation (1000) and its input are the fallback.
  assert.equal(cutAt(host, t, afterEvent(t.body, '"finish_reason":"stop"')), 1000 + OPENAI_INPUT);
  assert.equal(metric(host, "tokenlimit.streams_aborted") - aborted, 1);
  assert.equal(metric(host, "tokenlimit.usage_missing") - missing, 1);
  assert.equal(storedReserved(host, "user", "alice"), 0);
});

test("client reset before the usage chunk with onMissing estimate: the text seen so far, about 4 bytes a token, plus the input estimate", async () => {
  const host = await newHost(policy({ usage: { onMissing: "estimate" } }));
  const t = T.OPENAI_CHAT_STREAM;
  const at = afterEvent(t.body, '"finish_reason":"stop"');
  const text = rawStringBytes(t.body.slice(0, at), /content/);
  // Raw bytes as sent, escapes included: `Here is a \"haiku\":\n\n` (24) + `Caf\u00e9 steam rises \u2014 ☕` (32)
  assert.equal(text, 56);
  assert.equal(cutAt(host, t, at), ceilDiv4(text) + OPENAI_INPUT);
});

test("client reset with onMissing zero charges nothing", async () => {
  const host = await newHost(policy({ usage: { onMissing: "zero" } }));
  assert.equal(cutAt(host, T.OPENAI_CHAT_STREAM, 300), 0);
});

test("client reset after OpenAI's usage chunk but before [DONE]: the exact usage", async () => {
  const host = await newHost();
  const t = T.OPENAI_CHAT_STREAM;
  assert.equal(cutAt(host, t, afterEvent(t.body, '"choices":[],"usage":{')), 1963);
  // The usage line complete but its blank line not yet received: dispatched at the end all the same.
  assert.equal(cutAt(host, t, afterEvent(t.body, '"choices":[],"usage":{') - 1), 1963);
});

test("client reset inside OpenAI's usage chunk: a half-read usage object is never used", async () => {
  const host = await newHost();
  const t = T.OPENAI_CHAT_STREAM;
  const start = utf8(t.body.slice(0, t.body.indexOf('"usage":{"prompt_tokens"'))).length;
  const end = utf8(t.body.slice(0, t.body.lastIndexOf("}}}") + 1)).length;
  for (let at = start; at <= end; at += 3) assert.equal(cutAt(host, t, at, 64), 1000 + OPENAI_INPUT, `cut at ${at}`);
});

test("client reset mid Anthropic stream: input from message_start plus an estimate of the text seen", async () => {
  const host = await newHost();
  const t = T.ANTHROPIC_STREAM;
  const missing = metric(host, "tokenlimit.usage_missing");
  const at = afterEvent(t.body, "! I'm Claude");
  const text = rawStringBytes(t.body.slice(0, at), /text/);
  assert.equal(text, 5 + 41); // "Hello", and `! I'm Claude \u2014 \"nice\" to meet you.` as sent
  assert.equal(cutAt(host, t, at), 472 + ceilDiv4(text));
  assert.equal(metric(host, "tokenlimit.usage_missing") - missing, 1);
  // After message_delta but before message_stop: the reported usage, exactly.
  assert.equal(cutAt(host, t, afterEvent(t.body, "message_delta\ndata")), 659);
});

test("client reset mid Anthropic stream: estimated output counts for output limits and cost weights too", async () => {
  const host = await newHost(policy({ cost: { weights: { input: 1, output: 4 } } }, {
    all: { rates: [{ limit: 1e12, window: "1h" }], counters: [{ expression: "auth.identity.userid" }] },
    out: { rates: [{ limit: 1e12, window: "1h" }], counters: [{ expression: "auth.identity.userid" }], tokens: "output" },
  }));
  const t = T.ANTHROPIC_STREAM;
  const at = afterEvent(t.body, "! I'm Claude");
  const est = ceilDiv4(rawStringBytes(t.body.slice(0, at), /text/)); // 12
  const out = metric(host, "tokenlimit.limit.out.tokens_charged");
  assert.equal(cutAt(host, t, at), 472 + 4 * est);
  assert.equal(metric(host, "tokenlimit.limit.out.tokens_charged") - out, est);
});

test("client reset at every byte of an Anthropic stream: a sane charge, no trap, no reservation left", async () => {
  const host = await newHost();
  const t = T.ANTHROPIC_STREAM;
  const n = utf8(t.body).length;
  const maxText = ceilDiv4(rawStringBytes(t.body, /text/));
  const full = afterEvent(t.body, "message_delta\ndata");
  for (let at = 0; at <= n; at++) {
    const c = cutAt(host, t, at, 29);
    if (at >= full) assert.equal(c, 659, `cut at ${at}`);
    // Before message_start's usage is read: the reservation (max_tokens 1024 + the input); after: input + estimate.
    else assert.ok(c === 1024 + ANTHROPIC_INPUT || (c >= 472 && c <= 472 + maxText) || c === 659, `cut at ${at}: ${c}`);
  }
  assert.equal(host.traps.length, 0);
  assert.equal(storedReserved(host, "user", "alice"), 0);
});

test("client reset at every byte of every stream: no trap, and the reservation is always settled", async () => {
  const host = await newHost();
  for (const t of T.STREAMS) {
    const n = utf8(t.body).length;
    for (let at = 0; at <= n; at += 7) cutAt(host, t, at, 13);
  }
  assert.equal(host.traps.length, 0);
  assert.equal(storedReserved(host, "user", "alice"), 0);
});

test("client reset before the response starts releases the reservation and charges nothing", async () => {
  const host = await newHost();
  const t = T.OPENAI_CHAT_STREAM;
  const charged = delta(host, () => {
    const s = host.newStream();
    s.sendRequestHeaders({ ":method": "POST", ":path": t.path, ":authority": "llm", "content-type": "application/json", "x-auth-user": "alice" });
    s.sendRequestBody(t.request, true);
    assert.ok(storedReserved(host, "user", "alice") > 0);
    s.reset();
  });
  assert.equal(charged, 0);
  assert.equal(storedReserved(host, "user", "alice"), 0);
});

test("an Anthropic error event mid-stream: input plus an estimate of the text generated before it", async () => {
  const host = await newHost();
  const t = T.ANTHROPIC_STREAM_ERROR;
  const missing = metric(host, "tokenlimit.usage_missing");
  const text = rawStringBytes(t.body, /text/);
  assert.equal(text, 34); // "The answer, in short, is forty-two"
  for (const chunkSize of [1, 10, 1000]) {
    const { result, charged } = replay(host, t, { chunkSize });
    assert.equal(result.status, 200);
    assert.equal(charged, 120 + 9, `chunk ${chunkSize}`);
  }
  assert.equal(metric(host, "tokenlimit.usage_missing") - missing, 3);
  assert.equal(metric(host, "tokenlimit.streams_aborted"), 0);
});

test("an OpenAI-compatible error object mid-stream then [DONE]: the fallback, counted as usage missing", async () => {
  const host = await newHost();
  const t = T.VLLM_STREAM_ERROR;
  const missing = metric(host, "tokenlimit.usage_missing");
  const fallbacks = metric(host, "tokenlimit.fallback_charges");
  assert.equal(replay(host, t, { chunkSize: 5 }).charged, 300 + VLLM_INPUT, "the reservation: max_tokens 300 and the input");
  assert.equal(metric(host, "tokenlimit.usage_missing") - missing, 1);
  assert.equal(metric(host, "tokenlimit.fallback_charges") - fallbacks, 1);
  const estimating = await newHost(policy({ usage: { onMissing: "estimate" } }));
  assert.equal(replay(estimating, t, { chunkSize: 5 }).charged, ceilDiv4(18) + VLLM_INPUT, '"Once upon a time, " and the input');
});

test("an upstream 5xx is not charged (by default) and is counted", async () => {
  const host = await newHost();
  const uncharged = metric(host, "tokenlimit.upstream_errors_uncharged");
  const { result, charged } = replay(host, T.OPENAI_CHAT_JSON, {
    responseHeaders: { ":status": "503", "content-type": "application/json" },
    body: '{"error":{"message":"The server is overloaded","type":"server_error","param":null,"code":null}}',
  });
  assert.equal(result.status, 503);
  assert.equal(charged, 0);
  assert.equal(metric(host, "tokenlimit.upstream_errors_uncharged") - uncharged, 1);
  assert.equal(storedReserved(host, "user", "alice"), 0);
});

test("a stream without a usage event is charged the fallback and counted as usage missing", async () => {
  const t = T.OPENAI_CHAT_STREAM_NO_USAGE;
  const text = rawStringBytes(t.body, /content/);
  const cases: Array<[string, number]> = [["reservation", 1000 + OPENAI_INPUT], ["estimate", ceilDiv4(text) + OPENAI_INPUT], ["zero", 0]];
  for (const [onMissing, want] of cases) {
    // includeStreamUsage off: the server is not asked for usage, so none comes.
    const host = await newHost(policy({ usage: { includeStreamUsage: false, onMissing } }));
    const missing = metric(host, "tokenlimit.usage_missing");
    const fallbacks = metric(host, "tokenlimit.fallback_charges");
    assert.equal(replay(host, t, { chunkSize: 9 }).charged, want, onMissing);
    assert.equal(metric(host, "tokenlimit.usage_missing") - missing, 1);
    assert.equal(metric(host, "tokenlimit.fallback_charges") - fallbacks, 1);
  }
});

test("the reservation fallback is the request's own cap on output tokens", async () => {
  const host = await newHost(policy({ usage: { includeStreamUsage: false } }));
  const t = T.OPENAI_CHAT_STREAM_NO_USAGE;
  const request = '{"model":"o4-mini","messages":[],"stream":true,"max_completion_tokens":640}';
  assert.equal(replay(host, t, { request }).charged, 640);
});

test("[DONE] missing: the usage chunk is still charged, with or without its closing blank line", async () => {
  const host = await newHost();
  const t = T.OPENAI_CHAT_STREAM;
  const noDone = t.body.replace("data: [DONE]\n\n", "");
  assert.notEqual(noDone, t.body);
  const bare = noDone.replace(/\n+$/, "");
  for (const body of [noDone, bare, T.crlf(bare)]) {
    const n = utf8(body).length;
    const wrong: number[] = [];
    for (let k = 1; k <= n; k += 1) if (replay(host, t, { body, chunkSize: k }).charged !== 1963) wrong.push(k);
    assert.deepEqual(wrong, []);
  }
  assert.equal(metric(host, "tokenlimit.usage_missing"), 0);
});

/** An OpenAI stream of about `bytes` bytes (content chunks, then OPENAI_CHAT_STREAM's usage chunk and [DONE]). */
function longStream(bytes: number): Uint8Array {
  const event = 'data: {"id":"chatcmpl-C1x7","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","choices":[{"index":0,"delta":{"content":"All work and no play makes Jack a dull boy. \\u2014 "},"finish_reason":null}],"usage":null}\n\n';
  const tail = T.OPENAI_CHAT_STREAM.body.slice(T.OPENAI_CHAT_STREAM.body.lastIndexOf("data: {"));
  return utf8(event.repeat(Math.max(0, Math.ceil((bytes - tail.length) / event.length))) + tail);
}

/** Streams `body` in 1 KB chunks on a fresh host; returns the charge and the VM's memory after. */
async function streamInKilobytes(body: Uint8Array): Promise<{ charged: number; memory: number; received: number; traps: number }> {
  const host = await newHost();
  let received = 0;
  const charged = delta(host, () => {
    const s = openStream(host, T.OPENAI_CHAT_STREAM);
    for (let p = 0; p < body.length; p += 1024) s.sendResponseBody(body.subarray(p, Math.min(p + 1024, body.length)), p + 1024 >= body.length);
    assert.ok(s.completed);
    received = s.downstreamResponse?.bodyBytes.length ?? 0;
  });
  return { charged, memory: host.memoryBytes(), received, traps: host.traps.length };
}

test("a 10 MB stream in 1 KB chunks: exact charge, no trap, and the same memory as a 1 KB stream", async () => {
  const small = longStream(1024);
  const big = longStream(10 * 1024 * 1024);
  assert.ok(small.length >= 1024 && small.length < 2048 && big.length >= 10 * 1024 * 1024, `${small.length} ${big.length}`);
  const a = await streamInKilobytes(small);
  const b = await streamInKilobytes(big);
  assert.equal(a.charged, 1963);
  assert.equal(b.charged, 1963);
  assert.equal(b.received, big.length);
  assert.equal(a.traps + b.traps, 0);
  assert.equal(b.memory, a.memory, `memory grew from ${a.memory} to ${b.memory} bytes`);
});

test("a 10 MB JSON body delivered as one chunk (a buffering filter in front) is read without a trap", async () => {
  const host = await newHost();
  const filler = "x".repeat(10 * 1024 * 1024);
  const body = `{"id":"chatcmpl-big","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"${filler}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}`;
  const { charged } = replay(host, T.OPENAI_CHAT_JSON, { body });
  assert.equal(charged, 12);
  assert.equal(host.traps.length, 0);
});

test("Responses API: a response.incomplete event carries usage and is charged exactly; an error event falls back", async () => {
  const host = await newHost();
  const t = T.RESPONSES_STREAM;
  const incomplete = t.body.replace("event: response.completed", "event: response.incomplete")
    .replace('"type":"response.completed"', '"type":"response.incomplete"')
    .replace('"status":"completed","model"', '"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"model"');
  assert.notEqual(incomplete, t.body);
  assert.equal(replay(host, t, { body: incomplete, chunkSize: 19 }).charged, 508);
  const cut = t.body.slice(0, t.body.indexOf("event: response.output_text.done"));
  const failed = cut + 'event: error\ndata: {"type":"error","code":"server_error","message":"The server had an error while processing your request.","param":null,"sequence_number":6}\n\n';
  assert.equal(replay(host, t, { body: failed, chunkSize: 19 }).charged, 600 + RESPONSES_INPUT, "the reservation (max_output_tokens and the input)");
});
