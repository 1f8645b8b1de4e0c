// An in-memory CounterStore with Envoy's shared-data semantics, for unit tests and for
// simulating several worker VMs: a WriteHook can run another writer just before a given
// compare-and-swap, which then loses exactly as it would in a proxy.
import { CounterStore, StoredRead, WasmResult } from "./store";

class MemoryEntry {
  constructor(public value: ArrayBuffer, public cas: u32) {}
}

/** Runs before a compare-and-swap (not re-entered while running). */
export abstract class WriteHook {
  /**
   * `writeIndex` counts, from 1, the compareAndSwap calls made outside a hook, including
   * this one (writes the hook itself makes are not hooked and not counted here).
   */
  abstract beforeWrite(store: MemoryCounters, key: ArrayBuffer, writeIndex: i32): void;
}

/** A key as a map key: one char per byte, so distinct byte strings stay distinct. */
function mapKey(key: ArrayBuffer): string {
  const n = key.byteLength;
  const codes = new Array<i32>(n);
  const p = changetype<usize>(key);
  for (let i = 0; i < n; i++) unchecked(codes[i] = <i32>load<u8>(p + <usize>i));
  return String.fromCharCodes(codes);
}

/** CounterStore in a Map. Copies values in and out, bumps a global cas on every write. */
export class MemoryCounters extends CounterStore {
  private entries: Map<string, MemoryEntry> = new Map();
  private nextCas: u32 = 1;
  private inHook: bool = false;
  /** compareAndSwap calls so far, including those made from a hook. */
  writes: i32 = 0;
  /** compareAndSwap calls made outside a hook (the index passed to the hook). */
  outerWrites: i32 = 0;
  /** read calls so far. */
  reads: i32 = 0;
  /** compareAndSwap calls that returned CasMismatch. */
  mismatches: i32 = 0;
  hook: WriteHook | null = null;
  /** When set, every read answers this status (e.g. InternalFailure) instead of the value. */
  readFailure: i32 = WasmResult.Ok;
  /** When set, every compareAndSwap answers this status without writing. */
  writeFailure: i32 = WasmResult.Ok;

  read(key: ArrayBuffer, out: StoredRead): i32 {
    this.reads++;
    out.value = new ArrayBuffer(0);
    out.cas = 0;
    if (this.readFailure != WasmResult.Ok) return this.readFailure;
    const k = mapKey(key);
    if (!this.entries.has(k)) return WasmResult.NotFound;
    const e = this.entries.get(k);
    out.value = e.value.slice(0);
    out.cas = e.cas;
    return WasmResult.Ok;
  }

  compareAndSwap(key: ArrayBuffer, value: ArrayBuffer, cas: u32): i32 {
    this.writes++;
    const hook = this.hook;
    if (!this.inHook) this.outerWrites++;
    if (hook != null && !this.inHook) {
      this.inHook = true;
      hook.beforeWrite(this, key, this.outerWrites);
      this.inHook = false;
    }
    if (this.writeFailure != WasmResult.Ok) return this.writeFailure;
    const k = mapKey(key);
    // Envoy: a cas of 0 always writes; a non-zero cas must match an existing key's version
    // (a missing key is created whatever the cas).
    if (cas != 0 && this.entries.has(k) && this.entries.get(k).cas != cas) {
      this.mismatches++;
      return WasmResult.CasMismatch;
    }
    this.put(key, value);
    return WasmResult.Ok;
  }

  /** Writes unconditionally (as another VM or a corrupting writer would). */
  put(key: ArrayBuffer, value: ArrayBuffer): void {
    const c = this.nextCas;
    this.nextCas = c == u32.MAX_VALUE ? 1 : c + 1;
    this.entries.set(mapKey(key), new MemoryEntry(value.slice(0), c));
  }

  /** The stored bytes of `key`, or null. */
  get(key: ArrayBuffer): ArrayBuffer | null {
    const k = mapKey(key);
    if (!this.entries.has(k)) return null;
    return this.entries.get(k).value.slice(0);
  }

  /** Number of keys held. */
  size(): i32 {
    return this.entries.size;
  }

  /** Bytes of every key and value held (what the proxy stores, before its own overhead). */
  bytes(): i64 {
    let n: i64 = 0;
    const keys = this.entries.keys();
    for (let i = 0; i < keys.length; i++) {
      const k = unchecked(keys[i]);
      n += <i64>k.length + <i64>this.entries.get(k).value.byteLength;
    }
    return n;
  }
}
