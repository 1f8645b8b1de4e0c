// The SDK as shipped (@solo-io/proxy-runtime 0.1.8) against an Envoy-faithful host, next to
// the project's filter. The SDK module loads (its imports happen to be valid), but:
// - its RootContext.onConfigure passes the configuration *size* where the pointer for the
//   returned size belongs: with an empty configuration the host writes to address 0 and the
//   SDK then reads garbage and traps; with any other size the host writes the size into
//   guest memory at address <size>, corrupting whatever lives there;
// - its ensureRootContext throws (abort -> trap) unless root_id matches a registered name,
//   while Istio sets root_id to the WasmPlugin's pluginName, often empty.
// build/tokenlimit.wasm uses assembly/abi and assembly/filter instead: it never traps here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Host } from "../../host-test/index.ts";
import { builtModule, BUILD_DIR, vmOf } from "./helpers.ts";

const SDK = builtModule("sdk_root");
const FILTER = join(BUILD_DIR, "tokenlimit.wasm");

/** A large (about 200 KB) TokenRateLimitPolicy spec. */
const BIG = JSON.stringify({
  limits: Object.fromEntries(Array.from({ length: 3800 }, (_, i) => [`limit-${i}`, { rates: [{ limit: 1000 + i, window: "1m" }] }])),
});

test("the SDK module is built and loads (its imports are all Envoy-provided)", async () => {
  assert.ok(existsSync(SDK), "run node scripts/build.mjs first");
  const host = await Host.create({ wasm: SDK, rootId: "tokenlimit", pluginConfig: "{}" });
  assert.equal(host.abiVersion, "0.2.0");
  assert.deepEqual(host.imports.map((i) => i.name), [
    "env.proxy_log", "wasi_snapshot_preview1.proc_exit", "env.proxy_get_buffer_bytes", "env.proxy_get_property", "env.proxy_set_effective_context",
  ]);
});

test("SDK: onConfigure traps with an empty configuration (Envoy rejects the plugin)", async () => {
  const host = await Host.create({ wasm: SDK, rootId: "tokenlimit", pluginConfig: "" });
  assert.equal(host.accepted, false);
  assert.equal(host.traps[0].function, "proxy_on_configure");
  assert.match(host.traps[0].message, /^Function: proxy_on_configure failed: Uncaught RuntimeError: /);
  assert.match(host.rejection!, /^Failed to configure base Wasm plugin/);
});

test("SDK: onConfigure writes the configuration size into guest memory at address <size>", async () => {
  for (const config of ["x".repeat(300), BIG]) {
    const host = await Host.create({ wasm: SDK, rootId: "tokenlimit", pluginConfig: config });
    assert.equal(host.accepted, true);
    assert.equal(vmOf(host, 0).memory.getU32(config.length), config.length, `the u32 at address ${config.length}`);
  }
});

for (const rootId of ["", "other"]) {
  test(`SDK: ensureRootContext traps when root_id is ${JSON.stringify(rootId)}`, async () => {
    const host = await Host.create({ wasm: SDK, rootId, pluginConfig: "{}" });
    assert.equal(host.accepted, false);
    assert.deepEqual(host.traps.map((t) => t.function), ["proxy_on_context_create", "proxy_on_vm_start"]);
    assert.equal(host.logEntries.find((l) => l.level === "critical")!.message, `Missing root context factory for root id: ${rootId} at: ~lib/@solo-io/proxy-runtime/assembly/runtime.ts(991:5)`);
  });
}

for (const rootId of ["", "tokenlimit", "anything"]) {
  test(`tokenlimit.wasm starts and configures under root_id ${JSON.stringify(rootId)}, with a 200 KB configuration and with an empty one, without trapping`, async () => {
    assert.ok(existsSync(FILTER), "run node scripts/build.mjs first");
    const big = await Host.create({ wasm: FILTER, rootId, pluginConfig: BIG, workers: 2 });
    assert.ok(BIG.length > 200_000);
    assert.deepEqual(big.traps, []);
    assert.equal(big.accepted, true);
    assert.deepEqual(big.configureResult, [true, true]);
    const empty = await Host.create({ wasm: FILTER, rootId, pluginConfig: "" });
    assert.deepEqual(empty.traps, []);
    // No configuration starts the filter with no limits, and says so.
    assert.equal(empty.accepted, true);
    assert.ok(empty.logs("warn").some((l) => /no plugin configuration/.test(l)), empty.logs().join("\n"));
  });
}
