// Garbage that no code counted towards the next collection is still reclaimed: every
// eighth stream callback counts, and memory growth triggers a collection (assembly/filter/collector.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Host } from "../../host-test/index.ts";
import { builtModule, REQ } from "./helpers.ts";

test("garbage a stream never counted is still collected: 20,000 requests leaving 1 KiB each stay within 8 MiB", async () => {
  const host = await Host.create({ wasm: builtModule("uncounted_garbage"), pluginConfig: "{}", trace: false });
  for (let i = 0; i < 20000; i++) assert.equal(host.exchange({ request: { headers: REQ } }).status, 200);
  // 20 MiB were allocated in all; uncollected they would need 32 MiB of memory.
  assert.ok(host.memoryBytes(0) <= 8 * 1024 * 1024, `memory grew to ${host.memoryBytes(0)} bytes`);
  assert.deepEqual(host.traps, []);
});
