// Admission counts the whole request: the reservation is the input estimated from the
// request body (its text / admission.bytesPerToken) plus the maximum output times the
// number of outputs. So a small max_tokens on a huge prompt, or `n: 8`, no longer lets
// concurrent requests run far past the limit (docs/security.md, "Admission counts the
// whole request", gives the bound).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Host, type HttpStream } from "../../host-test/index.ts";
import { chatHeaders, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { NINE_AM, counterOf, sendResponse } from "../filter/helpers.ts";

const LIMIT = 20_000;
const POLICY = {
  limits: { per_user: { rates: [{ limit: LIMIT, window: "24h" }], counters: [{ expression: "auth.identity.userid" }] } },
};

function host(extra: Record<string, unknown> = {}, workers = 1): Promise<Host> {
  return Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: { ...POLICY, ...extra }, now: NINE_AM, trace: false, workers });
}

/** A chat request whose prompt is `promptTokens` tokens of English-like text at 4 bytes a token. */
function promptOf(promptTokens: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "abc ".repeat(promptTokens) }], ...extra });
}

function usageResponse(prompt: number, completion: number): string {
  return JSON.stringify({
    id: "c", object: "chat.completion", model: "gpt-4o",
    choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  });
}

/** Sends `k` requests at once (all before any response), answers the admitted ones, returns what was charged. */
function burst(h: Host, k: number, body: string, prompt: number, completion: number): { admitted: number; charged: number } {
  const streams: HttpStream[] = [];
  for (let i = 0; i < k; i++) {
    const s = h.newStream({ worker: i % h.workerCount });
    s.sendRequestHeaders(chatHeaders("alice", []), false);
    if (!s.answeredLocally) s.sendRequestBody(body, true);
    streams.push(s);
  }
  const admitted = streams.filter((s) => !s.answeredLocally);
  for (const s of streams) if (s.answeredLocally) assert.equal(s.localResponse?.status, 429);
  for (const s of admitted) sendResponse(s, usageResponse(prompt, completion));
  const c = counterOf(h, "per_user", "alice");
  assert.equal(c?.reserved ?? 0, 0);
  assert.deepEqual(h.traps, []);
  return { admitted: admitted.length, charged: c?.used ?? 0 };
}

test("100 concurrent 100,000-token prompts with max_tokens 1 against 20,000 a day charge at most twice the limit", async () => {
  const h = await host({}, 2);
  const r = burst(h, 100, promptOf(100_000, { max_tokens: 1 }), 100_000, 1);
  console.log(`overshoot-100k-prompts: charged ${r.charged} of limit ${LIMIT} (${r.admitted} admitted of 100)`);
  assert.ok(r.charged <= 2 * LIMIT, `charged ${r.charged}`);
  // A request whose estimate alone exceeds the limit could never fit: it is refused.
  assert.equal(r.admitted, 0);
  assert.equal(r.charged, 0);
});

test("100 concurrent 15,000-token prompts against 20,000 a day: admitted until the reservations fill the limit, at most 2x charged", async () => {
  const h = await host({}, 2);
  const r = burst(h, 100, promptOf(15_000, { max_tokens: 1 }), 15_000, 1);
  console.log(`overshoot-15k-prompts: charged ${r.charged} of limit ${LIMIT} (${r.admitted} admitted of 100)`);
  // The first reserves 15,001 (< 20,000: the second is admitted too); then 30,002 >= 20,000.
  assert.equal(r.admitted, 2);
  assert.equal(r.charged, 30_002);
  assert.ok(r.charged <= 2 * LIMIT - 1);
});

test("the reservation is the input estimate plus max_tokens times n", async () => {
  const h = await host();
  const s = h.newStream();
  s.sendRequestHeaders(chatHeaders("alice", []), false);
  // "abc " x 1000 = 4,000 bytes of text, plus "user" (4 bytes): 1,001 tokens at 4 bytes a token.
  s.sendRequestBody(promptOf(1000, { max_tokens: 500, n: 8 }), true);
  assert.equal(counterOf(h, "per_user", "alice")?.reserved, 1001 + 500 * 8);
  sendResponse(s, usageResponse(1000, 3000));
  assert.deepEqual({ used: counterOf(h, "per_user", "alice")?.used, reserved: counterOf(h, "per_user", "alice")?.reserved }, { used: 4000, reserved: 0 });
});

test("without a cap on output, the default output allowance (admission.defaultReservation) times n is added to the input", async () => {
  const h = await host({ admission: { defaultReservation: 300 } });
  const s = h.newStream();
  s.sendRequestHeaders(chatHeaders("alice", []), false);
  s.sendRequestBody(promptOf(100, { n: 2 }), true);
  assert.equal(counterOf(h, "per_user", "alice")?.reserved, 101 + 600);
});

