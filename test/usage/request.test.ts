// Request inspection and the include_usage rewrite, checked against JSON.parse.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageModule } from "./module.ts";
import { rng } from "./bodies.ts";

test("the rewrite adds exactly include_usage: true and keeps everything else", () => {
  const m = new UsageModule();
  const r = rng(3);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  for (let i = 0; i < 500; i++) {
    const req: Record<string, unknown> = { model: pick(["gpt-4o", "llama-3", "m\u00e9"]), messages: [{ role: "user", content: "hi \"there\"\n" }] };
    const stream = pick([true, false, undefined, "true"]);
    if (stream !== undefined) req.stream = stream;
    const so = pick([undefined, null, {}, { include_usage: true }, { include_usage: false }, { include_usage: null, x: 1 }, { x: [1, {}] }, "bad"]);
    if (so !== undefined) req.stream_options = so;
    if (r() < 0.5) req.max_tokens = Math.floor(r() * 4096);
    const keys = Object.keys(req).sort(() => r() - 0.5);
    const text = JSON.stringify(Object.fromEntries(keys.map((k) => [k, req[k]])), null, r() < 0.5 ? undefined : 2);
    const out = m.includeUsage(text);
    const wants = (stream === true || stream === "true") && so !== "bad" && !(typeof so === "object" && so !== null && (so as { include_usage?: unknown }).include_usage === true);
    assert.equal(out !== null, wants, JSON.stringify(text));
    if (out === null) continue;
    const parsed = JSON.parse(out);
    const expected = JSON.parse(text);
    expected.stream_options = { ...(typeof so === "object" && so !== null ? so : {}), include_usage: true };
    assert.deepEqual(parsed, expected, out);
    assert.notEqual(out, text);
    const info = m.inspect(out);
    assert.equal(info.includeUsage, 1);
  }
});

test("inspection agrees with JSON.parse on the fields it reads", () => {
  const m = new UsageModule();
  const r = rng(5);
  for (let i = 0; i < 300; i++) {
    const req: Record<string, unknown> = { model: "x".repeat(Math.floor(r() * 40)), input: [{ a: "b" }] };
    if (r() < 0.5) req.max_tokens = Math.floor(r() * 10000);
    if (r() < 0.5) req.max_completion_tokens = Math.floor(r() * 10000);
    if (r() < 0.5) req.max_output_tokens = Math.floor(r() * 10000);
    if (r() < 0.5) req.generationConfig = { temperature: 0.5, maxOutputTokens: Math.floor(r() * 10000) };
    if (r() < 0.5) req.stream = r() < 0.5;
    const text = JSON.stringify(req);
    const info = m.inspect(text);
    assert.equal(info.valid, true);
    assert.equal(info.stream, req.stream === true);
    assert.equal(info.maxTokens, (req.max_tokens as number) ?? -1);
    assert.equal(info.maxCompletionTokens, (req.max_completion_tokens as number) ?? -1);
    assert.equal(info.maxOutputTokens, (req.max_output_tokens as number) ?? -1);
    const gc = req.generationConfig as { maxOutputTokens?: number } | undefined;
    assert.equal(info.geminiMaxOutputTokens, gc?.maxOutputTokens ?? -1);
    assert.equal(info.modelLength, (req.model as string).length);
  }
});

test("invalid request bodies are reported, never rewritten", () => {
  const m = new UsageModule();
  for (const text of ["", "{", "{\"stream\":true", "{\"stream\":true,}", "[{\"stream\":true}]", "{\"stream\":tru}", "{\"a\":\"\u0001\"}"]) {
    assert.equal(m.inspect(text).valid, false, text);
    assert.equal(m.includeUsage(text), null, text);
  }
});

test("the model name is decoded", () => {
  const m = new UsageModule();
  assert.equal(m.model("{\"model\":\"gpt-4o\\u002dmini \\ud83d\\ude00\"}"), "gpt-4o-mini 😀");
});

test("an escaped model name decodes exactly as JSON.parse decodes it, whatever mix of escapes, surrogates and UTF-8", () => {
  const m = new UsageModule();
  const rand = rng(7);
  const pieces = ["a", "Z", " ", "é", "€", "😀", "漢", "\\n", "\\\"", "\\\\", "\\/", "\\t", "\\u0041", "\\u00e9", "\\ud83d\\ude00", "\\ud83d", "\\ude00", "\\u20ac"];
  for (let i = 0; i < 2000; i++) {
    let raw = "";
    const n = 1 + Math.floor(rand() * 12);
    for (let k = 0; k < n; k++) raw += pieces[Math.floor(rand() * pieces.length)];
    const body = `{"model":"${raw}"}`;
    assert.equal(m.model(body), (JSON.parse(body) as { model: string }).model, body);
  }
});
