// What the filter changes in requests to limited paths: `stream_options.include_usage`
// added to OpenAI-compatible streaming requests (and nothing else), content-length
// dropped where the body may grow, accept-encoding removed so usage can be read.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as T from "../../fixtures/transcripts.ts";
import { newHost, policy, requestHeaders, metric, delta, utf8 } from "./helpers.ts";
import type { Host } from "../../host-test/index.ts";

const SSE_HEADERS = { ":status": "200", "content-type": "text/event-stream" };

interface Sent {
  upstream: { headers: Record<string, string>; body: string; bodyBytes: Uint8Array };
  charged: number;
  status: number;
}

/** Sends `body` to `path` with a content-length, answers with `response`, returns what the upstream got. */
function send(host: Host, path: string, body: string, response: string = T.OPENAI_CHAT_STREAM.body, o: { chunkSize?: number; headers?: Record<string, string> } = {}): Sent {
  let status = 0;
  let upstream: Sent["upstream"] | null = null;
  const charged = delta(host, () => {
    const r = host.exchange({
      request: {
        headers: requestHeaders(path, "alice", { "content-length": String(utf8(body).length), ...(o.headers ?? {}) }),
        body,
        chunkSize: o.chunkSize,
      },
      response: (up) => {
        upstream = up;
        return { headers: SSE_HEADERS, body: response, chunkSize: 11 };
      },
    });
    status = r.status;
  });
  assert.ok(upstream, "the request reached the upstream");
  return { upstream: upstream!, charged, status };
}

/** The upstream's content-length is absent or matches the body it received. */
function assertLengthConsistent(s: Sent): void {
  const cl = s.upstream.headers["content-length"];
  if (cl !== undefined) assert.equal(Number(cl), s.upstream.bodyBytes.length, "stale content-length");
}

const STREAM_NO_OPTIONS = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Write a haiku about \\"coffee\\" \\u2615"}],"stream":true,"temperature":0.7}';

test("a streaming chat completion without stream_options gets include_usage and is charged from the final usage chunk", async () => {
  const host = await newHost();
  const added = metric(host, "tokenlimit.stream_options_added");
  const s = send(host, "/v1/chat/completions", STREAM_NO_OPTIONS);
  const sent = JSON.parse(s.upstream.body);
  assert.deepEqual(sent, { ...JSON.parse(STREAM_NO_OPTIONS), stream_options: { include_usage: true } });
  // Only the member was added: the rest is byte-identical.
  assert.equal(s.upstream.body, STREAM_NO_OPTIONS.slice(0, -1) + ',"stream_options":{"include_usage":true}}');
  assertLengthConsistent(s);
  assert.equal(metric(host, "tokenlimit.stream_options_added") - added, 1);
  assert.equal(s.charged, 1963);
});

test("the rewrite applies under any prefix, with a query string or a trailing slash", async () => {
  const host = await newHost();
  for (const path of ["/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", "/vllm/v1/chat/completions/", "/v1/chat/completions?x=1"]) {
    const s = send(host, path, STREAM_NO_OPTIONS);
    assert.deepEqual(JSON.parse(s.upstream.body).stream_options, { include_usage: true }, path);
    assertLengthConsistent(s);
    assert.equal(s.charged, 1963, path);
  }
});

test("the rewrite works on a request body that arrives in many chunks, and on legacy /v1/completions", async () => {
  const host = await newHost();
  for (const chunkSize of [1, 5, 64]) {
    const s = send(host, "/v1/chat/completions", STREAM_NO_OPTIONS, undefined, { chunkSize });
    assert.deepEqual(JSON.parse(s.upstream.body).stream_options, { include_usage: true });
    assertLengthConsistent(s);
    assert.equal(s.charged, 1963);
  }
  const legacy = '{"model":"gpt-3.5-turbo-instruct","prompt":"Say this is a test","stream":true}';
  const s = send(host, "/v1/completions", legacy);
  assert.equal(s.upstream.body, '{"model":"gpt-3.5-turbo-instruct","prompt":"Say this is a test","stream":true,"stream_options":{"include_usage":true}}');
  assertLengthConsistent(s);
});

