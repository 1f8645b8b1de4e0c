// Memory per stream does not grow with the stream: a 10 MB response fed in 1 KB chunks
// (copied into the module one chunk at a time, as Envoy hands them over) ends with the
// same Wasm memory as a 1 KB one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageModule, bytes } from "./module.ts";
import { chatStreamPayloads, sseOf, chatCompletionBody } from "./bodies.ts";

const CHUNK = 1024;

// Feeds `data` in CHUNK-byte pieces through one scratch buffer; memory bytes at the end.
function streamThrough(m: UsageModule, data: Uint8Array, contentType: string): { bytes: number; total: number } {
  m.begin({ preset: "openai", contentType });
  const ptr = m.write(new Uint8Array(0), 0, CHUNK);
  for (let off = 0; off < data.length; off += CHUNK) {
    const piece = data.subarray(off, Math.min(off + CHUNK, data.length));
    new Uint8Array(m.ex.memory.buffer, ptr, piece.length).set(piece);
    m.feed(ptr, piece.length);
  }
  const r = m.finish();
  return { bytes: m.memoryBytes, total: r.total };
}

// A 10 MB stream: the same events repeated, then the usage chunk.
function bigStream(): Uint8Array {
  const payloads = chatStreamPayloads(64 * 1024);
  const body = payloads.slice(0, -1).map((p) => "data: " + p + "\n\n").join("");
  const tail = "data: " + payloads[payloads.length - 1] + "\n\ndata: [DONE]\n\n";
  return bytes(body.repeat(Math.ceil((10 << 20) / body.length)) + tail);
}

test("a 10 MB event stream needs no more memory than a 1 KB one", () => {
  const small = bytes(sseOf(chatStreamPayloads(1024)));
  const big = bigStream();
  assert.ok(big.length >= 10 << 20);
  const a = streamThrough(new UsageModule(), small, "text/event-stream");
  const b = streamThrough(new UsageModule(), big, "text/event-stream");
  assert.ok(a.total > 0 && b.total > 0);
  assert.equal(b.bytes, a.bytes);
});

test("a 10 MB JSON body needs no more memory than a 1 KB one", () => {
  const a = streamThrough(new UsageModule(), bytes(chatCompletionBody(1024)), "application/json");
  const b = streamThrough(new UsageModule(), bytes(chatCompletionBody(10 << 20)), "application/json");
  assert.equal(a.total, 263261);
  assert.equal(b.total, 263261);
  assert.equal(b.bytes, a.bytes);
});

test("many responses through one reader do not grow memory", () => {
  const m = new UsageModule();
  const body = bytes(sseOf(chatStreamPayloads(4096)));
  streamThrough(m, body, "text/event-stream");
  const first = m.memoryBytes;
  for (let i = 0; i < 300; i++) streamThrough(m, body, "text/event-stream");
  assert.equal(m.memoryBytes, first);
});
