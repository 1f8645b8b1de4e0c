// tokenlimit serve driven by the official SDKs over real HTTP: what a caller sees (statuses,
// x-ratelimit-* and retry-after headers, the error each SDK raises), what reaches the
// upstream, and the metrics /stats/prometheus serves.
import { test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { HELLO, NOON, anthropic, dailyPolicy, openai, proxy } from "./helpers.ts";

test("openai SDK, JSON: admitted with the remaining budget, then a 429 RateLimitError that never reaches the upstream", async (t) => {
  const p = await proxy(t, { pluginConfig: dailyPolicy(1000) });
  const client = openai(p.url, "alice");
  const first = await client.chat.completions.create({ model: "m", messages: HELLO, max_tokens: 400 }).withResponse();
  assert.equal(first.response.status, 200);
  assert.equal(first.data.usage?.total_tokens, 402);
  assert.equal(first.response.headers.get("x-ratelimit-limit-tokens"), "1000");
  // Reserved: max_tokens 400 and the prompt's input estimate ("user", "Hello!": 3).
  assert.equal(first.response.headers.get("x-ratelimit-remaining-tokens"), "597");
  assert.equal(first.response.headers.get("x-ratelimit-reset-tokens"), "12h0m0s");
  const second = await client.chat.completions.create({ model: "m", messages: HELLO, max_tokens: 400 }).withResponse();
  assert.equal(second.response.headers.get("x-ratelimit-remaining-tokens"), "195");
  const third = await client.chat.completions.create({ model: "m", messages: HELLO, max_tokens: 400 }).withResponse();
  assert.equal(third.response.status, 200, "admitted while budget remains");
  const err = await client.chat.completions.create({ model: "m", messages: HELLO, max_tokens: 400 }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.RateLimitError, String(err));
  assert.equal(err.status, 429);
  assert.equal(err.headers?.get("retry-after"), String(12 * 3600));
  assert.equal(err.headers?.get("x-ratelimit-remaining-tokens"), "0");
  assert.equal(p.mock.stats.byPath["/v1/chat/completions"], 3);
  assert.deepEqual(p.logs.map((l) => l.record.status), [200, 200, 200, 429]);
  assert.deepEqual(p.logs.map((l) => l.record.outcome.tokens), [402, 402, 402, 0]);
  assert.deepEqual(p.logs[3].record.outcome.limits, { free: "limited" });
  assert.match(p.logs[0].line, /^caller=alice POST \/v1\/chat\/completions 200 limits=free:admitted tokens=402 usage=2\+400=402 used=free:402\/1000 remaining=597 worker=0 \d+ms$/);
  const text = await p.prometheus();
  assert.match(text, /^tokenlimit_requests_admitted\{\} 3$/m);
  assert.match(text, /^tokenlimit_requests_limited\{\} 1$/m);
  assert.match(text, /^tokenlimit_tokens_charged\{\} 1206$/m);
  assert.match(text, /^tokenlimit_limit_tokens_charged\{tokenlimit_limit="free"\} 1206$/m);
});

test("openai SDK, streaming: the filter adds include_usage, charges the usage of the last chunk, and the 429 raises before any chunk", async (t) => {
  const p = await proxy(t, { pluginConfig: dailyPolicy(300) });
  const client = openai(p.url, "alice");
  const s = await client.chat.completions.create({ model: "m", messages: HELLO, max_tokens: 300, stream: true }).withResponse();
  assert.equal(s.response.status, 200);
  assert.equal(s.response.headers.get("content-type"), "text/event-stream");
  assert.equal(s.response.headers.get("x-ratelimit-remaining-tokens"), "0", "300 reserved for max_tokens");
  let text = "";
  let usage = 0;
  for await (const c of s.data) {
    text += c.choices[0]?.delta.content ?? "";
    if (c.usage) usage = c.usage.total_tokens;
  }
  assert.match(text, /^Hello! This is the tokenlimit mock upstream/);
  assert.equal(usage, 302);
  assert.equal(p.metric("tokenlimit.stream_options_added"), 1);
  assert.equal(p.metric("tokenlimit.tokens_charged"), 302);
  const err = await client.chat.completions.create({ model: "m", messages: HELLO, max_tokens: 300, stream: true }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.RateLimitError, String(err));
  assert.equal(err.status, 429);
  assert.equal(p.mock.stats.requests, 1);
});

test("Anthropic SDK, JSON and streaming: usage from /v1/messages is charged, then a 429 RateLimitError with retry-after", async (t) => {
  const p = await proxy(t, { pluginConfig: dailyPolicy(600) });
  const client = anthropic(p.url, "carol");
  const m = await client.messages.create({ model: "claude", max_tokens: 300, messages: HELLO }).withResponse();
  assert.equal(m.response.status, 200);
  assert.deepEqual(m.data.usage.output_tokens, 300);
  assert.equal(m.response.headers.get("x-ratelimit-remaining-tokens"), "297", "max_tokens 300 and the input (3) reserved");
  const s = await client.messages.create({ model: "claude", max_tokens: 300, messages: HELLO, stream: true }).withResponse();
  const kinds: string[] = [];
  for await (const e of s.data) kinds.push(e.type);
  assert.equal(kinds[0], "message_start");
  assert.equal(kinds[kinds.length - 1], "message_stop");
  assert.equal(p.metric("tokenlimit.tokens_charged"), 604);
  const err = await client.messages.create({ model: "claude", max_tokens: 300, messages: HELLO }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof Anthropic.RateLimitError, String(err));
  assert.equal(err.status, 429);
  assert.equal(err.headers?.get("retry-after"), String(12 * 3600));
  assert.match(err.message, /^429 .*Rate limit reached for tokens on limit free/);
  assert.equal(p.mock.stats.byPath["/v1/messages"], 2);
});

test("an SDK retries by itself after retry-after seconds, then raises; the reset admits again", async (t) => {
  // The proxy's clock is held 1 s before midnight: retry-after is 1 and stays 1.
  const p = await proxy(t, { pluginConfig: dailyPolicy(300), now: Date.UTC(2026, 10, 29, 23, 59, 59) });
  const client = openai(p.url, "dave", 1);
  await client.chat.completions.create({ model: "m", messages: HELLO, max_tokens: 300 });
  const t0 = performance.now();
  const err = await client.chat.completions.create({ model: "m", messages: HELLO, max_tokens: 300 }).then(() => null, (e: unknown) => e);
  const waited = performance.now() - t0;
  assert.ok(err instanceof OpenAI.RateLimitError, String(err));
  assert.equal(err.headers?.get("retry-after"), "1");
  assert.ok(waited >= 950, `the SDK waited retry-after (1 s) before retrying, waited ${waited} ms`);
  assert.deepEqual(p.logs.map((l) => l.record.status), [200, 429, 429]);
  p.serving.clock.set(Date.UTC(2026, 10, 30, 0, 0, 0));
  const after = await client.chat.completions.create({ model: "m", messages: HELLO, max_tokens: 100 }).withResponse();
  assert.equal(after.response.status, 200);
  assert.equal(after.response.headers.get("x-ratelimit-remaining-tokens"), "197", "max_tokens 100 and the input (3) reserved");
  assert.equal(p.mock.stats.requests, 2);
});

test("several workers share the counters: a budget spent over connections on both workers", async (t) => {
  const p = await proxy(t, { pluginConfig: dailyPolicy(1000), workers: 2, now: NOON });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    // A new client each time: a new connection, the next worker.
    const r = await openai(p.url, "erin").chat.completions.create({ model: "m", messages: HELLO, max_tokens: 400 }).withResponse().then(
      (x) => x.response.status, (e: { status?: number }) => e.status ?? 0);
    statuses.push(r);
  }
  assert.deepEqual(statuses, [200, 200, 200]);
  const last = await openai(p.url, "erin").chat.completions.create({ model: "m", messages: HELLO, max_tokens: 400 }).then(() => 200, (e: { status?: number }) => e.status);
  assert.equal(last, 429);
  assert.deepEqual(new Set(p.logs.map((l) => l.record.worker)), new Set([0, 1]), "both workers served requests");
});
