// This proxy's view of one global counter in cached mode, shared by its workers in shared
// data and updated with compare-and-swap. Admission is answered from it without a round
// trip; what requests cost collects in `pending` until a worker takes it (by CAS) and
// reports it; a refresh replaces `remaining` with the service's answer.
//
// Value: little-endian, 74 bytes, version 1:
//   0  u8  magic 0xC9        1 u8 version 1
//   2  i64 windowStart       10 i64 windowMs   (the aligned window the view is for)
//   18 i64 remaining         the service's last answer: tokens left (envoy-rls), or 1/0 for
//                            "one more hit fits"/"over the limit" (Limitador tells no more)
//   26 i64 fetchedMs         when `remaining` was answered (0: never)
//   34 i64 pending           settled here, not reported yet; negative: the service counted
//                            more than was owed (a refresh's hit), taken off the next report
//   42 i64 reporting         taken from `pending` and on its way to the service
//   50 i64 reserved          held by admitted requests of this proxy
//   58 i64 leaseUntilMs      a worker is syncing the counter until then
//   66 i64 syncedMs          when a worker last took the counter to sync it
import { CounterStore, StoredRead, WasmResult } from "./store";

export const VIEW_MAGIC: u8 = 0xc9;
export const VIEW_VERSION: u8 = 1;
export const VIEW_SIZE: i32 = 74;

export class CounterView {
  windowStart: i64 = 0;
  windowMs: i64 = 0;
  remaining: i64 = 0;
  fetchedMs: i64 = 0;
  pending: i64 = 0;
  reporting: i64 = 0;
  reserved: i64 = 0;
  leaseUntilMs: i64 = 0;
  syncedMs: i64 = 0;

  /** A fresh view of window `start` (nothing known). */
  fresh(start: i64, windowMs: i64): CounterView {
    this.windowStart = start;
    this.windowMs = windowMs;
    this.remaining = 0;
    this.fetchedMs = 0;
    this.pending = 0;
    this.reporting = 0;
    this.reserved = 0;
    this.leaseUntilMs = 0;
    this.syncedMs = 0;
    return this;
  }

  /** Tokens this proxy may still admit against: the service's remaining less what it does not know yet. */
  budget(): i64 {
    return this.remaining - this.pending - this.reporting - this.reserved;
  }
}

/** Decodes `b` into `out`; false for a value of another size, magic or version. */
export function decodeView(b: ArrayBuffer, out: CounterView): bool {
  if (b.byteLength != VIEW_SIZE) return false;
  const p = changetype<usize>(b);
  if (load<u8>(p) != VIEW_MAGIC || load<u8>(p, 1) != VIEW_VERSION) return false;
  out.windowStart = load<i64>(p, 2);
  out.windowMs = load<i64>(p, 10);
  out.remaining = load<i64>(p, 18);
  out.fetchedMs = load<i64>(p, 26);
  out.pending = load<i64>(p, 34);
  out.reporting = load<i64>(p, 42);
  out.reserved = load<i64>(p, 50);
  out.leaseUntilMs = load<i64>(p, 58);
  out.syncedMs = load<i64>(p, 66);
  return out.windowMs > 0;
}

/** Encodes `v` into `out` (VIEW_SIZE bytes, reused). */
export function encodeView(v: CounterView, out: ArrayBuffer): ArrayBuffer {
  const p = changetype<usize>(out);
  store<u8>(p, VIEW_MAGIC);
  store<u8>(p, VIEW_VERSION, 1);
  store<i64>(p, v.windowStart, 2);
  store<i64>(p, v.windowMs, 10);
  store<i64>(p, v.remaining, 18);
  store<i64>(p, v.fetchedMs, 26);
  store<i64>(p, v.pending, 34);
  store<i64>(p, v.reporting, 42);
  store<i64>(p, v.reserved, 50);
  store<i64>(p, v.leaseUntilMs, 58);
  store<i64>(p, v.syncedMs, 66);
  return out;
}

/** Retries of a write that lost to another worker. */
const MAX_RETRIES: i32 = 16;

/**
 * Reads and rewrites views with compare-and-swap. Each operation reads the view as it
 * stands in window `start` (an older window's view is replaced by a fresh one: its
 * pending costs belonged to a window that is over), lets `change` decide, and writes.
 */
export class ViewStore {
  private readBuf: StoredRead = new StoredRead();
  private scratch: ArrayBuffer = new ArrayBuffer(VIEW_SIZE);
  /** The view as last read (and, after a successful write, as written). */
  view: CounterView = new CounterView();

  constructor(private store: CounterStore) {}

  /**
   * Reads `key` into `view` for window `start`. Returns false only when the store failed
   * (absent, unreadable or older values read as a fresh view).
   */
  read(key: ArrayBuffer, start: i64, windowMs: i64): bool {
    const st = this.store.read(key, this.readBuf);
    if (st == WasmResult.NotFound) {
      this.readBuf.cas = 0;
      this.view.fresh(start, windowMs);
      return true;
    }
    if (st != WasmResult.Ok) return false;
    const v = this.view;
    if (!decodeView(this.readBuf.value, v) || v.windowMs != windowMs || v.windowStart < start) v.fresh(start, windowMs);
    return true;
  }

  /** Writes `view` with the cas of the last read: WasmResult.Ok, CasMismatch, or a failure. */
  write(key: ArrayBuffer): i32 {
    return this.store.compareAndSwap(key, encodeView(this.view, this.scratch), this.readBuf.cas);
  }

  /** How many times an operation may read and write before giving up. */
  get attempts(): i32 { return MAX_RETRIES + 1; }
}
