// The token limiter's counters as stored in shared data, decoded for assertions.
import type { Host } from "../../host-test/index.ts";

/** One counter as stored in shared data (assembly/counters/value.ts, version 1). */
export interface StoredCounter {
  windowStart: number;
  windowMs: number;
  used: number;
  reserved: number;
}

/**
 * Decodes a stored counter (version 2, 50 bytes, magic 0xC7, little-endian): `reserved`
 * is what both reservation periods hold, as admission counts it until they expire.
 */
export function decodeCounter(v: Uint8Array): StoredCounter {
  if (v.length !== 50 || v[0] !== 0xc7 || v[1] !== 2) throw new Error(`not a counter value: ${Buffer.from(v).toString("hex")}`);
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  return {
    windowStart: Number(dv.getBigInt64(2, true)),
    windowMs: Number(dv.getBigInt64(10, true)),
    used: Number(dv.getBigUint64(18, true)),
    reserved: Number(dv.getBigUint64(26, true) + dv.getBigUint64(34, true)),
  };
}

/** A counter value as the filter writes it, its reservations all in the period starting at `reservedSince`. */
export function encodeCounter(c: StoredCounter, reservedSince = 0): Uint8Array {
  const v = new Uint8Array(50);
  const dv = new DataView(v.buffer);
  v[0] = 0xc7;
  v[1] = 2;
  dv.setBigInt64(2, BigInt(c.windowStart), true);
  dv.setBigInt64(10, BigInt(c.windowMs), true);
  dv.setBigUint64(18, BigInt(c.used), true);
  dv.setBigUint64(26, BigInt(c.reserved), true);
  dv.setBigInt64(42, BigInt(reservedSince), true);
  return v;
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
