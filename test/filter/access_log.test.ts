// Each request's charge reaches Envoy's access log as filter state: the filter calls
// proxy_set_property("tokenlimit.charge", json), which Envoy stores as a CelState under
// `wasm.tokenlimit.charge` and `%FILTER_STATE(wasm.tokenlimit.charge:PLAIN)%` prints.
import { test } from "node:test";
import { createHash } from "node:crypto";
import assert from "node:assert/strict";
import { chatHeaders, chatResponse, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { filterHost, chat, chatRequest } from "./helpers.ts";

const KEY = "wasm.tokenlimit.charge";
const CHAT_ONLY = [{ predicate: 'request.url_path == "/v1/chat/completions"' }];
const POLICY = {
  limits: {
    "team-daily": {
      rates: [{ limit: 1000, window: "24h" }, { limit: 5000, window: "7d" }],
      when: CHAT_ONLY,
      counters: [{ expression: "auth.identity.userid" }],
    },
    outputs: { rates: [{ limit: 300, window: "1h" }], when: CHAT_ONLY, counters: [{ expression: "auth.identity.userid" }], tokens: "output", soft: true, alerts: [{ at: "100%" }] },
  },
};

test("an admitted request's filter state holds its usage, the charge per counter and each counter after it", async () => {
  const host = await filterHost({ pluginConfig: POLICY });
  chat(host, "alice", [], { response: chatResponse(100) });
  const r = chat(host, "alice", [], { response: chatResponse(250) });
  assert.deepEqual(JSON.parse(r.stream.filterState(KEY)!), {
    decision: "admitted",
    tokens: { input: 10, output: 240, total: 250 },
    charged: 250,
    limits: [
      { name: "outputs", counter: ["alice"], soft: true, rates: [{ window: "1h", limit: 300, charged: 240, used: 330 }] },
      { name: "team-daily", counter: ["alice"], rates: [
        { window: "24h", limit: 1000, charged: 250, used: 350 },
        { window: "7d", limit: 5000, charged: 250, used: 350 }] },
    ],
  });
  // The exact bytes, as %FILTER_STATE(...:PLAIN)% prints them: compact JSON, limits by name.
  assert.equal(r.stream.filterState(KEY), '{"decision":"admitted","tokens":{"input":10,"output":240,"total":250},"charged":250,' +
    '"limits":[{"name":"outputs","counter":["alice"],"soft":true,"rates":[{"window":"1h","limit":300,"charged":240,"used":330}]},' +
    '{"name":"team-daily","counter":["alice"],"rates":[{"window":"24h","limit":1000,"charged":250,"used":350},{"window":"7d","limit":5000,"charged":250,"used":350}]}]}');
});

test("a refused request's filter state names the limit that refused it and charges nothing", async () => {
  const host = await filterHost({ pluginConfig: POLICY });
  chat(host, "alice", [], { response: chatResponse(1000) });
  const r = chat(host, "alice", []);
  assert.equal(r.status, 429);
  assert.deepEqual(JSON.parse(r.stream.filterState(KEY)!), {
    decision: "limited", limit: "team-daily", rate: 0, limit_tokens: 1000, retry_after: 15 * 3600, charged: 0,
    limits: [
      { name: "outputs", counter: ["alice"], soft: true, rates: [{ window: "1h", limit: 300 }] },
      { name: "team-daily", counter: ["alice"], rates: [{ window: "24h", limit: 1000 }, { window: "7d", limit: 5000 }] },
    ],
  });
});

test("a stream reset mid-response is recorded as aborted with what it was charged", async () => {
  const host = await filterHost({ pluginConfig: POLICY });
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", []), false);
  s.sendRequestBody(chatRequest(), true);
  s.sendResponseHeaders(JSON_RESPONSE_HEADERS, false);
  s.sendResponseBody("{\"id\":\"x\",\"choices\":[", false);
  s.reset();
  const c = JSON.parse(s.filterState(KEY)!);
  assert.equal(c.aborted, true);
  assert.equal(c.decision, "admitted");
  assert.equal(c.limits[1].rates[0].used, c.limits[1].rates[0].charged);
});

test("requests no limit applies to leave no filter state; accessLog.filterState false turns it off", async () => {
  const host = await filterHost({ pluginConfig: POLICY });
  const other = chat(host, "alice", [], { path: "/v1/models" });
  assert.equal(other.stream.filterState(KEY), undefined);
  const off = await filterHost({ pluginConfig: { ...POLICY, accessLog: { filterState: false } } });
  assert.equal(chat(off, "alice", []).stream.filterState(KEY), undefined);
});

test("a user's counter value cannot break the JSON: it is escaped", async () => {
  const host = await filterHost({ pluginConfig: { limits: { l: { rates: [{ limit: 1000, window: "1h" }], when: CHAT_ONLY,
    counters: [{ expression: 'request.headers["x-team"]' }] } } } });
  const r = chat(host, "alice", [], { headers: { "x-team": 'a"},{"x\\' } });
  assert.deepEqual(JSON.parse(r.stream.filterState(KEY)!).limits[0].counter, ['a"},{"x\\']);
  // A long value appears as its counter key text, a SHA-256 digest: a header cannot make every log line as long as it is.
  const long = chat(host, "alice", [], { headers: { "x-team": "t".repeat(5000) } });
  const digest = createHash("sha256").update("t".repeat(5000)).digest("hex");
  assert.deepEqual(JSON.parse(long.stream.filterState(KEY)!).limits[0].counter, [`#sha256:${digest}`]);
  assert.ok(long.stream.filterState(KEY)!.length < 600);
});

test("accessLog.responseTrailer sends the tokens charged as a trailer after the last body chunk", async () => {
  const host = await filterHost({ pluginConfig: { ...POLICY, accessLog: { responseTrailer: "x-tokenlimit-charged" } } });
  const r = chat(host, "alice", [], { response: chatResponse(250), responseChunkSize: 64 });
  assert.equal(r.status, 200);
  assert.deepEqual(r.trailers, { "x-tokenlimit-charged": "250" });
  // A request no limit applies to gets none.
  assert.equal(chat(host, "alice", [], { path: "/v1/models", response: chatResponse(250) }).trailers, null);
  // Without the setting, no trailer.
  const plain = await filterHost({ pluginConfig: POLICY });
  assert.equal(chat(plain, "alice", [], { response: chatResponse(250) }).trailers, null);
});

test("accessLog.responseTrailer must be a lower-case header name: the error names the field", async () => {
  const host = await filterHost({ pluginConfig: { ...POLICY, accessLog: { responseTrailer: "X Charged" } } });
  assert.equal(host.accepted, false);
  assert.ok(host.logs().includes(
    "tokenlimit: invalid configuration: accessLog.responseTrailer: expected a lower-case header name of 1 to 64 letters, digits or '-' (e.g. x-tokenlimit-charged), got \"X Charged\""),
  host.logs().join("\n"));
});
