// The SDK imports `proc_exit` from the pre-snapshot WASI module name. Envoy offers
// both names; we bind the current one.

/** Asks the host to end the VM. Envoy logs it and does not trap. */
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "proc_exit")
export declare function proc_exit(code: u32): void;
