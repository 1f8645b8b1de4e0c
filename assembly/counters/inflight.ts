// This proxy's in-flight reservations on global counters: tokens admitted requests are
// expected to cost and have not reported yet. The service cannot hold them (its protocols
// cannot refund), so every worker of the proxy keeps them in shared data, per counter and
// window, with compare-and-swap, and subtracts them from what the service says is left.
// Values use the local counter encoding (value.ts) with `reserved` only.
import { CounterStore, StoredRead, WasmResult } from "./store";
import { CounterState, decodeCounter, encodeCounter, VALUE_SIZE } from "./value";
import { windowStart } from "../limits/window";
import { satAdd, satSub } from "../limits/saturate";

/** Retries of a write that lost to another worker. */
const MAX_RETRIES: i32 = 16;

export class InflightReservations {
  private readBuf: StoredRead = new StoredRead();
  private state: CounterState = new CounterState();
  private scratch: ArrayBuffer = new ArrayBuffer(VALUE_SIZE);

  constructor(private store: CounterStore) {}

  /** Tokens reserved on `key` in the window of `nowMs`; 0 when none or unreadable. */
  read(key: ArrayBuffer, nowMs: i64, windowMs: i64): i64 {
    if (this.store.read(key, this.readBuf) != WasmResult.Ok) return 0;
    const s = this.state;
    if (!decodeCounter(this.readBuf.value, s) || s.windowMs != windowMs || s.windowStart != windowStart(nowMs, windowMs)) return 0;
    return s.reserved;
  }

  /**
   * Adds `delta` (negative: gives back) to the reservations of `key` in the window that
   * starts at `start`; a window that is over is left alone (its reservations lapsed with
   * it). Returns false when the store failed or kept losing races.
   */
  add(key: ArrayBuffer, start: i64, windowMs: i64, delta: i64): bool {
    if (delta == 0) return true;
    const s = this.state;
    for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
      const st = this.store.read(key, this.readBuf);
      let reserved: i64 = 0;
      let cas: u32 = 0;
      if (st == WasmResult.Ok) {
        cas = this.readBuf.cas;
        if (decodeCounter(this.readBuf.value, s) && s.windowMs == windowMs) {
          // A later window: whatever was reserved in ours lapsed with it.
          if (s.windowStart > start) return true;
          if (s.windowStart == start) reserved = s.reserved;
        }
      } else if (st != WasmResult.NotFound) {
        return false;
      }
      if (delta < 0 && reserved == 0) return true;
      s.set(start, windowMs, 0, delta > 0 ? satAdd(reserved, delta) : satSub(reserved, -delta));
      const w = this.store.compareAndSwap(key, encodeCounter(s, this.scratch), cas);
      if (w == WasmResult.Ok) return true;
      if (w != WasmResult.CasMismatch) return false;
    }
    return false;
  }
}