test("admission.bytesPerToken sets the ratio of the input estimate", async () => {
  const h = await host({ admission: { bytesPerToken: 2 } });
  const s = h.newStream();
  s.sendRequestHeaders(chatHeaders("alice", []), false);
  s.sendRequestBody(promptOf(1000, { max_tokens: 10 }), true);
  assert.equal(counterOf(h, "per_user", "alice")?.reserved, 2002 + 10);
});

// Every provider's request shape: [label, path, body, expected reservation].
const SHAPES: Array<[string, string, unknown, number]> = [
  ["OpenAI completions: prompt text", "/v1/completions", { model: "m", prompt: "x".repeat(800), max_tokens: 7 }, 200 + 7],
  ["OpenAI completions: prompt as token ids", "/v1/completions", { model: "m", prompt: Array.from({ length: 900 }, (_, i) => i), max_tokens: 7 }, 900 + 7],
  ["OpenAI Responses: input and instructions", "/v1/responses", { model: "m", instructions: "y".repeat(400), input: "x".repeat(400), max_output_tokens: 9 }, 200 + 9],
  ["OpenAI embeddings: a list of inputs", "/v1/embeddings", { model: "m", input: ["x".repeat(400), "y".repeat(400)] }, 200 + 1000],
  ["Anthropic messages: system and messages", "/v1/messages", { model: "m", system: "s".repeat(400), messages: [{ role: "user", content: [{ type: "text", text: "x".repeat(392) }] }], max_tokens: 11 }, 200 + 11],
  ["Gemini: contents, maxOutputTokens times candidateCount", "/v1beta/models/gemini:generateContent",
    { contents: [{ role: "user", parts: [{ text: "x".repeat(796) }] }], generationConfig: { maxOutputTokens: 50, candidateCount: 3 } }, 200 + 150],
  ["an image attachment counts 1,600 tokens, not its base64 bytes", "/v1/chat/completions",
    { model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64," + "A".repeat(100_000) } }] }], max_tokens: 5 }, 4 + 1600 + 5], // "user", "image_url": 13 bytes
];

for (const [label, path, body, reserved] of SHAPES) {
  test(`input estimate, ${label}`, async () => {
    const h = await host();
    const s = h.newStream();
    s.sendRequestHeaders(chatHeaders("alice", [], path), false);
    s.sendRequestBody(JSON.stringify(body), true);
    assert.equal(counterOf(h, "per_user", "alice")?.reserved, reserved);
  });
}

test("a body that is not JSON is estimated from its size, never as 0", async () => {
  const h = await host();
  const s = h.newStream();
  s.sendRequestHeaders({ ...chatHeaders("alice", []), "content-type": "text/plain" }, false);
  s.sendRequestBody("not json ".repeat(4000), true); // 36,000 bytes
  assert.equal(counterOf(h, "per_user", "alice")?.reserved, 9000 + 1000);
});

test("a body over admission.maxRequestBodyBytes is estimated from its content-length, and one that alone exceeds the limit is refused", async () => {
  const h = await host({ admission: { maxRequestBodyBytes: 10_000 } });
  const body = promptOf(50_000, { max_tokens: 1 }); // about 200 KB
  const s = h.newStream();
  s.sendRequestHeaders({ ...chatHeaders("alice", []), "content-length": String(body.length) }, false);
  s.sendRequestBody(body.slice(0, 20_000), false);
  assert.equal(s.localResponse?.status, 429);
  assert.equal(counterOf(h, "per_user", "alice")?.reserved ?? 0, 0);

  const small = promptOf(10_000, { max_tokens: 1 }); // about 40 KB: 10,008 tokens by its length
  const t = h.newStream();
  t.sendRequestHeaders({ ...chatHeaders("alice", []), "content-length": String(small.length) }, false);
  t.sendRequestBody(small.slice(0, 20_000), false);
  assert.equal(t.answeredLocally, false);
  assert.equal(counterOf(h, "per_user", "alice")?.reserved, Math.ceil(small.length / 4) + 1000);
});

test("a key named data elsewhere does not turn the prompt into an attachment", async () => {
  const h = await host();
  const s = h.newStream();
  s.sendRequestHeaders(chatHeaders("alice", []), false);
  s.sendRequestBody(JSON.stringify({ metadata: { data: 1 }, prompt: "x".repeat(4000), max_tokens: 1 }), true);
  // 4,000 bytes of text, and the number 1 (counted as a token id).
  assert.equal(counterOf(h, "per_user", "alice")?.reserved, 1000 + 1 + 1);
});

test("a response without usage is charged the whole reservation, input estimate included", async () => {
  const h = await host();
  const r = h.exchange({
    request: { headers: chatHeaders("alice", []), body: promptOf(2000, { max_tokens: 10 }) },
    response: { headers: JSON_RESPONSE_HEADERS, body: "{}" },
  });
  assert.equal(r.status, 200);
  assert.equal(counterOf(h, "per_user", "alice")?.used, 2001 + 10);
});
