;; A root context that rejects every configuration: on_configure returns 0, so the
;; canary fails and Envoy refuses the configuration. on_vm_start returns the u32 at 2048
;; (1 unless a test changes it) and logs, so tests can count canary starts.
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "vm start")
  (data (i32.const 120) "configure")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 4096))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 100) (i32.const 8)))
    (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 120) (i32.const 9)))
    (i32.const 0)))
