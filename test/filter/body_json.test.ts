// Per-model limits and costs: Kuadrant's requestBodyJSON(pointer) in `when` and
// `counters` (the request body is read, bounded, before the limits are selected) and in
// the cost expression, responseBodyJSON(pointer) in the cost expression. RFC 6901
// pointers; null when the document has no such value; a body the selection needs but
// cannot read is refused, so that no body lets a caller escape a limit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chatHeaders, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { filterHost, counterEntries, counterWithIdentity, counterKey, metric } from "./helpers.ts";
import type { Host } from "../../host-test/index.ts";

// Counts per user and model, for the two models the gateway serves; gpt-4o costs ten times more.
const PER_MODEL = {
  limits: {
    per_model: {
      rates: [{ limit: 100_000, window: "24h" }],
      when: [{ predicate: 'requestBodyJSON("/model") in ["gpt-4o", "gpt-4o-mini"]' }],
      counters: [{ expression: "auth.identity.userid" }, { expression: 'requestBodyJSON("/model")' }],
    },
  },
  cost: { expression: 'requestBodyJSON("/model") == "gpt-4o" ? usage.total_tokens * 10 : usage.total_tokens' },
};

function usageBody(total: number, model = "gpt-4o-2024-08-06"): string {
  return JSON.stringify({
    id: "c", object: "chat.completion", model,
    choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 10, completion_tokens: total - 10, total_tokens: total },
  });
}

function send(host: Host, body: string | undefined, response = usageBody(100), headers: Record<string, string> = {}, chunkSize?: number) {
  return host.exchange({
    request: { headers: { ...chatHeaders("alice", []), ...headers }, body, chunkSize },
    response: { headers: JSON_RESPONSE_HEADERS, body: response },
  });
}

function used(host: Host, model: string): number | undefined {
  return counterWithIdentity(host, counterKey("per_model", 0, "alice", model))?.used;
}

test("a cost expression prices by model: gpt-4o is charged 10x, gpt-4o-mini 1x, each on its own counter", async () => {
  const host = await filterHost({ pluginConfig: PER_MODEL });
  assert.equal(host.accepted, true, host.logs("error").join("\n"));
  assert.equal(send(host, JSON.stringify({ model: "gpt-4o", messages: [], max_tokens: 10 })).status, 200);
  assert.equal(send(host, JSON.stringify({ model: "gpt-4o-mini", messages: [], max_tokens: 10 })).status, 200);
  assert.equal(used(host, "gpt-4o"), 1000);
  assert.equal(used(host, "gpt-4o-mini"), 100);
  assert.equal(metric(host, "tokens_charged"), 1100);
  assert.equal(metric(host, "expression_errors"), 0);
});

test("only the listed models create counters: another model, or none, is not limited by the per-model limit", async () => {
  const host = await filterHost({ pluginConfig: PER_MODEL });
  for (const model of ["gpt-5", "x".repeat(200), ""]) assert.equal(send(host, JSON.stringify({ model, messages: [] })).status, 200);
  assert.equal(send(host, JSON.stringify({ messages: [] })).status, 200);
  assert.equal(send(host, undefined).status, 200, "no body: requestBodyJSON is null");
  assert.deepEqual(counterEntries(host), []);
});

test("a budget spent on gpt-4o refuses gpt-4o and leaves gpt-4o-mini open", async () => {
  const host = await filterHost({ pluginConfig: PER_MODEL });
  assert.equal(send(host, JSON.stringify({ model: "gpt-4o", messages: [], max_tokens: 10 }), usageBody(10_000)).status, 200);
  assert.equal(used(host, "gpt-4o"), 100_000);
  const refused = send(host, JSON.stringify({ model: "gpt-4o", messages: [], max_tokens: 10 }));
  assert.equal(refused.status, 429);
  assert.equal(refused.upstreamRequest?.body ?? "", "", "no body reached the upstream");
  assert.equal(send(host, JSON.stringify({ model: "gpt-4o-mini", messages: [], max_tokens: 10 })).status, 200);
});

test("the model is read as the upstream's JSON parser reads it: escaped keys and values, the last duplicate key", async () => {
  const host = await filterHost({ pluginConfig: PER_MODEL });
  send(host, '{"mod\\u0065l": "gpt-4\\u006f", "messages": []}');
  send(host, '{"model": "gpt-4o-mini", "model": "gpt-4o", "messages": []}');
  assert.equal(used(host, "gpt-4o"), 2000);
  assert.equal(used(host, "gpt-4o-mini"), undefined);
});

