// `npm start`: `tokenlimit serve` on its embedded default — the example policy (free 20,000
// tokens a day, gold 200,000, per user) on chat completions and /v1/messages, in front of the
// built-in mock upstream — driven over real HTTP by the official `openai` and
// `@anthropic-ai/sdk` clients. The proxy's clock is held 1 s before midnight UTC, so the SDKs'
// retries (which wait what retry-after says) and the daily reset take seconds, not a day.
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { jwtFor } from "../fixtures/llm.ts";
import { DEFAULT_POLICY } from "./serve/defaults.ts";
import { startMockUpstream } from "./serve/mock-upstream.ts";
import { startServe } from "./serve/server.ts";
import type { RequestLog } from "./serve/access-log.ts";

const BEFORE_MIDNIGHT = Date.UTC(2026, 10, 29, 23, 59, 59);
const MIDNIGHT = Date.UTC(2026, 10, 30, 0, 0, 0);
const MAX_TOKENS = 5000;
const HELLO = [{ role: "user" as const, content: "Hello!" }];

const mock = await startMockUpstream();
const proxyLog: Array<{ at: number; record: RequestLog; line: string }> = [];
const serving = await startServe({
  wasm: "build/tokenlimit.wasm",
  pluginConfig: DEFAULT_POLICY,
  upstream: mock.url,
  listen: "127.0.0.1:0",
  workers: 2,
  now: BEFORE_MIDNIGHT,
  holdClock: true,
  onRequest: (record, line) => proxyLog.push({ at: performance.now(), record, line }),
});

const openai = (user: string, groups: string[], maxRetries = 0) =>
  new OpenAI({ apiKey: jwtFor(user, groups), baseURL: `${serving.url}/v1`, maxRetries });
const anthropic = (user: string, groups: string[], maxRetries = 0) =>
  new Anthropic({ apiKey: null, authToken: jwtFor(user, groups), baseURL: serving.url, maxRetries });

const remaining = (h: Headers) => `remaining ${h.get("x-ratelimit-remaining-tokens")}, resets in ${h.get("x-ratelimit-reset-tokens")}`;
const pad = (s: string) => s.padEnd(58);
let ok = true;
const expect = (cond: boolean, what: string) => {
  if (!cond) {
    ok = false;
    console.log(`  !! unexpected: ${what}`);
  }
};

console.log("tokenlimit serve on a free loopback port: the filter in 2 worker VMs, in front of the built-in mock upstream");
console.log("policy: free 20000 tokens/24h, gold 200000 tokens/24h, per user, on /v1/chat/completions and /v1/messages");
console.log(`the proxy's clock is held at ${new Date(BEFORE_MIDNIGHT).toISOString()}: the daily window ends in 1 s`);
console.log(`every call asks max_tokens ${MAX_TOKENS}; the mock reports usage = prompt tokens + max_tokens\n`);

console.log("1. alice (free) spends her budget, with both SDKs, JSON and streaming:");
{
  const r = await openai("alice", ["free"]).chat.completions.create({ model: "gpt-4o-mini", messages: HELLO, max_tokens: MAX_TOKENS }).withResponse();
  console.log(`   ${pad("openai chat.completions.create")}-> ${r.response.status}, usage ${r.data.usage?.total_tokens}, ${remaining(r.response.headers)}`);
  expect(r.response.status === 200, "openai JSON admitted");
}
{
  const s = await openai("alice", ["free"]).chat.completions.create({ model: "gpt-4o-mini", messages: HELLO, max_tokens: MAX_TOKENS, stream: true }).withResponse();
  let chunks = 0;
  let usage = 0;
  for await (const c of s.data) {
    chunks++;
    if (c.usage) usage = c.usage.total_tokens;
  }
  console.log(`   ${pad("openai chat.completions.create stream: true")}-> ${s.response.status}, ${chunks} chunks, usage ${usage} in the last, ${remaining(s.response.headers)}`);
  expect(usage === MAX_TOKENS + 2, "the filter asked for include_usage and the stream reported it");
}
{
  const r = await anthropic("alice", ["free"]).messages.create({ model: "claude-sonnet-4-5", max_tokens: MAX_TOKENS, messages: HELLO }).withResponse();
  console.log(`   ${pad("anthropic messages.create")}-> ${r.response.status}, usage ${r.data.usage.input_tokens}+${r.data.usage.output_tokens}, ${remaining(r.response.headers)}`);
}
{
  const s = await anthropic("alice", ["free"]).messages.create({ model: "claude-sonnet-4-5", max_tokens: MAX_TOKENS, messages: HELLO, stream: true }).withResponse();
  let events = 0;
  for await (const _e of s.data) events++;
  console.log(`   ${pad("anthropic messages.create stream: true")}-> ${s.response.status}, ${events} events, ${remaining(s.response.headers)}`);
}
console.log(`   proxy log:\n${proxyLog.map((l) => `     ${l.line.replace(/ worker=\d+ \d+ms$/, "")}`).join("\n")}`);

