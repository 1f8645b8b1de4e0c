// The token limiter's counters as stored in shared data, decoded for assertions.
import type { Host } from "../../host-test/index.ts";

/** One counter as stored in shared data (assembly/counters/value.ts, version 1). */
export interface StoredCounter {
  windowStart: number;
  windowMs: number;
  used: number;
  reserved: number;
}

/** Decodes a stored counter: 34 bytes, magic 0xC7, version 1, little-endian i64/u64 fields. */
export function decodeCounter(v: Uint8Array): StoredCounter {
  if (v.length !== 34 || v[0] !== 0xc7 || v[1] !== 1) throw new Error(`not a counter value: ${Buffer.from(v).toString("hex")}`);
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  return {
    windowStart: Number(dv.getBigInt64(2, true)),
    windowMs: Number(dv.getBigInt64(10, true)),
    used: Number(dv.getBigUint64(18, true)),
    reserved: Number(dv.getBigUint64(26, true)),
  };
}

/**
 * The shared-data key of counter (limit, rate, values) under the default key prefix:
 * `tokenlimit|<limit>|<rate>|<value>...` (values here are plain, needing no escapes).
 */
export function counterKey(limit: string, rate: number, ...values: string[]): string {
  for (const v of values) if (/[\x00-\x1f#\\|\x7f]/.test(v)) throw new Error(`value needs escaping: ${v}`);
  return ["tokenlimit", limit, String(rate), ...values].join("|");
}

/** The stored counter of `limit` rate 0 for `user`, or undefined when it was never written. */
export function counterOf(host: Host, limit: string, user: string, rate = 0): StoredCounter | undefined {
  const e = host.sharedData.get(counterKey(limit, rate, user));
  return e ? decodeCounter(e.value) : undefined;
}

/** Tokens charged to `user`'s counter of `limit` (0 when never written). */
export function usedBy(host: Host, limit: string, user: string): number {
  return counterOf(host, limit, user)?.used ?? 0;
}

/**
 * The shared-data entries that are counters (keys `<prefix>|...`), leaving out the
 * filter's own record that a policy was accepted (assembly/filter/root.ts).
 */
export function counterEntries(host: Host) {
  return host.sharedData.entries().filter((e) => e.key.includes("|"));
}
