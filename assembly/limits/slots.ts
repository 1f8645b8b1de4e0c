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

/** Entries of a limiter's SlotHints (a power of two). */
// @ts-ignore: decorator
@inline export const SLOT_HINT_ENTRIES: i32 = 64;

/**
 * Where counters were last found, by identity key, so that a caller's next request reads
 * its counter's slot at once instead of building its home slot's key and probing. Only a
 * hint: every read of a slot checks the identity stored in it, and a miss looks for the
 * counter again. Direct-mapped by a hash of the identity key; a collision replaces the
 * older entry. Bounded: SLOT_HINT_ENTRIES keys of each kind.
 */
export class SlotHints {
  private identities: StaticArray<ArrayBuffer | null> = new StaticArray<ArrayBuffer | null>(SLOT_HINT_ENTRIES);
  private slots: StaticArray<ArrayBuffer | null> = new StaticArray<ArrayBuffer | null>(SLOT_HINT_ENTRIES);
  /** The identity key of the last `find` that hit. */
  identity: ArrayBuffer | null = null;
  /** Its slot key. */
  slot: ArrayBuffer | null = null;

  /**
   * Whether the identity key with bytes [ptr, ptr + len) has a known slot; then `identity`
   * (equal bytes, shared) and `slot` are set. Allocates nothing.
   */
  find(ptr: usize, len: i32): bool {
    const i = entryOf(ptr, len);
    const id = unchecked(this.identities[i]);
    if (id === null || id.byteLength != len || memory.compare(changetype<usize>(id), ptr, <usize>len) != 0) return false;
    this.identity = id;
    this.slot = unchecked(this.slots[i]);
    return true;
  }

  /** Records that the counter of identity key `identity` lives at `slot`. */
  remember(identity: ArrayBuffer, slot: ArrayBuffer): void {
    const i = entryOf(changetype<usize>(identity), identity.byteLength);
    unchecked(this.identities[i] = identity);
    unchecked(this.slots[i] = slot);
  }
}

/** The entry of the key [ptr, ptr + len): FNV-1a 32 of its bytes, masked. */
function entryOf(ptr: usize, len: i32): i32 {
  let h: u32 = 0x811c9dc5;
  for (let i = 0; i < len; i++) h = (h ^ <u32>load<u8>(ptr + <usize>i)) * 0x01000193;
  h ^= h >> 15;
  return <i32>(h & <u32>(SLOT_HINT_ENTRIES - 1));
}