test("a body in many chunks is selected once it is whole", async () => {
  const host = await filterHost({ pluginConfig: PER_MODEL });
  const body = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "x".repeat(10_000) }], max_tokens: 5 });
  assert.equal(send(host, body, usageBody(100), {}, 7).status, 200);
  assert.equal(used(host, "gpt-4o"), 1000);
});

test("a body the selection needs but cannot read is refused: 413 over admission.maxRequestBodyBytes, 400 when not JSON", async () => {
  const host = await filterHost({ pluginConfig: { ...PER_MODEL, admission: { maxRequestBodyBytes: 4096 } } });
  const big = send(host, JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "x".repeat(10_000) }] }));
  assert.equal(big.status, 413);
  assert.match(big.body, /larger than the token rate limiter reads/);
  const bad = send(host, '{"model": "gpt-4o", "messages": [');
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body).error.code, "invalid_json");
  const text = send(host, "model=gpt-4o", usageBody(100), { "content-type": "text/plain" });
  assert.equal(text.status, 400);
  assert.equal(metric(host, "request_bodies_unreadable"), 3);
  assert.deepEqual(counterEntries(host), []);
  assert.deepEqual(host.traps, []);
});

test("a body that ends in trailers cannot be read whole: refused when the selection needs it", async () => {
  const host = await filterHost({ pluginConfig: PER_MODEL });
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", []), false);
  s.sendRequestBody(JSON.stringify({ model: "gpt-4o", messages: [] }), false);
  s.sendRequestTrailers({ "x-checksum": "1" });
  assert.equal(s.localResponse?.status, 413);
});

test("JSON pointers follow RFC 6901: array indexes, ~0 and ~1 escapes, the empty pointer; absent values are null", async () => {
  const policy = {
    limits: {
      by_role: {
        rates: [{ limit: 100_000, window: "24h" }],
        when: [{ predicate: 'requestBodyJSON("/messages/1/role") == "user" && requestBodyJSON("/a~1b/c~0d") == 7 && requestBodyJSON("/messages/2") == null && type(requestBodyJSON("")) == map' }],
        counters: [{ expression: 'requestBodyJSON("/messages/0/content")' }],
      },
    },
  };
  const host = await filterHost({ pluginConfig: policy });
  assert.equal(host.accepted, true, host.logs("error").join("\n"));
  const body = { messages: [{ role: "system", content: "team-a" }, { role: "user", content: "hi" }], "a/b": { "c~d": 7 } };
  send(host, JSON.stringify(body));
  assert.equal(counterWithIdentity(host, counterKey("by_role", 0, "team-a"))!.used, 100);
  send(host, JSON.stringify({ ...body, "a/b": { "c~d": 8 } }));
  assert.equal(counterEntries(host).length, 1, "the predicate did not hold");
});

test("responseBodyJSON prices by the model the upstream says it used, in a JSON response and in a stream", async () => {
  const policy = {
    limits: PER_MODEL.limits,
    cost: { expression: 'responseBodyJSON("/model").startsWith("gpt-4o-mini") ? usage.total_tokens : usage.total_tokens * 10' },
  };
  const host = await filterHost({ pluginConfig: policy });
  assert.equal(host.accepted, true, host.logs("error").join("\n"));
  send(host, JSON.stringify({ model: "gpt-4o", messages: [] }), usageBody(100, "gpt-4o-2024-08-06"));
  assert.equal(used(host, "gpt-4o"), 1000);
  send(host, JSON.stringify({ model: "gpt-4o-mini", messages: [] }), usageBody(100, "gpt-4o-mini-2024-07-18"));
  assert.equal(used(host, "gpt-4o-mini"), 100);
  const chunk = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
  const stream = chunk({ model: "gpt-4o-mini-2024-07-18", choices: [{ delta: { content: "x".repeat(100_000) } }] }) +
    chunk({ model: "gpt-4o-2024-08-06", choices: [], usage: { prompt_tokens: 10, completion_tokens: 40, total_tokens: 50 } }) + "data: [DONE]\n\n";
  host.exchange({
    request: { headers: chatHeaders("alice", []), body: JSON.stringify({ model: "gpt-4o", messages: [], stream: true }) },
    response: { headers: { ":status": "200", "content-type": "text/event-stream" }, body: stream, chunkSize: 1000 },
  });
  assert.equal(used(host, "gpt-4o"), 1000 + 500, "the last event's model: gpt-4o, 10x");
  assert.equal(metric(host, "expression_errors"), 0);
});