test("stream_options without include_usage, or with include_usage false or null, is completed to true", async () => {
  const host = await newHost();
  const cases: Array<[string, unknown]> = [
    ['{"model":"m","stream":true,"stream_options":{}}', { include_usage: true }],
    ['{"model":"m","stream":true,"stream_options":{"continuous_usage_stats":true}}', { include_usage: true, continuous_usage_stats: true }],
    ['{"model":"m","stream":true,"stream_options":null}', { include_usage: true }],
    ['{"model":"m","stream":true,"stream_options":{"include_usage":false}}', { include_usage: true }],
  ];
  for (const [body, want] of cases) {
    const s = send(host, "/v1/chat/completions", body);
    assert.deepEqual(JSON.parse(s.upstream.body).stream_options, want, body);
    assertLengthConsistent(s);
  }
});

test("a streaming request that already asks for usage is forwarded byte for byte", async () => {
  const host = await newHost();
  const body = '{ "model": "gpt-4o-mini", "stream": true,\n  "stream_options": { "include_usage": true }, "messages": [] }';
  const added = metric(host, "tokenlimit.stream_options_added");
  const s = send(host, "/v1/chat/completions", body);
  assert.deepEqual(s.upstream.bodyBytes, utf8(body));
  assertLengthConsistent(s);
  assert.equal(metric(host, "tokenlimit.stream_options_added"), added);
  assert.equal(s.charged, 1963);
});

test("a non-streaming request is forwarded byte for byte", async () => {
  const host = await newHost();
  for (const body of [T.OPENAI_CHAT_JSON.request, '{"model":"m","stream":false,"messages":[]}', '{"model":"m","messages":[],"stream_options":null}']) {
    const s = send(host, "/v1/chat/completions", body, T.OPENAI_CHAT_JSON.body);
    assert.deepEqual(s.upstream.bodyBytes, utf8(body));
    assertLengthConsistent(s);
  }
});

test("a body that is not JSON is forwarded byte for byte", async () => {
  const host = await newHost();
  const body = '{"model":"m","stream":true,"messages":[';
  const s = send(host, "/v1/chat/completions", body);
  assert.deepEqual(s.upstream.bodyBytes, utf8(body));
  assertLengthConsistent(s);
});

test("Anthropic, Gemini and Responses streaming requests are never given stream_options (auto detection)", async () => {
  const host = await newHost();
  const cases: Array<[T.Transcript, string]> = [
    [T.ANTHROPIC_STREAM, '{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Hello"}]}'],
    [T.GEMINI_STREAM, T.GEMINI_STREAM.request],
    [T.RESPONSES_STREAM, '{"model":"gpt-5-mini","input":"Say hi.","stream":true}'],
  ];
  for (const [t, body] of cases) {
    const s = send(host, t.path, body, t.body);
    assert.deepEqual(s.upstream.bodyBytes, utf8(body), t.name);
    // Nothing may change, so the client's content-length stays.
    assert.equal(s.upstream.headers["content-length"], String(utf8(body).length), t.name);
    assert.equal(s.charged, t.usage.total, t.name);
  }
});

test("with usage.provider anthropic, a streaming request is never given stream_options, whatever its path", async () => {
  const host = await newHost(policy({ usage: { provider: "anthropic" } }));
  const body = '{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Hello"}]}';
  for (const path of ["/v1/messages", "/anthropic/v1/chat/completions", "/llm/completions"]) {
    const s = send(host, path, body, T.ANTHROPIC_STREAM.body);
    assert.deepEqual(s.upstream.bodyBytes, utf8(body), path);
    assertLengthConsistent(s);
    assert.equal(s.charged, 659, path);
  }
});

test("with usage.provider gemini or openai-responses, chat-completions-like paths are not rewritten either", async () => {
  for (const provider of ["gemini", "openai-responses"]) {
    const host = await newHost(policy({ usage: { provider } }));
    const s = send(host, "/v1beta/openai/chat/completions", STREAM_NO_OPTIONS);
    assert.deepEqual(s.upstream.bodyBytes, utf8(STREAM_NO_OPTIONS), provider);
    assertLengthConsistent(s);
  }
});

