// What a response costs: limits counting only input or output tokens, `cost.weights`
// and a CEL `cost.expression`, checked against hand-computed values on real transcripts.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as T from "../../fixtures/transcripts.ts";
import { newHost, policy, replay, userLimit, metric, storedUsed } from "./helpers.ts";

const KINDS = { all: userLimit("total"), in: userLimit("input"), out: userLimit("output") };

/** Replays `t` (in 7-byte chunks) and returns the tokens charged to each limit. */
function perLimit(host: Awaited<ReturnType<typeof newHost>>, t: T.Transcript, names: string[], user = "alice"): Record<string, number> {
  const before = Object.fromEntries(names.map((n) => [n, metric(host, `tokenlimit.limit.${n}.tokens_charged`)]));
  replay(host, t, { chunkSize: 7, user });
  return Object.fromEntries(names.map((n) => [n, metric(host, `tokenlimit.limit.${n}.tokens_charged`) - before[n]]));
}

test("tokens: input / output limits count only that kind, total counts the total (every provider)", async () => {
  const host = await newHost(policy({}, KINDS));
  for (const t of [...T.STREAMS, ...T.JSON_BODIES]) {
    assert.deepEqual(perLimit(host, t, ["all", "in", "out"]), { all: t.usage.total, in: t.usage.input, out: t.usage.output }, t.name);
  }
});

test("tokens: input / output charge the stored counters of their own limits", async () => {
  const host = await newHost(policy({}, KINDS));
  replay(host, T.OPENAI_CHAT_STREAM, { chunkSize: 13, user: "carol" });
  replay(host, T.ANTHROPIC_STREAM, { chunkSize: 13, user: "carol" });
  assert.equal(storedUsed(host, "all", "carol"), 1963 + 659);
  assert.equal(storedUsed(host, "in", "carol"), 1117 + 472);
  assert.equal(storedUsed(host, "out", "carol"), 846 + 187);
});

test("cost.weights: input 1, output 4 -> prompt + 4 x completion; input/output limits are unaffected", async () => {
  const host = await newHost(policy({ cost: { weights: { input: 1, output: 4 } } }, KINDS));
  // OpenAI stream: 1117 + 4 * 846 = 4501
  assert.deepEqual(perLimit(host, T.OPENAI_CHAT_STREAM, ["all", "in", "out"]), { all: 4501, in: 1117, out: 846 });
  // Anthropic stream: 472 + 4 * 187 = 1220 (cache reads weigh 0 by default)
  assert.deepEqual(perLimit(host, T.ANTHROPIC_STREAM, ["all", "in", "out"]), { all: 1220, in: 472, out: 187 });
  // Gemini stream: 11 + 4 * 24 = 107 (thoughts weigh 0 by default, although its total counts them)
  assert.deepEqual(perLimit(host, T.GEMINI_STREAM, ["all", "in", "out"]), { all: 107, in: 11, out: 24 });
});

test("cost.weights with cached and reasoning weights (OpenAI prompt_tokens_details / completion_tokens_details)", async () => {
  const host = await newHost(policy({ cost: { weights: { input: 1, output: 1, cached: 0.5, reasoning: 0.25 } } }));
  // 1117 + 846 + 0.5 * 1024 + 0.25 * 768 = 1117 + 846 + 512 + 192 = 2667
  assert.equal(replay(host, T.OPENAI_CHAT_STREAM, { chunkSize: 3 }).charged, 2667);
  // Responses stream: 412 + 96 + 0.5 * 256 + 0.25 * 64 = 412 + 96 + 128 + 16 = 652
  assert.equal(replay(host, T.RESPONSES_STREAM, { chunkSize: 3 }).charged, 652);
  // Anthropic: cache reads are separate from input: 472 + 187 + 0.5 * 2048 = 1683
  assert.equal(replay(host, T.ANTHROPIC_STREAM, { chunkSize: 3 }).charged, 1683);
});

test("cost.weights: fractions are summed, then rounded up once", async () => {
  const host = await newHost(policy({ cost: { weights: { input: 0.3, output: 1.1 } } }));
  // 0.3 * 1117 + 1.1 * 846 = 335.1 + 930.6 = 1265.7 -> 1266
  assert.equal(replay(host, T.OPENAI_CHAT_STREAM).charged, 1266);
  // 0.3 * 52 + 1.1 * 17 = 15.6 + 18.7 = 34.3 -> 35
  assert.equal(replay(host, T.OPENAI_CHAT_JSON).charged, 35);
  // 0.3 * 20 + 1.1 * 6 = 6 + 6.6 = 12.6 -> 13
  assert.equal(replay(host, T.VLLM_STREAM).charged, 13);
});

