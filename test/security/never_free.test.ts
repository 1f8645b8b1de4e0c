// Never free: a response that reports no usage is charged at least the generated text
// that passed (bytes / 4, the bytes-per-token ratio) plus the request's input estimate,
// whatever the client did to make it cheap: cut the stream, ask for `max_tokens: 1`, or
// write a streaming request the filter might not recognise. Request inspection reads a
// body as the OpenAI-compatible Python servers do (`json.loads` of the bytes, then
// pydantic's lax mode), so that it finds `stream` where they do and asks for usage.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Host, Message } from "../../host-test/index.ts";
import { newHost, policy, requestHeaders, delta, storedUsed, storedReserved, metric, utf8 } from "../streaming/helpers.ts";

const CHAT = "/v1/chat/completions";
const SSE = { ":status": "200", "content-type": "text/event-stream" };

/** OpenAI chat chunks carrying `textBytes` bytes of generated text (64 a chunk), no usage. */
function textEvents(textBytes: number): string[] {
  const out: string[] = [];
  for (let left = textBytes; left > 0; left -= 64) {
    const content = "a".repeat(Math.min(64, left));
    out.push(`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}\n\n`);
  }
  return out;
}

/** A streaming chat request asking for at most `maxTokens` tokens, with `extra` members. */
function streamingRequest(maxTokens = 1, extra: Record<string, unknown> = { stream: true }): string {
  return JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Write a long story." }], max_tokens: maxTokens, ...extra });
}

/**
 * The most the request's own input estimate may add: its whole body at 4 bytes a token.
 * (The charge is text + input estimate; the input estimate never exceeds the body.)
 */
const inputBound = (body: string | Uint8Array) => Math.ceil((typeof body === "string" ? utf8(body) : body).length / 4);

/** Asserts that `charged` is the text's estimate plus at most the input estimate of `body`. */
function assertTextCharged(charged: number, textTokens: number, body: string | Uint8Array, what: string): void {
  assert.ok(charged >= textTokens && charged <= textTokens + inputBound(body), `${what}: charged ${charged}, expected ${textTokens} + the input estimate`);
}

test("a stream cut by the client before its usage is charged the text that passed plus the input, not its max_tokens: 1", async () => {
  const host = await newHost();
  const body = streamingRequest(1);
  const events = textEvents(160_000); // 40,000 tokens at 4 bytes a token
  const charged = delta(host, () => {
    const s = host.newStream();
    s.sendRequestHeaders(requestHeaders(CHAT), false);
    s.sendRequestBody(body, true);
    s.sendResponseHeaders(SSE, false);
    for (const e of events) s.sendResponseBody(e, false);
    s.reset();
    assert.ok(s.completed);
  });
  console.log(`cut-40k-stream: charged ${charged} tokens for 160000 bytes of text (max_tokens 1; 1 before the rule)`);
  assertTextCharged(charged, 40_000, body, "cut stream");
  assert.equal(storedUsed(host, "user", "alice"), charged);
  assert.equal(storedReserved(host, "user", "alice"), 0);
  assert.equal(metric(host, "tokenlimit.streams_aborted"), 1);
  assert.equal(metric(host, "tokenlimit.usage_missing"), 1);
});

test("a stream cut early is still charged the reservation when that is more than the text that passed", async () => {
  const host = await newHost();
  const body = streamingRequest(3000);
  const charged = delta(host, () => {
    const s = host.newStream();
    s.sendRequestHeaders(requestHeaders(CHAT), false);
    s.sendRequestBody(body, true);
    s.sendResponseHeaders(SSE, false);
    for (const e of textEvents(400)) s.sendResponseBody(e, false);
    s.reset();
  });
  // The reservation: max_tokens plus the prompt's estimate ("user" + "Write a long story.": 23 bytes, 6 tokens).
  assert.equal(charged, 3000 + 6);
});

