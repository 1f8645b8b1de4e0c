// Which provider's fields are read: auto-detection from the request path, an explicit
// `usage.provider`, and custom paths (dotted and JSON pointer) on a non-standard API.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as T from "../../fixtures/transcripts.ts";
import { newHost, policy, replay, metric, userLimit } from "./helpers.ts";

test("auto: /v1/messages reads Anthropic's fields; the same body on /v1/chat/completions reports nothing", async () => {
  const host = await newHost();
  for (const t of [T.ANTHROPIC_STREAM, T.ANTHROPIC_JSON]) {
    assert.equal(replay(host, t, { chunkSize: 50 }).charged, t.usage.total, t.name);
    const missing = metric(host, "tokenlimit.usage_missing");
    // OpenAI's preset looks for usage.prompt_tokens / completion_tokens: not there.
    // The reservation: max_tokens and the input estimate ("user" and the message, 4 bytes a token).
    const input = Math.ceil(("user" + JSON.parse(t.request).messages[0].content).length / 4);
    assert.equal(replay(host, t, { path: "/v1/chat/completions", chunkSize: 50 }).charged, 1024 + input, "the reservation (max_tokens and the input)");
    assert.equal(metric(host, "tokenlimit.usage_missing") - missing, 1);
  }
});

test("auto: :streamGenerateContent and :generateContent read Gemini's usageMetadata", async () => {
  const host = await newHost();
  const paths = [
    "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    "/v1beta/models/gemini-2.5-flash:streamGenerateContent?key=abc&alt=sse",
  ];
  for (const path of paths) assert.equal(replay(host, T.GEMINI_STREAM, { path, chunkSize: 33 }).charged, 121, path);
  assert.equal(replay(host, T.GEMINI_JSON).charged, 18);
  // Not Gemini's path: OpenAI's fields are looked for, and none are there.
  assert.equal(replay(host, T.GEMINI_STREAM, { path: "/v1/chat/completions" }).charged, 2048 + Math.ceil(("user" + "Write a story about a fox.").length / 4), "the reservation (maxOutputTokens and the input)");
});

test("auto: /v1/responses reads the Responses API's response.usage; chat completions paths do not", async () => {
  const host = await newHost();
  assert.equal(replay(host, T.RESPONSES_STREAM, { chunkSize: 40 }).charged, 508);
  assert.equal(replay(host, T.RESPONSES_JSON).charged, 123);
  assert.equal(replay(host, T.RESPONSES_STREAM, { path: "/openai/v1/responses" }).charged, 508);
  assert.equal(replay(host, T.RESPONSES_STREAM, { path: "/v1/chat/completions" }).charged, 600 + Math.ceil("Say hi.".length / 4), "the reservation (max_output_tokens and the input)");
});

test("auto: OpenAI-compatible servers under any prefix (vLLM, Ollama /v1, Azure-style deployments)", async () => {
  const host = await newHost();
  const paths = ["/v1/chat/completions", "/vllm/v1/chat/completions", "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", "/v1/chat/completions/"];
  for (const path of paths) {
    for (const t of [T.VLLM_STREAM, T.OLLAMA_STREAM, T.VLLM_JSON, T.OPENAI_CHAT_STREAM]) {
      assert.equal(replay(host, t, { path, chunkSize: 21 }).charged, t.usage.total, `${t.name} on ${path}`);
    }
  }
});

test("auto: a path no preset recognises reads every provider's fields", async () => {
  const host = await newHost();
  for (const t of [...T.STREAMS, ...T.JSON_BODIES]) {
    assert.equal(replay(host, t, { path: "/llm/invoke", chunkSize: 64 }).charged, t.usage.total, t.name);
  }
});

test("an explicit usage.provider applies whatever the path", async () => {
  const cases: Array<[string, T.Transcript]> = [
    ["anthropic", T.ANTHROPIC_STREAM], ["gemini", T.GEMINI_STREAM], ["openai-responses", T.RESPONSES_STREAM], ["openai", T.VLLM_STREAM],
  ];
  for (const [provider, t] of cases) {
    const host = await newHost(policy({ usage: { provider } }));
    assert.equal(replay(host, t, { path: "/llm/invoke", chunkSize: 16 }).charged, t.usage.total, provider);
  }
});

