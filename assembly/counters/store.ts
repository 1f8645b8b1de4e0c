// The narrow interface between the limiter and where counters live. Statuses are
// WasmResult codes with Envoy's shared-data semantics, so the real store is a thin wrapper.
import { WasmResult } from "../abi/status";

/** A read's result; reused by the caller across reads (a read may overwrite `value`). */
export class StoredRead {
  value: ArrayBuffer = new ArrayBuffer(0);
  /** Version to pass to `compareAndSwap`; 0 when the key is absent. */
  cas: u32 = 0;
}

/** A key/value store with compare-and-swap, shared by every worker of a proxy. */
export abstract class CounterStore {
  /**
   * Reads `key` into `out`. Returns WasmResult.Ok (value and cas filled),
   * WasmResult.NotFound (out.cas = 0), or another code when the store failed.
   */
  abstract read(key: ArrayBuffer, out: StoredRead): i32;

  /**
   * Writes `value` under `key` if the key's version still equals `cas`. `cas` 0 writes
   * unconditionally (also the only way to create a key: Envoy has no create-if-absent).
   * Returns WasmResult.Ok, WasmResult.CasMismatch when another writer came first, or
   * another code when the store failed. The store copies `value`.
   */
  abstract compareAndSwap(key: ArrayBuffer, value: ArrayBuffer, cas: u32): i32;
}

export { WasmResult };
