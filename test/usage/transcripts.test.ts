// Provider transcripts through the compiled module, fed as a proxy would feed them:
// in chunks of random sizes, and one byte at a time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageModule, bytes, type UsageResult } from "./module.ts";
import { rng } from "./bodies.ts";
import * as T from "../../fixtures/transcripts.ts";
import type { Transcript } from "../../fixtures/transcripts.ts";

const SSE = "text/event-stream";

interface Case {
  t: Transcript;
  expect: Partial<UsageResult>;
}

const CASES: Record<string, Case> = {
  "OpenAI chat, JSON": { t: T.OPENAI_CHAT_CACHED_JSON,
    expect: { input: 1117, output: 46, total: 1163, cached: 1024, reasoning: 12 } },
  "OpenAI chat, stream with include_usage": { t: T.OPENAI_CHAT_MINI_STREAM,
    expect: { input: 19, output: 10, total: 29, sawDone: true, events: 7 } },
  "OpenAI chat, stream without usage": { t: T.OPENAI_CHAT_MINI_STREAM_NO_USAGE,
    expect: { hasUsage: false, found: [], sawDone: true } },
  "OpenAI completions": { t: T.OPENAI_COMPLETIONS_JSON,
    expect: { input: 5, output: 7, total: 12 } },
  "OpenAI embeddings": { t: T.OPENAI_EMBEDDINGS_JSON,
    expect: { input: 8, total: 8, found: ["input", "total"] } },
  "OpenAI Responses, JSON": { t: T.RESPONSES_CACHED_JSON,
    expect: { input: 328, output: 52, total: 380, cached: 128, reasoning: 16 } },
  "OpenAI Responses, stream": { t: T.RESPONSES_GPT41_STREAM,
    expect: { input: 37, output: 11, total: 48, events: 11 } },
  "Anthropic, JSON": { t: T.ANTHROPIC_CACHED_JSON,
    expect: { input: 2095, output: 503, total: 2598, totalComputed: true, cached: 1024, cacheWrite: 12 } },
  "Anthropic, stream": { t: T.ANTHROPIC_OPUS_STREAM,
    expect: { input: 25, output: 15, total: 40, events: 8 } },
  "Anthropic, stream with cache": { t: T.ANTHROPIC_THINKING_STREAM,
    expect: { input: 472, output: 187, total: 659, cached: 2048 } },
  "Gemini, JSON": { t: T.GEMINI_THINKING_JSON,
    expect: { input: 8, output: 398, total: 1609, reasoning: 1203 } },
  "Gemini, SSE": { t: T.GEMINI_CACHED_STREAM,
    expect: { input: 9, output: 27, total: 36, cached: 4, events: 3 } },
  "Gemini, JSON array stream": { t: T.GEMINI_ARRAY_STREAM,
    expect: { input: 9, output: 27, total: 36, cached: 4 } },
  "Ollama, NDJSON": { t: T.OLLAMA_NATIVE_STREAM,
    expect: { input: 26, output: 282, total: 308 } },
  "vLLM, stream": { t: T.VLLM_SHORT_STREAM,
    expect: { input: 12, output: 4, total: 16 } },
};

function check(name: string, r: UsageResult, c: Case): void {
  assert.equal(r.status, "ok", `${name}: status`);
  for (const [k, v] of Object.entries(c.expect)) assert.deepEqual(r[k as keyof UsageResult], v, `${name}: ${k}`);
  assert.equal(r.bodyBytes, bytes(c.t.body).length, `${name}: bodyBytes`);
}

test("every provider transcript gives its exact counts in one feed", () => {
  const m = new UsageModule();
  for (const [name, c] of Object.entries(CASES)) {
    check(name, m.scan(c.t.body, { preset: "auto", path: c.t.path, contentType: c.t.contentType }), c);
  }
});

test("every provider transcript gives the same result in random chunks and in 1-byte chunks", () => {
  const m = new UsageModule();
  const r = rng(7);
  for (const [name, c] of Object.entries(CASES)) {
    const { body, path, contentType } = c.t;
    const opts = { preset: "auto", path, contentType };
    const whole = m.scan(body, opts);
    assert.deepEqual(m.scan(body, { ...opts, chunk: 1 }), whole, `${name}: 1-byte chunks`);
    const n = bytes(body).length;
    for (let round = 0; round < 30; round++) {
      const splits: number[] = [];
      for (let at = 0; at < n;) {
        at += 1 + Math.floor(r() * (round < 15 ? 8 : 300));
        if (at < n) splits.push(at);
      }
      assert.deepEqual(m.scan(body, { ...opts, splits }), whole, `${name}: splits ${splits.join(",")}`);
    }
  }
});

test("streams read the same with LF, CRLF and CR line ends", () => {
  const m = new UsageModule();
  for (const [name, c] of Object.entries(CASES)) {
    if (c.t.contentType !== SSE) continue;
    const lf = c.t.body.replace(/\r\n/g, "\n");
    const opts = { preset: "auto", path: c.t.path, contentType: SSE };
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
  const raw = [...T.OPENAI_CHAT_MINI_STREAM.body.matchAll(/"content":"((?:[^"\\]|\\.)*)"/g)].map((x) => bytes(x[1]).length);
  const r = m.scan(T.OPENAI_CHAT_MINI_STREAM.body, { preset: "openai", contentType: SSE });
  assert.equal(r.textBytes, raw.reduce((a, b) => a + b, 0));
});
