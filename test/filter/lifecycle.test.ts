// The filter starts wherever Envoy or Istio loads it: any root_id, no configuration, a
// very large one; a reconfiguration leaves open streams under their policy; and it shuts
// down cleanly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EXAMPLE_POLICY, chatHeaders, chatResponse, CHAT_REQUEST, CHAT_RESPONSE, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { filterHost, chat, counterEntries, usedBy, rateLimitHeaders, metric, sendResponse, HELLO_INPUT } from "./helpers.ts";

for (const rootId of ["", "tokenlimit", "my-gateway.llm-limits", "ünïcode root"]) {
  test(`the filter starts, configures and limits under root_id ${JSON.stringify(rootId)}`, async () => {
    const host = await filterHost({ rootId, workers: 2 });
    assert.equal(host.accepted, true);
    assert.deepEqual(host.configureResult, [true, true]);
    assert.deepEqual(host.logs("info"), ["tokenlimit: configured 2 limit(s)", "tokenlimit: configured 2 limit(s)", "tokenlimit: configured 2 limit(s)"]);
    const r = chat(host, "alice", ["free"], { worker: 1 });
    assert.equal(r.status, 200);
    assert.equal(r.headers["x-ratelimit-remaining-tokens"], String(19_000 - HELLO_INPUT));
    assert.equal(usedBy(host, "free", "alice"), 100);
    assert.deepEqual(host.traps, []);
  });
}

test("no configuration at all (a WasmPlugin without pluginConfig) starts the filter with no limits and a warning", async () => {
  for (const config of ["", "  \n\t"]) {
    const host = await filterHost({ pluginConfig: config });
    assert.equal(host.accepted, true);
    assert.deepEqual(host.configureResult, [true]);
    assert.deepEqual(host.logs("error"), []);
    assert.ok(host.logs("warn").includes("tokenlimit: no plugin configuration; no limits apply until one is given"));
    const r = chat(host, "alice", ["free"]);
    assert.equal(r.status, 200);
    assert.deepEqual(rateLimitHeaders(r), []);
    assert.deepEqual(counterEntries(host), []);
    assert.deepEqual(host.traps, []);
  }
});

test("an empty JSON object is refused with a clear error and no trap", async () => {
  const host = await filterHost({ pluginConfig: "{}" });
  assert.equal(host.accepted, false);
  assert.deepEqual(host.logs("error"), ["tokenlimit: invalid configuration: limits: required"]);
  assert.deepEqual(host.traps, []);
});

test("a configuration with 500 limits is accepted and each request is held to the limit its predicate selects", async () => {
  const limits: Record<string, object> = {};
  for (let i = 0; i < 500; i++) {
    limits[`team-${String(i).padStart(3, "0")}`] = {
      rates: [{ limit: 1000 + i, window: "1h" }, { limit: 100_000 + i, window: "24h" }],
      when: [{ predicate: `request.headers["x-team"] == "t${i}"` }],
      counters: [{ expression: "auth.identity.userid" }],
    };
  }
  const config = JSON.stringify({ limits });
  assert.ok(config.length > 90_000, `${config.length} bytes`);
  const host = await filterHost({ pluginConfig: config, workers: 2 });
  assert.equal(host.accepted, true);
  assert.deepEqual(host.configureResult, [true, true]);
  assert.ok(host.logs("info").includes("tokenlimit: configured 500 limit(s)"));
  for (const i of [3, 137, 499]) {
    const r = chat(host, "alice", ["free"], { headers: { "x-team": `t${i}` } });
    assert.equal(r.status, 200);
    assert.equal(r.headers["x-ratelimit-limit-tokens"], String(1000 + i), "the 1h rate is the tighter one");
    assert.equal(r.headers["x-ratelimit-remaining-tokens"], String(i - HELLO_INPUT), "1000 + i minus the 1000 + 3 reserved");
    assert.equal(usedBy(host, `team-${String(i).padStart(3, "0")}`, "alice"), 100);
  }
  assert.equal(metric(host, "limit.team_h137.requests_admitted"), 1);
  assert.deepEqual(rateLimitHeaders(chat(host, "alice", ["free"], { headers: { "x-team": "t500" } })), []);
  assert.deepEqual(host.traps, []);
});

test("closing the host shuts every worker's root context down without a trap", async () => {
  const host = await filterHost({ workers: 3, trace: true });
  chat(host, "alice", ["free"], { worker: 2 });
  const s = host.newStream({ worker: 1 });
  s.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s.sendRequestBody(CHAT_REQUEST, true);
  s.sendResponseHeaders(JSON_RESPONSE_HEADERS);
  s.sendResponseBody(CHAT_RESPONSE, true);
  assert.equal(s.completed, true);
  const before = host.calls.length;
  host.close();
  assert.deepEqual(host.traps, []);
  // Each worker's root context is done at once (on_done returns 1) and deleted.
  assert.deepEqual(host.calls.slice(before).map((c) => `${c.vm} ${c.fn} -> ${c.result}`), [0, 1, 2].flatMap((w) => [
    `worker ${w} proxy_on_done -> 1`,
    `worker ${w} proxy_on_delete -> 0`,
  ]));
});

test("a stream admitted before a reconfiguration is answered and charged under the policy it started with", async () => {
  const host = await filterHost();
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s.sendRequestBody(CHAT_REQUEST, true);
  assert.equal(s.answeredLocally, false);
  const next = { ...EXAMPLE_POLICY, counters: { keyPrefix: "v2" }, response: { headers: { limit: "x-limit" } } };
  assert.equal(host.reconfigure(next), true);
  sendResponse(s, chatResponse(300));
  const r = s.downstreamResponse;
  assert.equal(r?.status, 200);
  assert.equal(r?.headers["x-ratelimit-limit-tokens"], "20000", "the old policy's header names");
  assert.equal(r?.headers["x-limit"], undefined);
  assert.equal(usedBy(host, "free", "alice"), 300, "charged to the old policy's counter");
  assert.deepEqual(host.sharedData.entries().map((e) => e.key).filter((k) => k.startsWith("v2")), []);
  // The next request is the new policy's.
  const after = chat(host, "alice", ["free"]);
  assert.equal(after.headers["x-limit"], "20000");
  assert.ok(host.sharedData.entries().some((e) => e.key.startsWith("v2|free|0|#") && e.value.length > 50 &&
    Buffer.from(e.value.subarray(50)).toString() === "v2|free|0|alice"), "the new policy's counter");
  assert.deepEqual(host.traps, []);
});