test("a body function where it cannot be evaluated, or with a pointer that is not a constant RFC 6901 pointer, is a configuration error", async () => {
  const cases: Array<[object, string]> = [
    [{ limits: { l: { rates: [{ limit: 1, window: "1h" }], when: [{ predicate: 'responseBodyJSON("/model") == "x"' }] } } },
      "limits.l.when[0].predicate: invalid CEL at offset 0: responseBodyJSON is not available in when or counters"],
    [{ limits: { l: { rates: [{ limit: 1, window: "1h" }], counters: [{ expression: 'requestBodyJSON("model")' }] } } },
      "limits.l.counters[0].expression: invalid CEL at offset 16: invalid JSON pointer \"model\": must be empty or start with '/'"],
    [{ limits: { l: { rates: [{ limit: 1, window: "1h" }], counters: [{ expression: 'requestBodyJSON(request.headers["x-p"])' }] } } },
      "limits.l.counters[0].expression: invalid CEL at offset 0: requestBodyJSON takes a constant JSON pointer"],
    [{ limits: { l: { rates: [{ limit: 1, window: "1h" }] } }, cost: { expression: 'requestBodyJSON("/a~2") == 1 ? 1 : 2' } },
      "cost.expression: invalid CEL at offset 16: invalid JSON pointer \"/a~2\": '~' must be followed by 0 or 1"],
    [{ limits: { l: { rates: [{ limit: 1, window: "1h" }], counters: [{ expression: 'requestBodyJSON("/model")' }] } }, admission: { readRequestBody: false } },
      "admission.readRequestBody: must be true: an expression uses requestBodyJSON, which reads the request body"],
    [{ limits: { l: { rates: [{ limit: 1, window: "1h" }], when: [{ predicate: 'requestBodyJSON("/model") == "m"' }] } }, admission: { maxRequestBodyBytes: 0 } },
      "admission.maxRequestBodyBytes: must be above 0: a when or counters expression uses requestBodyJSON"],
  ];
  for (const [config, message] of cases) {
    const host = await filterHost({ pluginConfig: config });
    assert.equal(host.accepted, false, message);
    const errors = host.logs("error").join("\n");
    assert.ok(errors.includes(message), `${errors}\n  should include\n${message}`);
  }
});

test("a cost expression that reads the request body works in check mode and without a body", async () => {
  const policy = {
    limits: { per_user: { rates: [{ limit: 100_000, window: "24h" }], counters: [{ expression: "auth.identity.userid" }] } },
    cost: PER_MODEL.cost,
    admission: { mode: "check" },
    usage: { includeStreamUsage: false },
  };
  const host = await filterHost({ pluginConfig: policy });
  send(host, JSON.stringify({ model: "gpt-4o", messages: [] }));
  const bodyless = host.exchange({ request: { headers: { ...chatHeaders("alice", []), ":method": "GET" } }, response: { headers: JSON_RESPONSE_HEADERS, body: usageBody(100) } });
  assert.equal(bodyless.status, 200);
  // 1000 for gpt-4o; the request without a body reads null, so the plain total.
  assert.equal(counterWithIdentity(host, counterKey("per_user", 0, "alice"))!.used, 1100);
  assert.equal(metric(host, "expression_errors"), 0);
});

test("in a dry run, a body the selection cannot read is counted, not refused", async () => {
  const host = await filterHost({ pluginConfig: { ...PER_MODEL, dryRun: true } });
  const r = send(host, '{"model": "gpt-4o", "messages": [');
  assert.equal(r.status, 200);
  assert.equal(metric(host, "request_bodies_unreadable"), 1);
});

test("admission.onUnreadableBody: evaluate lets Kuadrant's rule decide: the function is an error, the predicate false", async () => {
  const host = await filterHost({ pluginConfig: { ...PER_MODEL, admission: { onUnreadableBody: "evaluate", maxRequestBodyBytes: 4096 } } });
  assert.equal(send(host, '{"model": "gpt-4o", "messages": [').status, 200);
  assert.equal(send(host, JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "x".repeat(10_000) }] })).status, 200);
  assert.equal(metric(host, "request_bodies_unreadable"), 2);
  assert.equal(metric(host, "expression_errors"), 2);
  assert.deepEqual(counterEntries(host), [], "the per-model limit did not apply");
  const typo = await filterHost({ pluginConfig: { ...PER_MODEL, admission: { onUnreadableBody: "allow" } } });
  assert.equal(typo.accepted, false);
  assert.ok(typo.logs("error").join("\n").includes("admission.onUnreadableBody"), typo.logs("error").join("\n"));
});
