// Header maps. Every call returns the host's status instead of trapping: a map that
// is not available in the current phase (response headers during the request, say)
// answers NOT_FOUND or BAD_ARGUMENT, which the SDK turned into a trap.
import {
  proxy_get_header_map_value, proxy_add_header_map_value, proxy_replace_header_map_value,
  proxy_remove_header_map_value, proxy_get_header_map_pairs,
} from "./imports";
import { WasmResult } from "./status";
import { BorrowedBytes } from "./buffers";
import { clearResult, dropResult, resultPtrSlot, resultSizeSlot, scratchName, scratchNameLength, takeResult, takeResultString } from "./memory";

/** One header; names are lower-case as Envoy delivers them. */
export class Header {
  constructor(public name: string, public value: string) {}
}

/**
 * Value of `name` in `map`, or null when absent or the map is not available. Allocates
 * only the returned string (short names are encoded in a scratch buffer).
 */
export function getHeader(map: i32, name: string): string | null {
  if (!askHeader(map, name)) return null;
  return takeResultString();
}

/**
 * Points `out` at the host's copy of the value of `name` in `map` (release it when done);
 * false, with `out` empty, when absent or the map is not available. Allocates nothing.
 */
export function borrowHeader(map: i32, name: string, out: BorrowedBytes): bool {
  out.release();
  if (!askHeader(map, name)) return false;
  out.ptr = <usize>load<u32>(resultPtrSlot());
  out.size = <usize>load<u32>(resultSizeSlot());
  clearResult();
  return true;
}

/**
 * `proxy_get_header_map_value` for `name`: true with the value in the result slots (the
 * caller takes it), false with nothing left to free.
 */
function askHeader(map: i32, name: string): bool {
  let key = scratchName(name);
  let keySize = scratchNameLength();
  let encoded: ArrayBuffer | null = null;
  if (key == 0) {
    encoded = String.UTF8.encode(name);
    key = changetype<usize>(encoded);
    keySize = <usize>encoded.byteLength;
  }
  clearResult();
  const status = proxy_get_header_map_value(map, key, keySize, resultPtrSlot(), resultSizeSlot());
  if (status == WasmResult.Ok) return true;
  dropResult();
  return false;
}

export function addHeader(map: i32, name: string, value: string): i32 {
  const k = String.UTF8.encode(name);
  const v = String.UTF8.encode(value);
  return proxy_add_header_map_value(map, changetype<usize>(k), <usize>k.byteLength, changetype<usize>(v), <usize>v.byteLength);
}

/** Sets `name` to `value`; allocates the value's bytes only (short names are encoded in a scratch buffer). */
export function replaceHeader(map: i32, name: string, value: string): i32 {
  const v = String.UTF8.encode(value);
  return replaceHeaderBytes(map, name, changetype<usize>(v), <usize>v.byteLength);
}

/** Sets `name` to the bytes [valuePtr, valuePtr + valueLen); allocates nothing for short names. */
export function replaceHeaderBytes(map: i32, name: string, valuePtr: usize, valueLen: usize): i32 {
  const key = scratchName(name);
  if (key != 0) return proxy_replace_header_map_value(map, key, scratchNameLength(), valuePtr, valueLen);
  const k = String.UTF8.encode(name);
  return proxy_replace_header_map_value(map, changetype<usize>(k), <usize>k.byteLength, valuePtr, valueLen);
}

/** Sets the header named by the `nameLen` bytes at `namePtr` to the `valueLen` bytes at `valuePtr`. Allocates nothing. */
export function replaceHeaderUtf8(map: i32, namePtr: usize, nameLen: usize, valuePtr: usize, valueLen: usize): i32 {
  return proxy_replace_header_map_value(map, namePtr, nameLen, valuePtr, valueLen);
}

export function removeHeader(map: i32, name: string): i32 {
  const key = scratchName(name);
  if (key != 0) return proxy_remove_header_map_value(map, key, scratchNameLength());
  const k = String.UTF8.encode(name);
  return proxy_remove_header_map_value(map, changetype<usize>(k), <usize>k.byteLength);
}


/**
 * Serializes headers in Envoy's pairs layout:
 *   u32 count | count x (u32 name_len, u32 value_len) | name\0 value\0 ...
 * Allocates one ArrayBuffer.
 */
export function serializePairs(headers: Header[]): ArrayBuffer {
  const n = headers.length;
  const names = new Array<ArrayBuffer>(n);
  const values = new Array<ArrayBuffer>(n);
  let size = 4 + 8 * n;
  for (let i = 0; i < n; i++) {
    const h = unchecked(headers[i]);
    const k = String.UTF8.encode(h.name);
    const v = String.UTF8.encode(h.value);
    unchecked(names[i] = k);
    unchecked(values[i] = v);
    size += k.byteLength + v.byteLength + 2;
  }
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u32>(base, <u32>n);
  let data = base + 4 + 8 * <usize>n;
  for (let i = 0; i < n; i++) {
    const k = unchecked(names[i]);
    const v = unchecked(values[i]);
    store<u32>(base + 4 + 8 * <usize>i, <u32>k.byteLength);
    store<u32>(base + 8 + 8 * <usize>i, <u32>v.byteLength);
    memory.copy(data, changetype<usize>(k), <usize>k.byteLength);
    data += <usize>k.byteLength;
    store<u8>(data, 0);
    data += 1;
    memory.copy(data, changetype<usize>(v), <usize>v.byteLength);
    data += <usize>v.byteLength;
    store<u8>(data, 0);
    data += 1;
  }
  return out;
}

/**
 * Parses a pairs blob with bounds checks; a malformed blob yields the pairs read so far.
 * Never traps.
 */
export function parsePairs(blob: ArrayBuffer): Header[] {
  const out = new Array<Header>();
  const len = <usize>blob.byteLength;
  if (len < 4) return out;
  const base = changetype<usize>(blob);
  const n = <usize>load<u32>(base);
  if (n > (len - 4) / 8) return out;
  let data = base + 4 + 8 * n;
  const end = base + len;
  for (let i: usize = 0; i < n; i++) {
    const kl = <usize>load<u32>(base + 4 + 8 * i);
    const vl = <usize>load<u32>(base + 8 + 8 * i);
    if (kl > end - data || end - data - kl < 1) return out;
    const name = String.UTF8.decodeUnsafe(data, kl);
    data += kl + 1;
    if (vl > end - data || end - data - vl < 1) return out;
    const value = String.UTF8.decodeUnsafe(data, vl);
    data += vl + 1;
    out.push(new Header(name, value));
  }
  return out;
}

/** All pairs of `map`; empty when unavailable. */
export function getHeaders(map: i32): Header[] {
  clearResult();
  const status = proxy_get_header_map_pairs(map, resultPtrSlot(), resultSizeSlot());
  const raw = takeResult();
  if (status != WasmResult.Ok) return new Array<Header>();
  return parsePairs(raw);
}

