// Shared fixtures for tests, benchmarks and the demo: the example policy, tokens for
// callers, and real-shaped LLM requests and responses.

/** The TokenRateLimitPolicy spec of the README: free 20k/day, gold 200k/day, per user. */
export const EXAMPLE_POLICY = {
  limits: {
    free: {
      rates: [{ limit: 20000, window: "24h" }],
      when: [
        { predicate: 'request.path == "/v1/chat/completions"' },
        { predicate: 'request.auth.identity.metadata.annotations["kuadrant.io/groups"].split(",").exists(g, g == "free")' },
      ],
      counters: [{ expression: "auth.identity.userid" }],
    },
    gold: {
      rates: [{ limit: 200000, window: "24h" }],
      when: [
        { predicate: 'request.path == "/v1/chat/completions"' },
        { predicate: 'request.auth.identity.metadata.annotations["kuadrant.io/groups"].split(",").exists(g, g == "gold")' },
      ],
      counters: [{ expression: "auth.identity.userid" }],
    },
  },
};

function b64url(s: string): string {
  return Buffer.from(s).toString("base64url");
}

/** An unsigned JWT (the filter decodes, never verifies) for `sub` in `groups`. */
export function jwtFor(sub: string, groups: string[]): string {
  const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
  const payload = b64url(JSON.stringify({ sub, groups, iss: "https://issuer.example", exp: 4102444800 }));
  return `${header}.${payload}.c2lnbmF0dXJl`;
}

/** Request headers of a chat completion by `sub` in `groups`. */
export function chatHeaders(sub: string, groups: string[], path = "/v1/chat/completions"): Record<string, string> {
  return {
    ":method": "POST",
    ":path": path,
    ":authority": "llm.example",
    ":scheme": "https",
    "content-type": "application/json",
    authorization: `Bearer ${jwtFor(sub, groups)}`,
  };
}

export const CHAT_REQUEST = JSON.stringify({
  model: "gpt-3.5-turbo-0613",
  messages: [{ role: "user", content: "Hello!" }],
});

/** The example response: 15 prompt + 85 completion = 100 tokens. */
export const CHAT_RESPONSE =
  '{"id":"chatcmpl-123","object":"chat.completion","created":1677652288,"model":"gpt-3.5-turbo-0613",' +
  '"choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I assist you today?"},"finish_reason":"stop"}],' +
  '"usage":{"prompt_tokens":15,"completion_tokens":85,"total_tokens":100}}';

export const JSON_RESPONSE_HEADERS = { ":status": "200", "content-type": "application/json" };

/** A chat completion whose usage reports `total` tokens (prompt 10, the rest completion). */
export function chatResponse(total: number, content = "ok"): string {
  return JSON.stringify({
    id: "chatcmpl-1", object: "chat.completion", created: 1, model: "m",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 10, completion_tokens: total - 10, total_tokens: total },
  });
}
