// Loading: the ABI marker, the exact import set Envoy registers per ABI version (with wasm
// types), export signatures and malloc — each refusal with Envoy's message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Host, WasmLoadError } from "../../host-test/index.ts";
import { hostInternals, readModuleShape, formatFuncType, providedImports } from "../../host-test/internal.ts";
import { wat, watToWasm, BUILD_DIR } from "./helpers.ts";

/** A minimal valid 0.2.1 module with extra text spliced in. */
function mod(extra: string, opts: { marker?: string | null; malloc?: boolean; memory?: boolean } = {}): string {
  const marker = opts.marker === undefined ? "proxy_abi_version_0_2_1" : opts.marker;
  return `(module ${extra}
    ${opts.memory === false ? "" : '(memory (export "memory") 1)'}
    ${marker ? `(func (export "${marker}"))` : ""}
    ${opts.malloc === false ? "" : '(func (export "malloc") (param i32) (result i32) (i32.const 1024))'})`;
}

async function refusal(text: string): Promise<string> {
  try {
    await Host.create({ wasm: await watToWasm(text) });
  } catch (e) {
    assert.ok(e instanceof WasmLoadError, `expected WasmLoadError, got ${e}`);
    return e.message;
  }
  assert.fail("module was accepted");
}

test("a module without an ABI marker is refused", async () => {
  assert.equal(await refusal(mod("", { marker: null })), "Missing or unknown Proxy-Wasm ABI version");
});

test("an ABI marker exported as a global does not count", async () => {
  const text = mod('(global (export "proxy_abi_version_0_2_1") i32 (i32.const 0))', { marker: null });
  assert.equal(await refusal(text), "Missing or unknown Proxy-Wasm ABI version");
});

test("an ABI 0.1.0 module is refused (this host runs 0.2.x only)", async () => {
  assert.match(await refusal(mod("", { marker: "proxy_abi_version_0_1_0" })), /ABI 0\.1\.0 is not supported/);
});

test("the first ABI marker wins, as BytecodeUtil::getAbiVersion reads them", async () => {
  const host = await Host.create({ wasm: await watToWasm(mod('(func (export "proxy_abi_version_0_2_0"))')) });
  assert.equal(host.abiVersion, "0.2.0");
});

for (const name of ["proxy_get_configuration", "proxy_continue_request", "proxy_continue_response", "proxy_clear_route_cache"]) {
  test(`the 0.1.0-only import ${name} refuses a 0.2.1 module`, async () => {
    const params = name === "proxy_get_configuration" ? "(param i32 i32)" : "";
    const text = mod(`(import "env" "${name}" (func ${params} (result i32)))`);
    assert.equal(await refusal(text), `Failed to load Wasm module due to a missing import: env.${name}`);
  });
}

test("proxy_get_log_level is refused for an ABI 0.2.0 module and accepted for 0.2.1", async () => {
  const imp = '(import "env" "proxy_get_log_level" (func (param i32) (result i32)))';
  assert.equal(await refusal(mod(imp, { marker: "proxy_abi_version_0_2_0" })), "Failed to load Wasm module due to a missing import: env.proxy_get_log_level");
  const host = await Host.create({ wasm: await watToWasm(mod(imp)) });
  assert.equal(host.abiVersion, "0.2.1");
});

test("an unknown env import is refused, naming it", async () => {
  const text = mod('(import "env" "proxy_make_coffee" (func (param i32) (result i32)))');
  assert.equal(await refusal(text), "Failed to load Wasm module due to a missing import: env.proxy_make_coffee");
});

test("an import from an unknown module is refused (AssemblyScript's env.abort included)", async () => {
  assert.equal(await refusal(mod('(import "env" "abort" (func (param i32 i32 i32 i32)))')), "Failed to load Wasm module due to a missing import: env.abort");
  assert.equal(await refusal(mod('(import "wasi" "fd_write" (func (param i32 i32 i32 i32) (result i32)))')), "Failed to load Wasm module due to a missing import: wasi.fd_write");
});

test("a mistyped import is refused with both signatures", async () => {
  const text = mod('(import "env" "proxy_log" (func (param i32 i32) (result i32)))');
  assert.equal(await refusal(text), "Failed to load Wasm module due to an import type mismatch: env.proxy_log, want: i32 i32 -> i32, but host exports: i32 i32 i32 -> i32");
});

