// Hostile input never traps the module: random bytes, random mutations of real
// transcripts, in random chunkings, through every reader mode and the request inspector.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageModule, bytes } from "./module.ts";
import { rng } from "./bodies.ts";
import * as T from "../../fixtures/transcripts.ts";

const NOISE = "{}[]\":,\\\n\r 0-e.ntfu";
const MODES = ["application/json", "text/event-stream", "application/x-ndjson", ""];

test("random and mutated bodies never trap, in any mode or chunking", () => {
  const m = new UsageModule();
  const r = rng(99);
  const seeds = T.ALL.map((t) => bytes(t.body));
  for (let i = 0; i < 2000; i++) {
    let data: Uint8Array;
    if (i % 4 === 0) {
      data = new Uint8Array(Math.floor(r() * 300));
      for (let k = 0; k < data.length; k++) data[k] = Math.floor(r() * 256);
    } else {
      data = Uint8Array.from(seeds[i % seeds.length]);
      const edits = 1 + Math.floor(r() * 8);
      for (let e = 0; e < edits; e++) data[Math.floor(r() * data.length)] = NOISE.charCodeAt(Math.floor(r() * NOISE.length));
    }
    const ct = MODES[i % MODES.length];
    const res = m.scan(data, { preset: i % 3 === 0 ? "any" : "auto", path: "/v1/chat/completions", contentType: ct, chunk: 1 + Math.floor(r() * 64) });
    assert.ok(["ok", "empty", "incomplete", "invalid", "gave-up"].includes(res.status));
    m.inspect(data);
    m.includeUsage(data);
  }
});

test("very deep nesting gives up without trapping", () => {
  const m = new UsageModule();
  const deep = "[".repeat(100000) + "]".repeat(100000);
  assert.equal(m.scan(deep, { preset: "openai", contentType: "application/json", chunk: 4096 }).status, "gave-up");
  assert.equal(m.scan("data: " + deep + "\n\n", { preset: "openai", contentType: "text/event-stream" }).status, "gave-up");
  assert.equal(m.inspect("{\"a\":" + deep + "}").valid, false);
});

test("huge numbers saturate instead of trapping", () => {
  const m = new UsageModule();
  const res = m.scan("{\"usage\":{\"total_tokens\":" + "9".repeat(100000) + "}}", { preset: "openai", contentType: "application/json", chunk: 1000 });
  assert.equal(res.status, "ok");
  assert.equal(res.total, 2 ** 63); // 2^63-1 as the nearest double
});