/** A non-standard API: its own JSON body and its own event stream, usage under meta.tokens. */
const CUSTOM_JSON = '{"result":{"text":"Bonjour tout le monde"},"meta":{"model":"in-house-7b","tokens":{"prompt":40,"generated":9,"used":49}}}';
const CUSTOM_SSE =
  'event: token\ndata: {"text":"Bon","meta":{"tokens":{"prompt":40,"generated":1,"used":41}}}\n\n' +
  'event: token\ndata: {"text":"jour","meta":{"tokens":{"prompt":40,"generated":2,"used":42}}}\n\n' +
  'event: done\ndata: {"meta":{"tokens":{"prompt":40,"generated":9,"used":49},"finish":"stop"}}\n\n';
const CUSTOM: T.Transcript = {
  name: "in-house API", path: "/internal/generate", request: '{"prompt":"Say hello in French","max_new_tokens":64}',
  contentType: "application/json", body: CUSTOM_JSON, usage: { input: 40, output: 9, total: 49, cached: 0, reasoning: 0 },
};
const CUSTOM_STREAM: T.Transcript = { ...CUSTOM, contentType: "text/event-stream", body: CUSTOM_SSE };

test("custom: usage.paths.total as a JSON pointer (/meta/tokens/used) and dotted (meta.tokens.used)", async () => {
  for (const total of ["/meta/tokens/used", "meta.tokens.used", "$.meta.tokens.used"]) {
    const host = await newHost(policy({ usage: { provider: "custom", paths: { total } } }));
    for (const t of [CUSTOM, CUSTOM_STREAM]) {
      for (const chunkSize of [1, 7, 1000]) assert.equal(replay(host, t, { chunkSize }).charged, 49, `${total} ${t.contentType} ${chunkSize}`);
    }
    // Custom means only these paths: an OpenAI body on the same route reports nothing.
    const missing = metric(host, "tokenlimit.usage_missing");
    replay(host, T.OPENAI_CHAT_JSON, { path: "/internal/generate" });
    assert.equal(metric(host, "tokenlimit.usage_missing") - missing, 1, total);
  }
});

test("custom: input and output paths feed input/output limits and the cost; total is input + output when absent", async () => {
  const host = await newHost(policy(
    { usage: { provider: "custom", paths: { input: "/meta/tokens/prompt", output: "meta.tokens.generated" } }, cost: { expression: "usage.prompt_tokens + 4 * usage.completion_tokens" } },
    { all: userLimit("total"), in: userLimit("input"), out: userLimit("output") },
  ));
  for (const t of [CUSTOM, CUSTOM_STREAM]) {
    const before = ["all", "in", "out"].map((n) => metric(host, `tokenlimit.limit.${n}.tokens_charged`));
    replay(host, t, { chunkSize: 5 });
    const after = ["all", "in", "out"].map((n) => metric(host, `tokenlimit.limit.${n}.tokens_charged`));
    assert.deepEqual(after.map((v, i) => v - before[i]), [40 + 4 * 9, 40, 9], t.contentType);
  }
  const plain = await newHost(policy({ usage: { provider: "custom", paths: { input: "/meta/tokens/prompt", output: "meta.tokens.generated" } } }));
  assert.equal(replay(plain, CUSTOM_STREAM).charged, 49);
});

test("custom: a JSON pointer escapes '/' in a key as ~1 and '~' as ~0", async () => {
  const host = await newHost(policy({ usage: { provider: "custom", paths: { total: "/billing/tokens~1total/n~0" } } }));
  const body = '{"billing":{"tokens/total":{"n~":77,"n":1}}}';
  assert.equal(replay(host, CUSTOM, { body, chunkSize: 3 }).charged, 77);
});

test("a path in usage.paths replaces that field of the detected preset and keeps the others", async () => {
  const host = await newHost(policy({ usage: { paths: { total: "usage.billable_tokens" } } }));
  const body = '{"id":"chatcmpl-9","object":"chat.completion","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"billable_tokens":12}}';
  assert.equal(replay(host, T.OPENAI_CHAT_JSON, { body }).charged, 12);
});

test("Kuadrant's dataExtraction.response.totalTokens pointer sets the total tokens path", async () => {
  const host = await newHost(policy({ dataExtraction: { response: { totalTokens: ["/meta/tokens/used"] } } }));
  assert.equal(replay(host, CUSTOM_STREAM, { chunkSize: 4 }).charged, 49);
});

test("usage.provider custom without any path is rejected at configuration", async () => {
  await assert.rejects(newHost(policy({ usage: { provider: "custom" } })), /configuration rejected/);
});