test("i64 vs i32 matters: proxy_increment_metric takes an i64 offset", async () => {
  const text = mod('(import "env" "proxy_increment_metric" (func (param i32 i32) (result i32)))');
  assert.match(await refusal(text), /type mismatch: env\.proxy_increment_metric, want: i32 i32 -> i32, but host exports: i32 i64 -> i32/);
});

test("the SDK's 10-parameter (ABI 0.1) proxy_grpc_call is refused", async () => {
  const text = mod(`(import "env" "proxy_grpc_call" (func (param ${"i32 ".repeat(10)}) (result i32)))`);
  assert.match(await refusal(text), /type mismatch: env\.proxy_grpc_call/);
});

test("a void result where Envoy returns i32 is a mismatch", async () => {
  const text = mod('(import "env" "proxy_done" (func))');
  assert.equal(await refusal(text), "Failed to load Wasm module due to an import type mismatch: env.proxy_done, want: void -> void, but host exports: void -> i32");
});

test("WASI is provided under wasi_snapshot_preview1 and wasi_unstable", async () => {
  const text = mod(`
    (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
    (import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
    (import "wasi_unstable" "proc_exit" (func (param i32)))
    (import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))`);
  const host = await Host.create({ wasm: await watToWasm(text) });
  assert.deepEqual(host.imports.map((i) => i.name), ["wasi_snapshot_preview1.fd_write", "wasi_unstable.fd_write", "wasi_unstable.proc_exit", "wasi_snapshot_preview1.clock_time_get"]);
});

test("WASI functions only the newest Envoy provides are refused (stricter than Envoy)", async () => {
  const text = mod('(import "wasi_snapshot_preview1" "fd_advise" (func (param i32 i64 i64 i32) (result i32)))');
  assert.equal(await refusal(text), "Failed to load Wasm module due to a missing import: wasi_snapshot_preview1.fd_advise");
});

test("an imported global is refused", async () => {
  assert.equal(await refusal(mod('(import "env" "g" (global i32))')), "Failed to load Wasm module due to a missing import: env.g");
});

test("an export the host calls must have Envoy's signature", async () => {
  const text = mod('(func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0))');
  assert.equal(await refusal(text), "Bad function signature for: proxy_on_request_headers, want: i32 i32 i32 -> i32, but the module exports: i32 i32 -> i32");
});

test("proxy_on_done must return i32; proxy_on_log must return nothing", async () => {
  assert.match(await refusal(mod('(func (export "proxy_on_done") (param i32))')), /Bad function signature for: proxy_on_done, want: i32 -> i32/);
  assert.match(await refusal(mod('(func (export "proxy_on_log") (param i32) (result i32) (i32.const 0))')), /Bad function signature for: proxy_on_log, want: i32 -> void/);
});

test("a module without malloc is refused; proxy_on_memory_allocate is the fallback", async () => {
  assert.equal(await refusal(mod("", { malloc: false })), "Wasm module is missing malloc function.");
  const ok = mod('(func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))', { malloc: false });
  const host = await Host.create({ wasm: await watToWasm(ok) });
  assert.equal(hostInternals(host).module.allocator, "proxy_on_memory_allocate");
});

test("a module without memory is refused", async () => {
  assert.equal(await refusal(mod("", { memory: false })), "Wasm module has no memory");
});

test("an imported memory is accepted and used", async () => {
  const text = `(module (import "env" "memory" (memory 1))
    (func (export "proxy_abi_version_0_2_1"))
    (func (export "malloc") (param i32) (result i32) (i32.const 1024)))`;
  const host = await Host.create({ wasm: await watToWasm(text) });
  assert.equal(host.memoryBytes(), 65536);
});

test("a corrupted binary is refused", async () => {
  await assert.rejects(Host.create({ wasm: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, 50]) }), /Failed to parse corrupted Wasm module/);
  await assert.rejects(Host.create({ wasm: new Uint8Array([1, 2, 3]) }), /Failed to parse corrupted Wasm module/);
});

