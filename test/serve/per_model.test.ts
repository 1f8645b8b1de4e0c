// Per-model limits and prices through tokenlimit serve, driven by the official openai SDK:
// the model is read from the request body (requestBodyJSON), gpt-4o costs ten times
// gpt-4o-mini, and each model has its own counter per user.
import { test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { HELLO, openai, proxy } from "./helpers.ts";

const PER_MODEL = {
  limits: {
    per_model: {
      rates: [{ limit: 10_000, window: "24h" }],
      when: [
        { predicate: 'request.url_path == "/v1/chat/completions"' },
        { predicate: 'requestBodyJSON("/model") in ["gpt-4o", "gpt-4o-mini"]' },
      ],
      counters: [{ expression: "auth.identity.userid" }, { expression: 'requestBodyJSON("/model")' }],
    },
  },
  cost: { expression: 'requestBodyJSON("/model") == "gpt-4o" ? usage.total_tokens * 10 : usage.total_tokens' },
};

test("openai SDK: gpt-4o is charged 10x on its own counter, and exhausting it leaves gpt-4o-mini open", async (t) => {
  const p = await proxy(t, { pluginConfig: PER_MODEL });
  const client = openai(p.url, "alice");
  // The mock reports 2 prompt tokens for "Hello!" and max_tokens as the completion: 100 tokens.
  const big = await client.chat.completions.create({ model: "gpt-4o", messages: HELLO, max_tokens: 98 }).withResponse();
  assert.equal(big.response.status, 200);
  assert.equal(big.data.usage?.total_tokens, 100);
  // Reserved at admission: 98 output + 3 input ("user", "Hello!").
  assert.equal(big.response.headers.get("x-ratelimit-remaining-tokens"), String(10_000 - 101));
  const small = await client.chat.completions.create({ model: "gpt-4o-mini", messages: HELLO, max_tokens: 98 }).withResponse();
  assert.equal(small.response.status, 200);
  assert.equal(small.response.headers.get("x-ratelimit-remaining-tokens"), String(10_000 - 101), "a counter of its own");
  assert.deepEqual(p.logs.map((l) => l.record.outcome.tokens), [1000, 100]);
  assert.equal(p.metric("tokenlimit.tokens_charged"), 1100);

  // Nine more gpt-4o calls spend its 10,000; the next is refused, gpt-4o-mini is not.
  for (let i = 0; i < 9; i++) await client.chat.completions.create({ model: "gpt-4o", messages: HELLO, max_tokens: 98 });
  const err = await client.chat.completions.create({ model: "gpt-4o", messages: HELLO, max_tokens: 98 }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.RateLimitError, String(err));
  assert.equal(err.status, 429);
  const still = await client.chat.completions.create({ model: "gpt-4o-mini", messages: HELLO, max_tokens: 98 }).withResponse();
  assert.equal(still.response.status, 200);
  assert.equal(still.response.headers.get("x-ratelimit-remaining-tokens"), String(10_000 - 100 - 101));
  assert.equal(p.mock.stats.byPath["/v1/chat/completions"], 12, "the refused call never reached the upstream");
  assert.match(await p.prometheus(), /^tokenlimit_tokens_charged\{\} 10200$/m);
});

test("openai SDK, streaming: the per-model price applies to the usage of the last chunk", async (t) => {
  const p = await proxy(t, { pluginConfig: PER_MODEL });
  const client = openai(p.url, "bob");
  const stream = await client.chat.completions.create({ model: "gpt-4o", messages: HELLO, max_tokens: 48, stream: true });
  let usage = 0;
  for await (const c of stream) if (c.usage) usage = c.usage.total_tokens;
  assert.equal(usage, 50);
  assert.equal(p.metric("tokenlimit.tokens_charged"), 500);
});

test("a model outside the list is not counted by the per-model limit, and a model name the caller makes up creates no counter", async (t) => {
  const p = await proxy(t, { pluginConfig: PER_MODEL });
  const client = openai(p.url, "carol");
  for (const model of ["gpt-5", "my-own-model-1", "my-own-model-2"]) {
    const r = await client.chat.completions.create({ model, messages: HELLO, max_tokens: 10 }).withResponse();
    assert.equal(r.response.status, 200);
    assert.equal(r.response.headers.get("x-ratelimit-remaining-tokens"), null, "no limit applied");
  }
  assert.equal(p.metric("tokenlimit.tokens_charged") ?? 0, 0);
});