test("cost.expression usage.prompt_tokens + 4 * usage.completion_tokens, on every provider's names", async () => {
  const host = await newHost(policy({ cost: { expression: "usage.prompt_tokens + 4 * usage.completion_tokens" } }, KINDS));
  const cases: Array<[T.Transcript, number]> = [
    [T.OPENAI_CHAT_STREAM, 1117 + 4 * 846], // 4501
    [T.OPENAI_CHAT_JSON, 52 + 4 * 17], // 120
    [T.RESPONSES_STREAM, 412 + 4 * 96], // 796: input_tokens / output_tokens under OpenAI's names
    [T.ANTHROPIC_STREAM, 472 + 4 * 187], // 1220
    [T.GEMINI_STREAM, 11 + 4 * 24], // 107
    [T.VLLM_STREAM, 20 + 4 * 6], // 44
  ];
  for (const [t, want] of cases) {
    assert.deepEqual(perLimit(host, t, ["all", "in", "out"]), { all: want, in: t.usage.input, out: t.usage.output }, t.name);
  }
  assert.equal(metric(host, "tokenlimit.expression_errors"), 0);
});

test("cost.expression over cached and reasoning tokens: cached prompt tokens at a quarter, reasoning at double", async () => {
  const host = await newHost(policy({
    cost: { expression: "usage.prompt_tokens - usage.cached_tokens + usage.cached_tokens / 4 + usage.completion_tokens + usage.reasoning_tokens" },
  }));
  // 1117 - 1024 + 1024 / 4 + 846 + 768 = 93 + 256 + 846 + 768 = 1963
  assert.equal(replay(host, T.OPENAI_CHAT_STREAM).charged, 1963);
  // Responses: 412 - 256 + 64 + 96 + 64 = 380
  assert.equal(replay(host, T.RESPONSES_STREAM).charged, 380);
});

test("cost.expression: a double result is rounded up, usage.total_tokens is the reported total", async () => {
  const host = await newHost(policy({ cost: { expression: "double(usage.total_tokens) * 0.75 + double(usage.reasoning_tokens) / 3.0" } }));
  // 1963 * 0.75 + 768 / 3 = 1472.25 + 256 = 1728.25 -> 1729
  assert.equal(replay(host, T.OPENAI_CHAT_STREAM).charged, 1729);
  // Gemini reports a total with thoughts in it: 121 * 0.75 + 86 / 3 = 90.75 + 28.666... = 119.41... -> 120
  assert.equal(replay(host, T.GEMINI_STREAM).charged, 120);
  // Anthropic reports none: input + output = 659; 659 * 0.75 = 494.25 -> 495
  assert.equal(replay(host, T.ANTHROPIC_STREAM).charged, 495);
});

test("cost.expression that fails to evaluate charges the total tokens and counts an expression error", async () => {
  const host = await newHost(policy({ cost: { expression: "usage.prompt_tokens / (usage.cached_tokens - usage.cached_tokens)" } }));
  const before = metric(host, "tokenlimit.expression_errors");
  assert.equal(replay(host, T.OPENAI_CHAT_STREAM).charged, 1963);
  assert.equal(metric(host, "tokenlimit.expression_errors") - before, 1);
  assert.equal(host.traps.length, 0);
});

test("the cost applies to what is reported, whatever the chunking", async () => {
  const host = await newHost(policy({ cost: { expression: "usage.prompt_tokens + 4 * usage.completion_tokens" } }));
  const n = Buffer.byteLength(T.ANTHROPIC_STREAM.body);
  const wrong: number[] = [];
  for (let k = 1; k <= n; k += 1) if (replay(host, T.ANTHROPIC_STREAM, { chunkSize: k }).charged !== 1220) wrong.push(k);
  assert.deepEqual(wrong, []);
});

test("cost.expression can price Anthropic cache writes and reads (usage.cache_write_tokens, usage.cached_tokens)", async () => {
  const host = await newHost(policy({ cost: { expression: "usage.input_tokens + 2 * usage.cache_write_tokens + usage.cached_tokens / 10 + usage.output_tokens" } }));
  const body = T.ANTHROPIC_JSON.body.replace('"cache_creation_input_tokens":0', '"cache_creation_input_tokens":100').replace('"cache_read_input_tokens":0', '"cache_read_input_tokens":4096');
  // 2095 + 2 * 100 + 4096 / 10 (integer division: 409) + 503 = 3207
  assert.equal(replay(host, T.ANTHROPIC_JSON, { body }).charged, 3207);
  // The stream: 472 + 0 + 2048 / 10 (204) + 187 = 863
  assert.equal(replay(host, T.ANTHROPIC_STREAM).charged, 863);
});
