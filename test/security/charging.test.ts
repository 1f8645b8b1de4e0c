// What a response without usage costs: nothing when it cannot have carried generated
// content (a HEAD request, an informational status other than 101, 204, 304, a
// redirection); a fixed, configured amount for a 101 upgrade; the configured fallback
// otherwise, and a compressed body by its size. (Cut and unrecognised streams:
// never_free.test.ts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { Host } from "../../host-test/index.ts";
import { gzipSync } from "node:zlib";
import { chatHeaders, chatResponse, CHAT_REQUEST } from "../../fixtures/llm.ts";
import { NINE_AM, usedBy, HELLO_INPUT } from "../filter/helpers.ts";

// Reservations of 500 tokens, and the reservation as the fallback charge (the defaults).
const POLICY = {
  limits: { per_user: { rates: [{ limit: 100000, window: "1h" }], counters: [{ expression: "auth.identity.userid" }] } },
  admission: { defaultReservation: 500 },
};

function host(): Promise<Host> {
  return Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: POLICY, now: NINE_AM, trace: false });
}

function answer(h: Host, status: string, method = "POST") {
  return h.exchange({
    request: { headers: { ...chatHeaders("alice", []), ":method": method }, body: method === "HEAD" ? undefined : CHAT_REQUEST },
    response: { headers: { ":status": status } },
  });
}

test("a HEAD request is charged nothing: its response has no body to carry usage", async () => {
  const h = await host();
  assert.equal(answer(h, "200", "HEAD").status, 200);
  assert.equal(usedBy(h, "per_user", "alice"), 0);
  assert.equal(h.metric("tokenlimit.tokens_charged") ?? 0, 0);
  assert.equal(h.metric("tokenlimit.fallback_charges") ?? 0, 0);
});

for (const status of ["204", "304", "301", "302", "307", "308", "103"]) {
  test(`a ${status} response without usage is charged nothing`, async () => {
    const h = await host();
    assert.equal(answer(h, status).status, Number(status));
    assert.equal(usedBy(h, "per_user", "alice"), 0);
    assert.equal(h.metric("tokenlimit.fallback_charges") ?? 0, 0);
    assert.equal(h.metric("tokenlimit.usage_missing") ?? 0, 0);
  });
}

test("a 200 response without usage is still charged the fallback (the reservation)", async () => {
  const h = await host();
  assert.equal(answer(h, "200").status, 200);
  assert.equal(usedBy(h, "per_user", "alice"), 500 + HELLO_INPUT);
  assert.equal(h.metric("tokenlimit.fallback_charges"), 1);
});

test("a 101 upgrade is charged usage.upgradeTokens (32000 by default) and counted in upgrades_charged", async () => {
  const h = await host();
  answer(h, "101");
  assert.equal(usedBy(h, "per_user", "alice"), 32000);
  assert.equal(h.metric("tokenlimit.upgrades_charged"), 1);
  assert.equal(h.metric("tokenlimit.fallback_charges") ?? 0, 0);
});

test("a 101 upgrade is charged the configured usage.upgradeTokens, whatever passes after it", async () => {
  const h = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: { ...POLICY, usage: { upgradeTokens: 7500 } }, now: NINE_AM, trace: false });
  h.exchange({
    request: { headers: { ...chatHeaders("alice", []), ":method": "GET", upgrade: "websocket", connection: "upgrade" } },
    response: { headers: { ":status": "101", upgrade: "websocket" }, body: '\x81\x7e{"type":"response.done","response":{"usage":{"total_tokens":3}}}' },
  });
  assert.equal(usedBy(h, "per_user", "alice"), 7500);
  assert.equal(h.metric("tokenlimit.upgrades_charged"), 1);
});

test("usage.upgradeTokens must be a non-negative integer: the error names the field", async () => {
  const h = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: { ...POLICY, usage: { upgradeTokens: -1 } }, now: NINE_AM, trace: false });
  assert.equal(h.accepted, false);
  assert.ok(h.logs().includes("tokenlimit: invalid configuration: usage.upgradeTokens: expected a non-negative integer, got -1"), h.logs().join("\n"));
});

// ---------------------------------------------------------------- compression

test("a limited request asks for accept-encoding: identity, with or without the client's own header (RFC 9110)", async () => {
  const h = await host();
  const extras: Array<Record<string, string>> = [{}, { "accept-encoding": "gzip, br" }, { "accept-encoding": "*" }];
  for (const extra of extras) {
    const r = h.exchange({
      request: { headers: { ...chatHeaders("alice", []), ...extra }, body: CHAT_REQUEST },
      response: { headers: { ":status": "200", "content-type": "application/json" }, body: chatResponse(100) },
    });
    assert.deepEqual(r.upstreamRequest?.headerPairs.filter(([k]) => k === "accept-encoding"), [["accept-encoding", "identity"]]);
  }
  assert.equal(usedBy(h, "per_user", "alice"), 300);
});

test("a compressed response anyway is charged from its size, not the client's reservation", async () => {
  const h = await host();
  // Words in a seeded random order compress about as well as prose does (3 to 4 times).
  const words = ["the", "model", "answered", "with", "a", "long", "story", "about", "tokens", "budgets", "and", "limits", "that", "never", "hold"];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  const content = Array.from({ length: 40000 }, () => words[next() % words.length]).join(" ");
  const story = JSON.stringify({ choices: [{ message: { content } }] });
  const gz = gzipSync(Buffer.from(story));
  h.exchange({
    request: { headers: chatHeaders("alice", []), body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "Hi" }], max_tokens: 1 }) },
    response: { headers: { ":status": "200", "content-type": "application/json", "content-encoding": "gzip" }, body: gz, chunkSize: 512 },
  });
  const charged = usedBy(h, "per_user", "alice");
  console.log(`compressed-response: charged ${charged} tokens for ${gz.length} compressed bytes (${story.length} uncompressed; max_tokens 1; 1 before the rule)`);
  assert.ok(charged >= Math.ceil(gz.length / 4) && charged <= Math.ceil(gz.length / 4) + 30, `charged ${charged}`);
  assert.equal(h.metric("tokenlimit.usage_unreadable"), 1);
  assert.equal(h.metric("tokenlimit.fallback_charges"), 1);
});