async function limited(label: string, call: () => Promise<unknown>, errorClass: new (...a: never[]) => Error): Promise<void> {
  const from = proxyLog.length;
  const t0 = performance.now();
  try {
    await call();
    expect(false, `${label} was admitted`);
  } catch (e) {
    const err = e as Error & { status?: number; headers?: Headers };
    const attempts = proxyLog.slice(from);
    console.log(`   ${label}:`);
    attempts.forEach((a, i) => {
      const wait = i === 0 ? "" : ` (${((a.at - attempts[i - 1].at) / 1000).toFixed(1)} s later)`;
      console.log(`     attempt ${i + 1}${wait}: ${a.record.status}, retry-after ${a.record.retryAfter}, remaining ${a.record.remaining}`);
    });
    console.log(`     then raised ${err instanceof errorClass ? errorClass.name : String((e as { name?: unknown }).name)} (status ${err.status}) after ${((performance.now() - t0) / 1000).toFixed(1)} s: ${err.message}`);
    expect(err instanceof errorClass && err.status === 429, `${label} raised a 429 RateLimitError`);
  }
}

console.log("\n2. alice is over budget: 429, and each SDK retries by itself, waiting what retry-after says:");
await limited("openai (maxRetries: 2)", () => openai("alice", ["free"], 2).chat.completions.create({ model: "gpt-4o-mini", messages: HELLO, max_tokens: MAX_TOKENS }), OpenAI.RateLimitError);
await limited("anthropic (maxRetries: 1)", () => anthropic("alice", ["free"], 1).messages.create({ model: "claude-sonnet-4-5", max_tokens: MAX_TOKENS, messages: HELLO }), Anthropic.RateLimitError);

console.log("\n3. bob (gold) is not affected:");
{
  const r = await openai("bob", ["gold"]).chat.completions.create({ model: "gpt-4o-mini", messages: HELLO, max_tokens: MAX_TOKENS }).withResponse();
  console.log(`   ${pad("openai chat.completions.create")}-> ${r.response.status}, ${remaining(r.response.headers)}`);
  expect(r.response.status === 200, "gold admitted");
}

serving.clock.set(MIDNIGHT);
console.log(`\n4. the proxy's clock reaches ${new Date(MIDNIGHT).toISOString()}: the daily window resets`);
{
  const r = await openai("alice", ["free"]).chat.completions.create({ model: "gpt-4o-mini", messages: HELLO, max_tokens: MAX_TOKENS }).withResponse();
  console.log(`   ${pad("alice: openai chat.completions.create")}-> ${r.response.status}, ${remaining(r.response.headers)}`);
  const m = await anthropic("alice", ["free"]).messages.create({ model: "claude-sonnet-4-5", max_tokens: MAX_TOKENS, messages: HELLO }).withResponse();
  console.log(`   ${pad("alice: anthropic messages.create")}-> ${m.response.status}, ${remaining(m.response.headers)}`);
  expect(r.response.status === 200 && m.response.status === 200, "admitted after the reset");
}

const metrics = await (await fetch(`${serving.url}/stats/prometheus`)).text();
const shown = /^tokenlimit_(requests_admitted|requests_limited|tokens_charged|limit_free_tokens_charged|limit_gold_tokens_charged|stream_options_added|streams_aborted)\{\}/;
console.log(`\nGET /stats/prometheus (excerpt):\n${metrics.split("\n").filter((l) => shown.test(l)).map((l) => `   ${l}`).join("\n")}`);
const limitedCount = proxyLog.filter((l) => l.record.status === 429).length;
console.log(`\nthe upstream answered ${mock.stats.requests} requests; the proxy answered ${limitedCount} with 429 itself`);
expect(mock.stats.requests === proxyLog.length - limitedCount, "429s never reach the upstream");

await serving.close();
await mock.close();
process.exit(ok ? 0 : 1);