test("the probe module imports every 0.2.1 hostcall and loads", async () => {
  const host = await Host.create({ wasm: await wat("probe") });
  const env = host.imports.filter((i) => i.name.startsWith("env.")).length;
  assert.equal(env, 39);
  assert.equal(host.configureResult[0], true);
});

test("every import of the release build is exactly one Envoy provides for ABI 0.2.1 (module, name and signature)", async () => {
  const path = join(BUILD_DIR, "tokenlimit.wasm");
  assert.ok(existsSync(path), "run node scripts/build.mjs first");
  const shape = readModuleShape(new Uint8Array(readFileSync(path)));
  assert.ok(shape.exports.some((e) => e.name === "proxy_abi_version_0_2_1" && e.kind === "function"), "ABI 0.2.1 marker");
  const provided = providedImports("0.2.1");
  const seen = new Set<string>();
  for (const i of shape.imports) {
    const key = `${i.module}.${i.name}`;
    assert.equal(i.kind, "function", `${key} must be a function import`);
    assert.ok(!seen.has(key), `${key} imported twice`);
    seen.add(key);
    assert.ok(provided.has(key), `${key} is not provided by Envoy for ABI 0.2.1`);
    assert.equal(formatFuncType(i.type!), formatFuncType(provided.get(key)!), `${key} signature`);
    // The filter binds WASI under its current name only, and never AssemblyScript's env.abort.
    assert.ok(i.module === "env" || i.module === "wasi_snapshot_preview1", `${key}: unexpected module`);
  }
  assert.ok(seen.has("env.proxy_log") && seen.has("wasi_snapshot_preview1.proc_exit"));
  // And Envoy's own loader accepts it.
  const host = await Host.create({ wasm: path, pluginConfig: "{}" });
  assert.equal(host.abiVersion, "0.2.1");
  assert.deepEqual(host.traps, []);
});

test("the release build imports exactly the hostcalls the filter uses, with Envoy's signatures", () => {
  const shape = readModuleShape(new Uint8Array(readFileSync(join(BUILD_DIR, "tokenlimit.wasm"))));
  const got = shape.imports.map((i) => `${i.module}.${i.name} ${formatFuncType(i.type!)}`).sort();
  assert.deepEqual(got, [
    "env.proxy_add_header_map_value i32 i32 i32 i32 i32 -> i32",
    "env.proxy_continue_stream i32 -> i32",
    "env.proxy_define_metric i32 i32 i32 i32 -> i32",
    "env.proxy_get_buffer_bytes i32 i32 i32 i32 i32 -> i32",
    "env.proxy_get_buffer_status i32 i32 i32 -> i32",
    "env.proxy_get_current_time_nanoseconds i32 -> i32",
    "env.proxy_get_header_map_pairs i32 i32 i32 -> i32",
    "env.proxy_get_header_map_value i32 i32 i32 i32 i32 -> i32",
    "env.proxy_get_log_level i32 -> i32",
    "env.proxy_get_property i32 i32 i32 i32 -> i32",
    "env.proxy_get_shared_data i32 i32 i32 i32 i32 -> i32",
    "env.proxy_get_status i32 i32 i32 -> i32",
    "env.proxy_grpc_call i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 -> i32",
    "env.proxy_grpc_cancel i32 -> i32",
    "env.proxy_http_call i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 -> i32",
    "env.proxy_increment_metric i32 i64 -> i32",
    "env.proxy_log i32 i32 i32 -> i32",
    "env.proxy_record_metric i32 i64 -> i32",
    "env.proxy_remove_header_map_value i32 i32 i32 -> i32",
    "env.proxy_replace_header_map_value i32 i32 i32 i32 i32 -> i32",
    "env.proxy_send_local_response i32 i32 i32 i32 i32 i32 i32 i32 -> i32",
    "env.proxy_set_buffer_bytes i32 i32 i32 i32 i32 -> i32",
    "env.proxy_set_effective_context i32 -> i32",
    "env.proxy_set_property i32 i32 i32 i32 -> i32",
    "env.proxy_set_shared_data i32 i32 i32 i32 i32 -> i32",
    "env.proxy_set_tick_period_milliseconds i32 -> i32",
    "wasi_snapshot_preview1.proc_exit i32 -> void",
  ]);
});