test("usage.includeStreamUsage false leaves streaming requests and their content-length alone", async () => {
  const host = await newHost(policy({ usage: { includeStreamUsage: false } }));
  const s = send(host, "/v1/chat/completions", STREAM_NO_OPTIONS, T.OPENAI_CHAT_STREAM_NO_USAGE.body);
  assert.deepEqual(s.upstream.bodyBytes, utf8(STREAM_NO_OPTIONS));
  assert.equal(s.upstream.headers["content-length"], String(utf8(STREAM_NO_OPTIONS).length));
});

test("a rewritten request's content-length is never stale, with the body held or not", async () => {
  // Limits that reserve nothing (check mode) still read the body to add include_usage.
  for (const admission of [{}, { mode: "check" }]) {
    const host = await newHost(policy({ admission }));
    const s = send(host, "/v1/chat/completions", STREAM_NO_OPTIONS);
    assert.notEqual(s.upstream.body, STREAM_NO_OPTIONS);
    assertLengthConsistent(s);
    assert.equal(s.charged, 1963);
  }
});

test("accept-encoding becomes identity on requests to limited paths by default (RFC 9110: no header means any coding)", async () => {
  const host = await newHost();
  const s = send(host, "/v1/chat/completions", T.OPENAI_CHAT_JSON.request, T.OPENAI_CHAT_JSON.body, { headers: { "accept-encoding": "gzip, deflate, br" } });
  assert.equal(s.upstream.headers["accept-encoding"], "identity");
  const bare = send(host, "/v1/chat/completions", T.OPENAI_CHAT_JSON.request, T.OPENAI_CHAT_JSON.body);
  assert.equal(bare.upstream.headers["accept-encoding"], "identity");
});

test("accept-encoding is kept with usage.removeAcceptEncoding false", async () => {
  const host = await newHost(policy({ usage: { removeAcceptEncoding: false } }));
  const s = send(host, "/v1/chat/completions", T.OPENAI_CHAT_JSON.request, T.OPENAI_CHAT_JSON.body, { headers: { "accept-encoding": "gzip, br" } });
  assert.equal(s.upstream.headers["accept-encoding"], "gzip, br");
});

test("accept-encoding is kept on requests no limit applies to", async () => {
  const host = await newHost(policy({ when: [{ predicate: 'request.path.startsWith("/v1/")' }] }));
  const s = send(host, "/healthz", "{}", "ok", { headers: { "accept-encoding": "gzip" } });
  assert.equal(s.upstream.headers["accept-encoding"], "gzip");
  assert.deepEqual(s.upstream.bodyBytes, utf8("{}"));
});

test("a compressed response cannot be read: the fallback is charged and counted", async () => {
  const host = await newHost(policy({ usage: { removeAcceptEncoding: false } }));
  const unreadable = metric(host, "tokenlimit.usage_unreadable");
  const charged = delta(host, () => {
    host.exchange({
      request: { headers: requestHeaders("/v1/chat/completions", "alice", { "accept-encoding": "gzip" }), body: T.OPENAI_CHAT_JSON.request },
      response: { headers: { ":status": "200", "content-type": "application/json", "content-encoding": "gzip" }, body: "\x1f\x8b\x08\x00binary" },
    });
  });
  assert.equal(metric(host, "tokenlimit.usage_unreadable") - unreadable, 1);
  assert.equal(charged, 256 + Math.ceil(("user" + "Say hello.").length / 4), "the reservation (max_completion_tokens and the input)");
});

test("a request body larger than admission.maxRequestBodyBytes is forwarded as it is, and charged", async () => {
  const host = await newHost(policy({ admission: { maxRequestBodyBytes: 1024 } }));
  const long = JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "x".repeat(4000) }] });
  const s = send(host, "/v1/chat/completions", long, T.OPENAI_CHAT_STREAM.body, { chunkSize: 512 });
  assert.deepEqual(s.upstream.bodyBytes, utf8(long));
  assertLengthConsistent(s);
  assert.equal(s.status, 200);
  assert.equal(s.charged, 1963);
});
