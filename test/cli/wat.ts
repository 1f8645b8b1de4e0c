// Tiny Proxy-Wasm modules for the CLI tests, written in WAT: each echoes the plugin
// configuration it receives to the proxy log and accepts or rejects it, so a test sees
// both what the host delivered and how the answer is reported.
import wabt from "wabt";

export interface EchoModule {
  /** Log level of the echoed configuration (0 trace .. 5 critical). */
  level: number;
  /** What proxy_on_configure returns. */
  accept: boolean;
  /** Trap in proxy_on_configure instead of returning. */
  trap?: boolean;
  /** Leave out the proxy_abi_version_0_2_1 export. */
  noAbiExport?: boolean;
}

/** Compiles an echo module to Wasm bytes. */
export async function echoModule(m: EchoModule): Promise<Uint8Array> {
  const wat = `(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $buf (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $n)))
    (local.get $p))
  ${m.noAbiExport ? "" : '(func (export "proxy_abi_version_0_2_1"))'}
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
    ;; PluginConfiguration (7): the host writes the copy's address at 0 and its size at 4.
    (drop (call $buf (i32.const 7) (i32.const 0) (local.get $size) (i32.const 0) (i32.const 4)))
    (drop (call $log (i32.const ${m.level}) (i32.load (i32.const 0)) (i32.load (i32.const 4))))
    ${m.trap ? "unreachable" : `(i32.const ${m.accept ? 1 : 0})`}))`;
  const module = (await wabt()).parseWat("echo.wat", wat);
  return module.toBinary({}).buffer;
}
