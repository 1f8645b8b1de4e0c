// Byte strings and the Proxy-Wasm "pairs" layout.
//
// Header names and values are byte strings in Envoy. The host keeps them as JS strings in
// which every char is one byte (latin1), so what a filter writes is returned byte for byte;
// test-facing getters decode them as UTF-8.
//
// Pairs layout (cpp-host PairsUtil), little-endian:
//   u32 count | count x (u32 name_len, u32 value_len) | name bytes \0 value bytes \0 ...

import type { BodyInput, HeaderInput } from "./types.ts";

/** Limits cpp-host applies to a pairs blob coming from the guest (include/proxy-wasm/limits.h). */
export const PAIRS_MAX_BYTES = 1024 * 1024;
export const PAIRS_MAX_COUNT = 1024;

/** A header as [name, value]. */
export type Pair = [string, string];

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** UTF-8 text -> byte string. */
export function toByteString(s: string): string {
  return Buffer.from(utf8.encode(s)).toString("latin1");
}

/** Byte string -> UTF-8 text (invalid sequences become U+FFFD). */
export function fromByteString(s: string): string {
  return utf8d.decode(Buffer.from(s, "latin1"));
}

/** Bytes -> byte string. */
export function bytesToByteString(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

/** Byte string -> bytes (a copy). */
export function byteStringToBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}

/** A body input -> bytes (text is UTF-8 encoded). */
export function bodyBytes(b: BodyInput | undefined): Uint8Array {
  if (b === undefined) return new Uint8Array(0);
  return typeof b === "string" ? utf8.encode(b) : b;
}

/** Header input -> byte-string pairs in order. */
export function headerInputToPairs(h: HeaderInput | undefined): Pair[] {
  if (!h) return [];
  const list = Array.isArray(h) ? h : Object.entries(h);
  return list.map(([k, v]) => [toByteString(k), toByteString(String(v))]);
}

/** Serializes byte-string pairs (or UTF-8 pairs with `utf8Input`) in the pairs layout. */
export function encodePairs(pairs: Pair[]): Uint8Array {
  let size = 4;
  for (const [k, v] of pairs) size += 8 + k.length + 1 + v.length + 1;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, pairs.length, true);
  let p = 4 + 8 * pairs.length;
  pairs.forEach(([k, v], i) => {
    dv.setUint32(4 + 8 * i, k.length, true);
    dv.setUint32(8 + 8 * i, v.length, true);
    for (let j = 0; j < k.length; j++) out[p++] = k.charCodeAt(j);
    out[p++] = 0;
    for (let j = 0; j < v.length; j++) out[p++] = v.charCodeAt(j);
    out[p++] = 0;
  });
  return out;
}

/**
 * Parses a pairs blob exactly as cpp-host's PairsUtil::toPairs: any malformation, more than
 * 1 MiB or more than 1024 pairs yields no pairs at all (not an error).
 */
export function decodePairs(bytes: Uint8Array): Pair[] {
  if (bytes.length > PAIRS_MAX_BYTES || bytes.length < 4) return [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(0, true);
  if (n > PAIRS_MAX_COUNT) return [];
  let pos = 4;
  if (pos + n * 8 > bytes.length) return [];
  const sizes: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    sizes.push([dv.getUint32(pos, true), dv.getUint32(pos + 4, true)]);
    pos += 8;
  }
  const out: Pair[] = [];
  for (const [kl, vl] of sizes) {
    if (pos + kl + 1 > bytes.length) return [];
    const k = bytesToByteString(bytes.subarray(pos, pos + kl));
    pos += kl;
    if (bytes[pos++] !== 0) return [];
    if (pos + vl + 1 > bytes.length) return [];
    const v = bytesToByteString(bytes.subarray(pos, pos + vl));
    pos += vl;
    if (bytes[pos++] !== 0) return [];
    out.push([k, v]);
  }
  return pos === bytes.length ? out : [];
}

/** Builds a pairs blob from UTF-8 headers; for test modules and direct hostcall probes. */
export function pairsBlob(h: HeaderInput): Uint8Array {
  return encodePairs(headerInputToPairs(h));
}

/** Parses a pairs blob into UTF-8 pairs; malformed blobs give []. */
export function parsePairsBlob(bytes: Uint8Array): Array<[string, string]> {
  return decodePairs(bytes).map(([k, v]) => [fromByteString(k), fromByteString(v)]);
}
