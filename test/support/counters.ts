// The token limiter's counters as stored in shared data, decoded for assertions. Counters
// live in slots (assembly/limits/slots.ts): `<prefix>|<limit>|<rate>|#<slot>`, each value
// carrying the counter's identity key after its counts.
import type { Host } from "../../host-test/index.ts";

/** One counter as stored in shared data (assembly/counters/value.ts, version 2). */
export interface StoredCounter {
  windowStart: number;
  windowMs: number;
  used: number;
  reserved: number;
}

/** Default `counters.maxCounters`: slots per rate of a limit. */
export const DEFAULT_MAX_COUNTERS = 100_000;

/**
 * Decodes a stored counter (version 2: 50 bytes of counts, then the identity; magic 0xC7,
 * little-endian): `reserved` is what both reservation periods hold, as admission counts it.
 */
export function decodeCounter(v: Uint8Array): StoredCounter {
  if (v.length < 50 || v[0] !== 0xc7 || v[1] !== 2) throw new Error(`not a counter value: ${Buffer.from(v).toString("hex")}`);
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  return {
    windowStart: Number(dv.getBigInt64(2, true)),
    windowMs: Number(dv.getBigInt64(10, true)),
    used: Number(dv.getBigUint64(18, true)),
    reserved: Number(dv.getBigUint64(26, true) + dv.getBigUint64(34, true)),
  };
}

/** The identity key a stored counter value carries. */
export function identityOf(v: Uint8Array): string {
  return Buffer.from(v.subarray(50)).toString("utf8");
}

/**
 * A counter value as the filter writes it: its reservations all in the period starting at
 * `reservedSince`, followed by `identity` (a counterKey).
 */
export function encodeCounter(c: StoredCounter, identity: string, reservedSince = 0): Uint8Array {
  const id = Buffer.from(identity, "utf8");
  const v = new Uint8Array(50 + id.length);
  const dv = new DataView(v.buffer);
  v[0] = 0xc7;
  v[1] = 2;
  dv.setBigInt64(2, BigInt(c.windowStart), true);
  dv.setBigInt64(10, BigInt(c.windowMs), true);
  dv.setBigUint64(18, BigInt(c.used), true);
  dv.setBigUint64(26, BigInt(c.reserved), true);
  dv.setBigInt64(42, BigInt(reservedSince), true);
  v.set(id, 50);
  return v;
}

/**
 * The identity key of counter (limit, rate, values) under the default key prefix:
 * `tokenlimit|<limit>|<rate>|<value>...` (values here are plain, needing no escapes).
 */
export function counterKey(limit: string, rate: number, ...values: string[]): string {
  for (const v of values) if (/[\x00-\x1f#\\|\x7f]/.test(v)) throw new Error(`value needs escaping: ${v}`);
  return ["tokenlimit", limit, String(rate), ...values].join("|");
}

/** FNV-1a 64 of `s`'s UTF-8 bytes (assembly/limits/slots.ts identityHash, before homeSlot's finalizer). */
function fnv1a64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(s, "utf8")) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}

/** The key of the home slot of counter (limit, rate, user): where a new counter goes first. */
export function homeSlotKey(limit: string, user: string, rate = 0, capacity = DEFAULT_MAX_COUNTERS): string {
  const M = 0xffffffffffffffffn;
  let h = fnv1a64(counterKey(limit, rate, user));
  h ^= h >> 33n;
  h = (h * 0xff51afd7ed558ccdn) & M;
  h ^= h >> 33n;
  const slot = Number(h % BigInt(capacity));
  return `tokenlimit|${limit}|${rate}|#${slot}`;
}

/** The shared-data key holding `limit` rate `rate`'s counter of `user`, or undefined. */
export function counterSlotKey(host: Host, limit: string, user: string, rate = 0): string | undefined {
  const id = counterKey(limit, rate, user);
  return counterEntries(host).find((e) => e.value.length >= 50 && identityOf(e.value) === id)?.key;
}

/** The stored counter of `limit` rate `rate` for `user`, or undefined when it was never written. */
export function counterOf(host: Host, limit: string, user: string, rate = 0): StoredCounter | undefined {
  const key = counterSlotKey(host, limit, user, rate);
  const e = key === undefined ? undefined : host.sharedData.get(key);
  return e ? decodeCounter(e.value) : undefined;
}

/** Tokens charged to `user`'s counter of `limit` (0 when never written). */
export function usedBy(host: Host, limit: string, user: string): number {
  return counterOf(host, limit, user)?.used ?? 0;
}

/**
 * The shared-data entries that are counters (keys `<prefix>|...`: slots and overflow
 * counters), leaving out the filter's own records (a policy was accepted, the creation
 * marker), whose keys have no '|'.
 */
export function counterEntries(host: Host) {
  return host.sharedData.entries().filter((e) => e.key.includes("|"));
}

/** The identity keys (`<prefix>|<limit>|<rate>|<values...>`) of the counters stored, whatever slot holds them. */
export function counterIdentities(host: Host): string[] {
  return counterEntries(host).map((e) => identityOf(e.value));
}

/** The stored counter whose identity is `identity` (a counterKey, any number of values), or undefined. */
export function counterWithIdentity(host: Host, identity: string): StoredCounter | undefined {
  const e = counterEntries(host).find((x) => x.value.length >= 50 && identityOf(x.value) === identity);
  return e ? decodeCounter(e.value) : undefined;
}
