// Decoded JWT identities of recent credentials. A caller sends the same token on every
// request until it expires, and decoding it (base64url, the claims' JSON, enrichment) is
// most of what identifying a request costs. The cache is keyed by the credential header's
// exact bytes, so a different header can never be answered with another's identity, and a
// hit needs no string at all; the values are immutable CEL maps, shared by the requests
// that read them. One cache per configuration per worker.

import { Value } from "../cel/value";

/** Slots of the direct-mapped cache (a power of two). */
// @ts-ignore: decorator
@inline const SLOTS: i32 = 64;
/** Credentials longer than this are decoded every time rather than held in memory. */
// @ts-ignore: decorator
@inline export const MAX_CACHED_CREDENTIAL_BYTES: i32 = 4096;

export class IdentityCache {
  private keys: StaticArray<ArrayBuffer | null> = new StaticArray<ArrayBuffer | null>(SLOTS);
  private identities: StaticArray<Value | null> = new StaticArray<Value | null>(SLOTS);

  /** The identity decoded earlier from exactly the bytes [ptr, ptr+len), or null. Allocates nothing. */
  get(ptr: usize, len: usize): Value | null {
    if (len > <usize>MAX_CACHED_CREDENTIAL_BYTES) return null;
    const slot = slotOf(ptr, len);
    const held = unchecked(this.keys[slot]);
    if (held === null || <usize>held.byteLength != len || memory.compare(changetype<usize>(held), ptr, len) != 0) return null;
    return unchecked(this.identities[slot]);
  }

  /** Remembers `identity` for the bytes [ptr, ptr+len), replacing whatever held its slot. */
  put(ptr: usize, len: usize, identity: Value): void {
    if (len > <usize>MAX_CACHED_CREDENTIAL_BYTES) return;
    const slot = slotOf(ptr, len);
    const key = new ArrayBuffer(<i32>len);
    memory.copy(changetype<usize>(key), ptr, len);
    unchecked(this.keys[slot] = key);
    unchecked(this.identities[slot] = identity);
  }
}

/**
 * FNV-1a over the length and the last 64 bytes, folded to a slot. A token ends in its
 * signature, which differs between any two tokens; the slot only picks where to look, the
 * whole key is compared.
 */
function slotOf(ptr: usize, len: usize): i32 {
  let h: u32 = (2166136261 ^ <u32>len) * 16777619;
  const from = len > 64 ? len - 64 : 0;
  for (let i: usize = from; i < len; i++) h = (h ^ <u32>load<u8>(ptr + i)) * 16777619;
  return <i32>((h ^ (h >>> 16)) & <u32>(SLOTS - 1));
}
