// Driving a stream part by part as a proxy does (host.newStream's `forward` sink,
// `keepBodies`, `resetUpstream`, `clock.nextDueIn`), with the real filter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Host, type StreamSink } from "../../host-test/index.ts";
import { EXAMPLE_POLICY, CHAT_REQUEST, chatHeaders, chatResponse } from "../../fixtures/llm.ts";

const WASM = "build/tokenlimit.wasm";

function recorder(): { events: string[]; sink: StreamSink } {
  const events: string[] = [];
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const sink: StreamSink = {
    upstreamHeaders: (h, eos) => events.push(`up headers ${h.find(([k]) => k === ":path")?.[1]}${eos ? " end" : ""}`),
    upstreamData: (c, eos) => events.push(`up data ${c.length}${eos ? " end" : ""}`),
    upstreamTrailers: () => events.push("up trailers"),
    upstreamReset: () => events.push("up reset"),
    downstreamHeaders: (h, eos) => events.push(`down headers ${h.find(([k]) => k === ":status")?.[1]} remaining=${h.find(([k]) => k === "x-ratelimit-remaining-tokens")?.[1]}${eos ? " end" : ""}`),
    downstreamData: (c, eos) => events.push(`down data ${text(c).slice(0, 12)}${eos ? " end" : ""}`),
    downstreamTrailers: () => events.push("down trailers"),
    downstreamReset: () => events.push("down reset"),
    completed: () => events.push("completed"),
  };
  return { events, sink };
}

test("a forward sink hears each part when the filter lets it through: the request body only once the filter has read it", async () => {
  const host = await Host.create({ wasm: WASM, pluginConfig: EXAMPLE_POLICY, now: Date.UTC(2026, 10, 29, 12) });
  const { events, sink } = recorder();
  const s = host.newStream({ forward: sink, keepBodies: false });
  s.sendRequestHeaders(chatHeaders("alice", ["free"]));
  assert.equal(s.sendRequestBody(CHAT_REQUEST.slice(0, 10)), "StopIterationAndBuffer");
  assert.deepEqual(events, ["up headers /v1/chat/completions"], "the filter holds the body to read max_tokens");
  s.sendRequestBody(CHAT_REQUEST.slice(10), true);
  assert.deepEqual(events, ["up headers /v1/chat/completions", `up data ${CHAT_REQUEST.length} end`]);
  const body = chatResponse(100);
  s.sendResponseHeaders({ ":status": "200", "content-type": "application/json" });
  s.sendResponseBody(body.slice(0, 20));
  s.sendResponseBody(body.slice(20), true);
  assert.deepEqual(events.slice(2), [
    // 20,000 less the reservation: the default 1000 and the prompt's 3 ("user", "Hello!").
    "down headers 200 remaining=18997",
    `down data ${body.slice(0, 12)}`,
    `down data ${body.slice(20, 32)} end`,
    "completed",
  ]);
  assert.equal(s.downstreamResponse?.body, "", "keepBodies: false keeps no bytes");
  assert.equal(s.downstreamResponse?.status, 200);
  assert.equal(host.metric("tokenlimit.tokens_charged"), 100);
});

test("a limited request: the sink hears the local 429 and never an upstream part", async () => {
  const host = await Host.create({ wasm: WASM, pluginConfig: { limits: { l: { rates: [{ limit: 1, window: "1m" }] } } } });
  host.exchange({ request: { headers: chatHeaders("bob", []), body: "{}" }, response: { headers: { ":status": "200" }, body: chatResponse(50) } });
  const { events, sink } = recorder();
  const s = host.newStream({ forward: sink });
  s.sendRequestHeaders(chatHeaders("bob", []), true);
  assert.equal(events[0], "down headers 429 remaining=0");
  assert.match(events[1], /^down data \{"error":\{"m end$/);
  assert.equal(events[2], "completed");
  assert.equal(events.length, 3);
});

test("resetUpstream: before response headers the router's 503; after them a reset on both sides", async () => {
  const host = await Host.create({ wasm: WASM, pluginConfig: EXAMPLE_POLICY });
  const a = recorder();
  const s = host.newStream({ forward: a.sink });
  s.sendRequestHeaders({ ":method": "GET", ":path": "/healthz", ":authority": "x" }, true);
  s.resetUpstream("connection failure");
  assert.equal(s.localResponse?.status, 503);
  assert.equal(s.localResponse?.body, "upstream connect error or disconnect/reset before headers. reset reason: connection failure");
  assert.deepEqual(a.events.slice(1, 3), ["up reset", "down headers 503 remaining=undefined"]);

  const b = recorder();
  const t = host.newStream({ forward: b.sink });
  t.sendRequestHeaders({ ":method": "GET", ":path": "/healthz", ":authority": "x" }, true);
  t.sendResponseHeaders({ ":status": "200" });
  t.resetUpstream();
  assert.equal(t.isReset, true);
  assert.deepEqual(b.events, ["up headers /healthz end", "down headers 200 remaining=undefined", "up reset", "down reset", "completed"]);
});

test("a client reset tells the sink to reset the upstream, though the request had ended", async () => {
  const host = await Host.create({ wasm: WASM, pluginConfig: EXAMPLE_POLICY });
  const { events, sink } = recorder();
  const s = host.newStream({ forward: sink });
  s.sendRequestHeaders({ ":method": "GET", ":path": "/x", ":authority": "x" }, true);
  s.reset();
  assert.deepEqual(events, ["up headers /x end", "down reset", "up reset", "completed"]);
  assert.equal(s.upstreamRequest?.reset, false, "the request itself had ended");
});

test("clock.nextDueIn says when the next task falls due; keepRecords: false keeps no logs but onLog hears them", async () => {
  const host = await Host.create({ wasm: WASM, pluginConfig: EXAMPLE_POLICY });
  assert.equal(host.clock.nextDueIn(), 1000, "the filter's 1 s tick (it writes failed settlements again)");
  const ticking = await Host.create({ wasm: "build/modules/as_calls.wasm", pluginConfig: "tick" });
  assert.equal(ticking.clock.nextDueIn(), 1000, "a 1 s tick period");
  ticking.clock.advance(1000);
  assert.equal(ticking.metric("as.ticks"), 1);
  assert.equal(ticking.clock.nextDueIn(), 1000);
  const logs: string[] = [];
  const quiet = await Host.create({ wasm: WASM, pluginConfig: EXAMPLE_POLICY, keepRecords: false, onLog: (e) => logs.push(e.message) });
  assert.deepEqual(quiet.logs(), [], "keepRecords: false keeps no logs");
  assert.ok(logs.some((l) => l.includes("configured 2 limit(s)")), "onLog hears them");
});
