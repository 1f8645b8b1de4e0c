// Throughput sanity checks, as ratios measured side by side (never absolute times). The
// margins are wide: the benchmark reports the actual ratios.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageModule, bytes } from "./module.ts";
import { chatCompletionBody, chatStreamPayloads, sseOf } from "./bodies.ts";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

test("scanning a 1 MB chat completion is faster than JSON.parse of it", () => {
  const m = new UsageModule();
  const text = chatCompletionBody(1 << 20);
  const data = bytes(text);
  const ptr = m.write(data);
  const ours: number[] = [];
  const v8: number[] = [];
  let sink = 0;
  for (let round = 0; round < 7; round++) {
    let t = performance.now();
    sink += m.ex.benchJson(ptr, data.length, 4);
    ours.push(performance.now() - t);
    t = performance.now();
    for (let i = 0; i < 4; i++) sink += JSON.parse(text).usage.total_tokens;
    v8.push(performance.now() - t);
  }
  assert.equal(sink, 7 * 8 * 263261);
  const ratio = median(v8) / median(ours);
  assert.ok(ratio > 1, `only ${ratio.toFixed(2)}x JSON.parse`);
});

test("an event stream in 1 KB chunks scans at least half as fast as the same JSON in one piece", () => {
  const m = new UsageModule();
  const payloads = chatStreamPayloads(1 << 20);
  const sse = bytes(sseOf(payloads));
  const nd = bytes(payloads.join("\n") + "\n");
  const sp = m.write(sse, 0, sse.length + nd.length);
  const np = sp + sse.length;
  new Uint8Array(m.ex.memory.buffer, np, nd.length).set(nd);
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < 7; round++) {
    let t = performance.now();
    const x = m.ex.benchNdjson(np, nd.length, 3);
    a.push(performance.now() - t);
    t = performance.now();
    const y = m.ex.benchSse(sp, sse.length, 1024, 3);
    b.push(performance.now() - t);
    assert.equal(x, y);
    assert.ok(x > 0);
  }
  const ratio = median(a) / median(b);
  assert.ok(ratio > 0.5, `only ${ratio.toFixed(2)}x`);
});
