// Provider transcripts through the compiled module, fed as a proxy would feed them:
// in chunks of random sizes, and one byte at a time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageModule, bytes, type UsageResult } from "./module.ts";
import { rng } from "./bodies.ts";
import * as T from "../../assembly/usage/testing/transcripts.ts";

const JSON_CT = "application/json";
const SSE = "text/event-stream";

interface Case {
  body: string;
  path: string;
  contentType: string;
  expect: Partial<UsageResult>;
}

const CASES: Record<string, Case> = {
  "OpenAI chat, JSON": { body: T.OPENAI_CHAT_JSON, path: "/v1/chat/completions", contentType: JSON_CT,
    expect: { input: 1117, output: 46, total: 1163, cached: 1024, reasoning: 12 } },
  "OpenAI chat, stream with include_usage": { body: T.OPENAI_CHAT_SSE, path: "/v1/chat/completions", contentType: SSE,
    expect: { input: 19, output: 10, total: 29, sawDone: true, events: 7 } },
  "OpenAI chat, stream without usage": { body: T.OPENAI_CHAT_SSE_NO_USAGE, path: "/v1/chat/completions", contentType: SSE,
    expect: { hasUsage: false, found: [], sawDone: true } },
  "OpenAI completions": { body: T.OPENAI_COMPLETIONS_JSON, path: "/v1/completions", contentType: JSON_CT,
    expect: { input: 5, output: 7, total: 12 } },
  "OpenAI embeddings": { body: T.OPENAI_EMBEDDINGS_JSON, path: "/v1/embeddings", contentType: JSON_CT,
    expect: { input: 8, total: 8, found: ["input", "total"] } },
  "OpenAI Responses, JSON": { body: T.OPENAI_RESPONSES_JSON, path: "/v1/responses", contentType: JSON_CT,
    expect: { input: 328, output: 52, total: 380, cached: 128, reasoning: 16 } },
  "OpenAI Responses, stream": { body: T.OPENAI_RESPONSES_SSE, path: "/v1/responses", contentType: SSE,
    expect: { input: 37, output: 11, total: 48, events: 11 } },
  "Anthropic, JSON": { body: T.ANTHROPIC_JSON, path: "/v1/messages", contentType: JSON_CT,
    expect: { input: 2095, output: 503, total: 2598, totalComputed: true, cached: 1024, cacheWrite: 12 } },
  "Anthropic, stream": { body: T.ANTHROPIC_SSE, path: "/v1/messages", contentType: SSE,
    expect: { input: 25, output: 15, total: 40, events: 8 } },
  "Anthropic, stream with cache": { body: T.ANTHROPIC_SSE_CACHE, path: "/v1/messages", contentType: SSE,
    expect: { input: 472, output: 187, total: 659, cached: 2048 } },
  "Gemini, JSON": { body: T.GEMINI_JSON, path: "/v1beta/models/gemini-2.5-flash:generateContent", contentType: JSON_CT,
    expect: { input: 8, output: 398, total: 1609, reasoning: 1203 } },
  "Gemini, SSE": { body: T.GEMINI_SSE, path: "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", contentType: SSE,
    expect: { input: 9, output: 27, total: 36, cached: 4, events: 3 } },
  "Gemini, JSON array stream": { body: T.GEMINI_JSON_ARRAY, path: "/v1beta/models/gemini-2.0-flash:streamGenerateContent",
    contentType: JSON_CT, expect: { input: 9, output: 27, total: 36, cached: 4 } },
  "Ollama, NDJSON": { body: T.OLLAMA_NDJSON, path: "/api/chat", contentType: "application/x-ndjson",
    expect: { input: 26, output: 282, total: 308 } },
  "vLLM, stream": { body: T.VLLM_SSE, path: "/v1/chat/completions", contentType: SSE,
    expect: { input: 12, output: 4, total: 16 } },
};

function check(name: string, r: UsageResult, c: Case): void {
  assert.equal(r.status, "ok", `${name}: status`);
  for (const [k, v] of Object.entries(c.expect)) assert.deepEqual(r[k as keyof UsageResult], v, `${name}: ${k}`);
  assert.equal(r.bodyBytes, bytes(c.body).length, `${name}: bodyBytes`);
}

test("every provider transcript gives its exact counts in one feed", () => {
  const m = new UsageModule();
  for (const [name, c] of Object.entries(CASES)) {
    check(name, m.scan(c.body, { preset: "auto", path: c.path, contentType: c.contentType }), c);
  }
});

test("every provider transcript gives the same result in random chunks and in 1-byte chunks", () => {
  const m = new UsageModule();
  const r = rng(7);
  for (const [name, c] of Object.entries(CASES)) {
    const opts = { preset: "auto", path: c.path, contentType: c.contentType };
    const whole = m.scan(c.body, opts);
    assert.deepEqual(m.scan(c.body, { ...opts, chunk: 1 }), whole, `${name}: 1-byte chunks`);
    const n = bytes(c.body).length;
    for (let round = 0; round < 30; round++) {
      const splits: number[] = [];
      for (let at = 0; at < n;) {
        at += 1 + Math.floor(r() * (round < 15 ? 8 : 300));
        if (at < n) splits.push(at);
      }
      assert.deepEqual(m.scan(c.body, { ...opts, splits }), whole, `${name}: splits ${splits.join(",")}`);
    }
  }
});

test("streams read the same with LF, CRLF and CR line ends", () => {
  const m = new UsageModule();
  for (const [name, c] of Object.entries(CASES)) {
    if (c.contentType !== SSE) continue;
    const lf = c.body.replace(/\r\n/g, "\n");
    const opts = { preset: "auto", path: c.path, contentType: SSE };
    const a = m.scan(lf, opts);
    const b = m.scan(lf.replace(/\n/g, "\r\n"), { ...opts, chunk: 3 });
    const d = m.scan(lf.replace(/\n/g, "\r"), { ...opts, chunk: 5 });
    for (const x of [b, d]) {
      assert.equal(x.total, a.total, name);
      assert.equal(x.events, a.events, name);
      assert.equal(x.textBytes, a.textBytes, name);
    }
  }
});

test("the text byte count matches the raw bytes of the generated strings", () => {
  const m = new UsageModule();
  // Raw bytes between the quotes of each "content" string of the OpenAI chat stream.
  const raw = [...T.OPENAI_CHAT_SSE.matchAll(/"content":"((?:[^"\\]|\\.)*)"/g)].map((x) => bytes(x[1]).length);
  const r = m.scan(T.OPENAI_CHAT_SSE, { preset: "openai", contentType: SSE });
  assert.equal(r.textBytes, raw.reduce((a, b) => a + b, 0));
});
