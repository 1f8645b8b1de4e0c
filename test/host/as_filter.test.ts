// An AssemblyScript module built with the project's flags and ABI wrappers, driven end to
// end: local replies seen by the filter's response callbacks, header tagging, body reads
// through malloc'd buffers, metrics, access-log attributes, and memory that stays flat.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { Host } from "../../host-test/index.ts";
import { builtModule, REQ } from "./helpers.ts";

const WASM = builtModule("as_filter");

test("the AssemblyScript filter allows, tags and counts; denies /deny with a local 429", async () => {
  assert.ok(existsSync(WASM), "run node scripts/build.mjs first");
  const host = await Host.create({ wasm: WASM, pluginConfig: "{}" });
  const ok = host.exchange({ request: { headers: REQ, body: "{}" }, response: { headers: { ":status": "200" }, body: "x".repeat(1000), chunkSize: 300 } });
  assert.equal(ok.status, 200);
  assert.equal(ok.upstreamRequest!.headers["x-as"], "1");
  assert.equal(ok.headers["x-as-status"], "200");
  const denied = host.exchange({ request: { headers: { ...REQ, ":path": "/deny" } } });
  assert.equal(denied.status, 429);
  assert.equal(denied.body, "no");
  assert.equal(denied.headers["retry-after"], "3");
  assert.equal(denied.headers["x-as-status"], "429"); // its own response callback saw the local reply
  assert.equal(denied.localResponse!.details, "as_denied");
  assert.equal(denied.upstreamRequest, null);
  assert.equal(host.metric("as.requests"), 2);
  assert.deepEqual(host.logs("info"), ["response bytes 1000", "log path=/v1/chat/completions", "response bytes 1002", "log path=/deny"]);
  assert.deepEqual(host.traps, []);
});

test("the AssemblyScript filter can reject its configuration", async () => {
  const host = await Host.create({ wasm: WASM, pluginConfig: "reject" });
  assert.equal(host.accepted, false);
  assert.equal(host.rejection, "Failed to configure base Wasm plugin");
});

test("memory stays flat across many exchanges (no per-request growth)", async () => {
  const host = await Host.create({ wasm: WASM, pluginConfig: "{}", trace: false });
  const run = () => host.exchange({ request: { headers: REQ, body: "{}" }, response: { headers: { ":status": "200" }, body: "y".repeat(4096), chunkSize: 512 } });
  // Garbage is collected every 2,048 callbacks or so (assembly/filter/collector.ts): warm
  // up past the first collections, after which the heap reuses what they freed.
  for (let i = 0; i < 400; i++) run();
  const before = host.memoryBytes(0);
  for (let i = 0; i < 500; i++) run();
  assert.equal(host.memoryBytes(0), before);
});
