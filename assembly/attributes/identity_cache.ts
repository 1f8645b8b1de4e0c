// Decoded JWT identities of recent tokens. A caller sends the same token on every request
// until it expires, and decoding it (base64url, the claims' JSON, enrichment) is most of
// what identifying a request costs. The cache is keyed by the token's exact text, so a
// different token can never be answered with another's identity; the values are immutable
// CEL maps, shared by the requests that read them. One cache per configuration per worker.

import { Value } from "../cel/value";

/** Slots of the direct-mapped cache (a power of two). */
// @ts-ignore: decorator
@inline const SLOTS: i32 = 64;
/** Tokens longer than this are decoded every time rather than held in memory. */
// @ts-ignore: decorator
@inline export const MAX_CACHED_TOKEN_LENGTH: i32 = 4096;

export class IdentityCache {
  private tokens: StaticArray<string | null> = new StaticArray<string | null>(SLOTS);
  private identities: StaticArray<Value | null> = new StaticArray<Value | null>(SLOTS);

  /** The identity decoded earlier from exactly `token`, or null. Allocates nothing. */
  get(token: string): Value | null {
    if (token.length > MAX_CACHED_TOKEN_LENGTH) return null;
    const slot = slotOf(token);
    const held = unchecked(this.tokens[slot]);
    return held !== null && held == token ? unchecked(this.identities[slot]) : null;
  }

  /** Remembers `identity` for `token`, replacing whatever held its slot. */
  put(token: string, identity: Value): void {
    if (token.length > MAX_CACHED_TOKEN_LENGTH) return;
    const slot = slotOf(token);
    unchecked(this.tokens[slot] = token);
    unchecked(this.identities[slot] = identity);
  }
}

/** FNV-1a over the UTF-16 code units, folded to a slot. */
function slotOf(s: string): i32 {
  let h: u32 = 2166136261;
  const p = changetype<usize>(s);
  const n = <usize>s.length << 1;
  for (let i: usize = 0; i < n; i += 2) h = (h ^ <u32>load<u16>(p + i)) * 16777619;
  return <i32>((h ^ (h >>> 16)) & <u32>(SLOTS - 1));
}
