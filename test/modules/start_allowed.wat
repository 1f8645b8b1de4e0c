;; _initialize uses only hostcalls Envoy allows while start functions run: proxy_log,
;; fd_write, clock_time_get, random_get, environ_sizes_get. The results are stored at
;; 2048.. so tests can check what the start window returned.
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "starting")
  (data (i32.const 120) "hello from stdout\n")
  ;; iovec at 160: {ptr 120, len 18}
  (data (i32.const 160) "\78\00\00\00\12\00\00\00")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 4096))
  (func (export "_initialize")
    (i32.store (i32.const 2048) (call $log (i32.const 2) (i32.const 100) (i32.const 8)))
    (i32.store (i32.const 2052) (call $fd_write (i32.const 1) (i32.const 160) (i32.const 1) (i32.const 2100)))
    (i32.store (i32.const 2056) (call $clock (i32.const 0) (i64.const 1) (i32.const 2112)))
    (i32.store (i32.const 2060) (call $random (i32.const 2128) (i32.const 16)))
    (i32.store (i32.const 2064) (call $env_sizes (i32.const 2144) (i32.const 2148)))))
