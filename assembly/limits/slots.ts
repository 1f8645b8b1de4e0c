// Where a counter lives in shared data. Proxy-Wasm (ABI 0.2.1) gives a filter no way to
// delete a shared-data key, so a key per counter would keep every caller ever seen for the
// life of the proxy. Instead each rate of each limit owns a fixed table of `capacity`
// slots, keyed by slot number:
//
//   slot key:      prefix part(limitName) '|' decimal(rateIndex) '|#' decimal(slot)
//   overflow key:  prefix part(limitName) '|' decimal(rateIndex) '|#overflow'
//
// ('#' never starts a literal part, so these never equal a counter's identity key.) A
// counter, identified by its identity key (keys.ts), is looked for from its home slot
// (FNV-1a 64 of the identity, mod capacity) over PROBE_SLOTS consecutive slots; the
// stored value carries the identity, so a slot is only ever read as its own counter. A
// slot whose counter's window has ended is reclaimed by the next counter that needs one,
// so the number of keys per rate never exceeds capacity + 1, whatever the traffic and
// however many windows pass. When every slot probed holds a running counter of someone
// else, the caller is counted in the rate's overflow counter, shared by everyone
// overflowing (the limit still applies to them together; see docs/security.md).
import { CounterKeyBuilder } from "./keys";

/** Default `counters.maxCounters`: slots per rate of a limit. */
export const DEFAULT_MAX_COUNTERS: i32 = 100_000;
/** Consecutive slots looked at from a counter's home slot. */
export const PROBE_SLOTS: i32 = 8;

const FNV64_OFFSET: u64 = 0xcbf29ce484222325;
const FNV64_PRIME: u64 = 0x100000001b3;

/** FNV-1a 64 of `bytes`. */
export function identityHash(bytes: ArrayBuffer): u64 {
  let h = FNV64_OFFSET;
  const p = changetype<usize>(bytes);
  for (let i = 0, n = bytes.byteLength; i < n; i++) h = (h ^ <u64>load<u8>(p + <usize>i)) * FNV64_PRIME;
  return h;
}

/**
 * The home slot of a counter with identity key `identity` in a table of `capacity` slots.
 * FNV-1a's low bits follow the last bytes of similar keys (`user-1`, `user-2` ...) too
 * closely for a modulus; a 64-bit finalizer (xor-shift, multiply, xor-shift) spreads them.
 */
export function homeSlot(identity: ArrayBuffer, capacity: i32): i32 {
  const c = capacity < 1 ? 1 : capacity;
  let h = identityHash(identity);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccd;
  h ^= h >> 33;
  return <i32>(h % <u64>c);
}

/** Builds slot and overflow keys. Allocates the returned key. */
export class SlotKeys {
  private keys: CounterKeyBuilder;

  constructor(prefix: string) {
    this.keys = new CounterKeyBuilder(prefix);
  }

  /** The key of slot `slot` of rate `rateIndex` of limit `limitName`. */
  slot(limitName: string, rateIndex: i32, slot: i32): ArrayBuffer {
    return this.keys.buildSlot(limitName, rateIndex, slot);
  }

  /** The key of the overflow counter of rate `rateIndex` of limit `limitName`. */
  overflow(limitName: string, rateIndex: i32): ArrayBuffer {
    return this.keys.buildSlot(limitName, rateIndex, 0, true);
  }
}
