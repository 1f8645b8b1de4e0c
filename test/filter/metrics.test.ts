// The filter's metrics as Envoy's /stats/prometheus shows them after a mixed scenario:
// every admission, refusal, fallback and uncharged response is counted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { chatHeaders, CHAT_REQUEST, CHAT_RESPONSE, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { filterHost, chat, chatRequest, tokenlimitSamples } from "./helpers.ts";

test("after a mixed scenario the Prometheus page shows every filter metric with its exact value", async () => {
  const host = await filterHost({ workers: 2 });
  // alice (free): 200 admitted at 100 tokens, then 1 refused.
  for (let i = 0; i < 200; i++) assert.equal(chat(host, "alice", ["free"], { worker: i % 2 }).status, 200);
  assert.equal(chat(host, "alice", ["free"]).status, 429);
  // bob (gold): 100 tokens.
  chat(host, "bob", ["gold"], { worker: 1 });
  // carol (free): no usage in the response -> the 1003-token reservation (1000 + the input estimate).
  chat(host, "carol", ["free"], { response: '{"id":"x","choices":[]}' });
  // dave (free): 503 -> nothing.
  chat(host, "dave", ["free"], { responseHeaders: { ":status": "503" }, response: "upstream overloaded" });
  // erin (free): gzip -> unreadable -> her reservation of 703 (max_tokens 700 + the input estimate).
  chat(host, "erin", ["free"], { body: chatRequest(700), responseHeaders: { ...JSON_RESPONSE_HEADERS, "content-encoding": "gzip" }, response: gzipSync(CHAT_RESPONSE) });
  // Nobody: no identity, both group predicates fail to evaluate.
  host.exchange({ request: { headers: { ":method": "POST", ":path": "/v1/chat/completions", ":authority": "llm" }, body: CHAT_REQUEST }, response: { headers: JSON_RESPONSE_HEADERS, body: CHAT_RESPONSE } });
  // frank (free): admitted, then the client goes away before the response.
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("frank", ["free"]), false);
  s.sendRequestBody(CHAT_REQUEST, true);
  s.reset();

  const expected = [
    "tokenlimit_counter_expression_errors{} 0",
    "tokenlimit_dry_run_limited{} 0",
    "tokenlimit_expression_errors{} 2",
    "tokenlimit_fallback_charges{} 2",
    "tokenlimit_identity_found{} 206",
    "tokenlimit_identity_missing{} 1",
    "tokenlimit_identity_missing_missing_header{} 1",
    "tokenlimit_limit_free_requests_admitted{} 204",
    "tokenlimit_limit_free_requests_limited{} 1",
    "tokenlimit_limit_free_tokens_charged{} 21706",
    "tokenlimit_limit_gold_requests_admitted{} 1",
    "tokenlimit_limit_gold_requests_limited{} 0",
    "tokenlimit_limit_gold_tokens_charged{} 100",
    "tokenlimit_requests_admitted{} 205",
    "tokenlimit_requests_limited{} 1",
    "tokenlimit_store_errors{} 0",
    "tokenlimit_streams_aborted{} 1",
    "tokenlimit_tokens_charged{} 21806",
    "tokenlimit_upstream_errors_uncharged{} 1",
    "tokenlimit_usage_missing{} 2",
    "tokenlimit_usage_unreadable{} 1",
  ];
  const page = host.prometheus();
  const samples = tokenlimitSamples(host);
  for (const line of expected) {
    assert.ok(samples.includes(line), `missing: ${line}\n${samples.join("\n")}`);
    assert.ok(page.includes(`# TYPE ${line.slice(0, line.indexOf("{"))} counter\n`), `not a counter: ${line}`);
  }
  // Anything else the filter exports did not happen in this scenario.
  for (const line of samples.filter((l) => !expected.includes(l))) assert.match(line, /\{\} 0$/, line);
  // Shared by both workers: one series per name, not one per worker.
  assert.equal(new Set(samples.map((l) => l.split("{")[0])).size, samples.length);
  assert.deepEqual(host.traps, []);
});