test("with onMissing estimate, a cut stream is charged the text that passed plus the input, whatever the reservation", async () => {
  const host = await newHost(policy({ usage: { onMissing: "estimate" } }));
  const body = streamingRequest(3000);
  const charged = delta(host, () => {
    const s = host.newStream();
    s.sendRequestHeaders(requestHeaders(CHAT), false);
    s.sendRequestBody(body, true);
    s.sendResponseHeaders(SSE, false);
    for (const e of textEvents(400)) s.sendResponseBody(e, false);
    s.reset();
  });
  assertTextCharged(charged, 100, body, "estimate");
});

test("with onMissing zero, a response without usage is charged nothing (the operator's explicit opt-out)", async () => {
  const host = await newHost(policy({ usage: { onMissing: "zero" } }));
  const body = streamingRequest(1, { stream: 1 });
  assert.equal(streamWithoutUsage(host, { body }).charged, 0);
});

// ---------------------------------------------------------------- unrecognised streaming requests

interface Sent {
  charged: number;
  /** What the upstream received. */
  upstream: Message;
}

/** 20,000 bytes of generated text: 5,000 tokens, more than the default reservation (1,000). */
const TEXT_BYTES = 20_000;
const TEXT_TOKENS = TEXT_BYTES / 4;

/** A request answered with a whole event stream of TEXT_BYTES of text and no usage event. */
function streamWithoutUsage(host: Host, o: { body: string | Uint8Array; path?: string; headers?: Record<string, string>; trailers?: Record<string, string> }): Sent {
  let upstream: Message | null = null;
  const charged = delta(host, () => {
    const r = host.exchange({
      request: { headers: requestHeaders(o.path ?? CHAT, "alice", o.headers ?? {}), body: o.body, trailers: o.trailers },
      response: (up) => {
        upstream = up;
        return { headers: SSE, body: textEvents(TEXT_BYTES).join("") + "data: [DONE]\n\n", chunkSize: 4096 };
      },
    });
    assert.equal(r.status, 200);
  });
  assert.ok(upstream, "the request reached the upstream");
  return { charged, upstream };
}

/** The upstream's request body parsed as Python's json.loads would (UTF-8 here, BOM removed). */
function upstreamJson(m: Message): Record<string, unknown> {
  let text = m.body;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return JSON.parse(text.replace(/\bNaN\b|-?\bInfinity\b/g, "null"));
}

function assertAsksForUsage(m: Message): void {
  assert.deepEqual(upstreamJson(m).stream_options, { include_usage: true }, "stream_options.include_usage added");
}

test('"stream": 1 (true to pydantic) is recognised: usage is asked for, and without it the text is charged', async () => {
  const host = await newHost();
  const body = streamingRequest(1, { stream: 1 });
  const r = streamWithoutUsage(host, { body });
  assertAsksForUsage(r.upstream);
  assertTextCharged(r.charged, TEXT_TOKENS, body, "stream 1");
});

test('"stream": "true" (and "yes", "on", "1" in any case) is recognised and charged from the text', async () => {
  const host = await newHost();
  for (const v of ["true", "True", "yes", "ON", "1", "t", "y"]) {
    const body = streamingRequest(1, { stream: v });
    const r = streamWithoutUsage(host, { body });
    assertAsksForUsage(r.upstream);
    assertTextCharged(r.charged, TEXT_TOKENS, body, `stream "${v}"`);
  }
  // Not true to pydantic: left alone (the server reads false or refuses the request).
  const off = streamWithoutUsage(host, { body: streamingRequest(1, { stream: "false" }) });
  assert.equal(upstreamJson(off.upstream).stream_options, undefined);
  assertTextCharged(off.charged, TEXT_TOKENS, streamingRequest(1, { stream: "false" }), 'stream "false"');
});

