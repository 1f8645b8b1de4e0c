// The narrow interface between the limiter and where counters live. Statuses are
// WasmResult codes with Envoy's shared-data semantics, so the real store is a thin wrapper.
import { WasmResult } from "../abi/status";

/** A read's result; reused by the caller across reads (a read may overwrite `value`). */
export class StoredRead {
  value: ArrayBuffer = new ArrayBuffer(0);
  /** Version to pass to `compareAndSwap`; 0 when the key is absent. */
  cas: u32 = 0;
}

/**
 * The key whose writes hand out the versions `createIfAbsent` uses. It has no '|', so no
 * counter key (always `<prefix>|...`) can be it.
 */
export const CAS_MARK_KEY: ArrayBuffer = String.UTF8.encode("tokenlimit cas mark");
const EMPTY = new ArrayBuffer(0);

/** A key/value store with compare-and-swap, shared by every worker of a proxy. */
export abstract class CounterStore {
  private markRead: StoredRead = new StoredRead();

  /**
   * Reads `key` into `out`. Returns WasmResult.Ok (value and cas filled),
   * WasmResult.NotFound (out.cas = 0), or another code when the store failed.
   */
  abstract read(key: ArrayBuffer, out: StoredRead): i32;

  /**
   * Writes `value` under `key` if the key's version still equals `cas`. `cas` 0 writes
   * unconditionally. A missing key is created whatever the cas (Envoy's rule). Returns
   * WasmResult.Ok, WasmResult.CasMismatch when another writer came first, or another code
   * when the store failed. The store copies `value`.
   */
  abstract compareAndSwap(key: ArrayBuffer, value: ArrayBuffer, cas: u32): i32;

  /**
   * Creates `key` with `value` unless some writer created it since it was read missing:
   * Ok, CasMismatch (read it again and update it), or another code when the store failed.
   *
   * Envoy has no create-if-absent, and a write with cas 0 overwrites whatever another
   * worker created meanwhile (two first charges of 100 and 200 stored as 100). But a write
   * with a non-zero cas creates a missing key and refuses an existing one whose version
   * differs, and every write takes the next version of one proxy-wide sequence. So the
   * version just given to a marker key belongs to no other entry: with it, the write
   * creates the key or fails, never overwrites. (Only 2^32 writes between the marker's
   * write and this one could hand that version to another entry.) Two more store calls,
   * once per counter key created.
   */
  createIfAbsent(key: ArrayBuffer, value: ArrayBuffer): i32 {
    const marked = this.compareAndSwap(CAS_MARK_KEY, EMPTY, 0);
    if (marked != WasmResult.Ok) return marked;
    const read = this.read(CAS_MARK_KEY, this.markRead);
    if (read != WasmResult.Ok) return read == WasmResult.NotFound ? WasmResult.InternalFailure : read;
    const cas = this.markRead.cas;
    if (cas == 0) return WasmResult.InternalFailure;
    return this.compareAndSwap(key, value, cas);
  }
}

export { WasmResult };