test("a body that starts with a UTF-8 BOM is read (json.loads of bytes decodes it away), rewritten and charged", async () => {
  const host = await newHost();
  const body = "\ufeff" + streamingRequest(1);
  const r = streamWithoutUsage(host, { body });
  assert.deepEqual(Array.from(r.upstream.bodyBytes.subarray(0, 3)), [0xef, 0xbb, 0xbf], "the BOM is kept");
  assertAsksForUsage(r.upstream);
  assertTextCharged(r.charged, TEXT_TOKENS, body, "BOM");
});

test("NaN and Infinity (accepted by json.loads) do not hide the request: it is read, rewritten and charged", async () => {
  const host = await newHost();
  const body = streamingRequest(1).replace(/}$/, ',"temperature":NaN,"top_p":Infinity,"presence_penalty":-Infinity,"stream":true}');
  const r = streamWithoutUsage(host, { body });
  assertAsksForUsage(r.upstream);
  assertTextCharged(r.charged, TEXT_TOKENS, body, "NaN");
});

test("a UTF-16 body (json.loads detects it) is read, rewritten in UTF-16, and charged from the text", async () => {
  const host = await newHost();
  const json = streamingRequest(1);
  for (const [name, bytes] of [
    ["UTF-16LE with a BOM", Buffer.from("\ufeff" + json, "utf16le")],
    ["UTF-16LE without a BOM", Buffer.from(json, "utf16le")],
    ["UTF-16BE with a BOM", Buffer.from("\ufeff" + json, "utf16le").swap16()],
  ] as const) {
    const body = new Uint8Array(bytes);
    const r = streamWithoutUsage(host, { body });
    const up = Buffer.from(r.upstream.bodyBytes);
    const text = name.startsWith("UTF-16BE") ? Buffer.from(up).swap16().toString("utf16le") : up.toString("utf16le");
    assert.deepEqual(Array.from(up.subarray(0, 2)), Array.from(bytes.subarray(0, 2)), `${name}: same first bytes`);
    assert.deepEqual(JSON.parse(text.replace(/^\ufeff/, "")).stream_options, { include_usage: true }, name);
    assertTextCharged(r.charged, TEXT_TOKENS, body, name);
  }
});

test("a text/plain content type does not stop the body from being read, rewritten and charged", async () => {
  const host = await newHost();
  const body = streamingRequest(1);
  const r = streamWithoutUsage(host, { body, headers: { "content-type": "text/plain" } });
  assertAsksForUsage(r.upstream);
  assertTextCharged(r.charged, TEXT_TOKENS, body, "text/plain");
});

test("a request padded with 1 MiB of whitespace (over the body limit, so unread) is charged from the text", async () => {
  const host = await newHost();
  const body = " ".repeat(1 << 20) + streamingRequest(1);
  const r = streamWithoutUsage(host, { body });
  assert.equal(r.upstream.body.length, body.length, "forwarded as it is");
  assertTextCharged(r.charged, TEXT_TOKENS, body, "whitespace");
});

test("a request body that ends in trailers is read when they arrive, rewritten, and charged from the text", async () => {
  const host = await newHost();
  const body = streamingRequest(1);
  const r = streamWithoutUsage(host, { body, trailers: { "x-checksum": "1" } });
  assertAsksForUsage(r.upstream);
  assertTextCharged(r.charged, TEXT_TOKENS, body, "trailers");
});

test("a streaming request to a path no preset knows is charged from the text of its stream", async () => {
  const host = await newHost();
  const body = streamingRequest(1);
  const r = streamWithoutUsage(host, { body, path: "/proxy/llm/generate" });
  assertTextCharged(r.charged, TEXT_TOKENS, body, "unknown path");
});

test("a response in a format the reader does not know is charged by its size when it reports no usage", async () => {
  const host = await newHost();
  const text = "x".repeat(8000);
  const charged = delta(host, () => {
    host.exchange({
      request: { headers: requestHeaders(CHAT), body: streamingRequest(1, {}) },
      response: { headers: { ":status": "200", "content-type": "text/plain" }, body: text },
    });
  });
  assertTextCharged(charged, 2000, streamingRequest(1, {}), "text/plain response");
});
