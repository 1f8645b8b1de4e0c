// Attributes (`proxy_get_property`). A path is a list of segments joined by NUL bytes,
// e.g. "request\0path". An absent attribute is an ordinary NOT_FOUND, not a failure:
// the SDK's wrapper trapped on it; this one returns null.
import { proxy_get_property, proxy_set_property } from "./imports";
import { WasmResult } from "./status";
import { BorrowedBytes } from "./buffers";
import { clearResult, dropResult, resultPtrSlot, resultSizeSlot, takeResult, takeResultString } from "./memory";

/** Encodes dotted segments as Envoy's NUL-separated property path. Allocates. */
export function propertyPath(segments: string[]): ArrayBuffer {
  return String.UTF8.encode(segments.join("\0"));
}

/** Status of the last `getProperty` call (Ok, NotFound, ...). */
export let lastPropertyStatus: i32 = WasmResult.Ok;

/** Raw bytes of the attribute at `path`, or null when absent or not readable now. */
export function getProperty(path: ArrayBuffer): ArrayBuffer | null {
  return askProperty(path) ? takeResult() : null;
}

/** The attribute at `path` decoded as UTF-8 straight from the host's buffer, or null when absent. */
export function getPropertyText(path: ArrayBuffer): string | null {
  return askProperty(path) ? takeResultString() : null;
}

/**
 * The attribute at `path` left in the host's buffer: true with its bytes in `out` (release
 * it when done), false when absent. The same answer as `getProperty`, without a copy.
 */
export function borrowProperty(path: ArrayBuffer, out: BorrowedBytes): bool {
  out.release();
  if (!askProperty(path)) return false;
  out.ptr = <usize>load<u32>(resultPtrSlot());
  out.size = <usize>load<u32>(resultSizeSlot());
  clearResult();
  return true;
}

/** `proxy_get_property`: true with the value in the result slots, false with nothing to free. */
function askProperty(path: ArrayBuffer): bool {
  clearResult();
  lastPropertyStatus = proxy_get_property(changetype<usize>(path), <usize>path.byteLength, resultPtrSlot(), resultSizeSlot());
  if (lastPropertyStatus == WasmResult.Ok) return true;
  dropResult();
  return false;
}

/** Attribute at the dotted segments as a UTF-8 string, or null. */
export function getPropertyString(segments: string[]): string | null {
  const raw = getProperty(propertyPath(segments));
  if (raw === null) return null;
  return String.UTF8.decode(raw);
}

/** Sets a filter-state property; returns the host's status. */
/** Sets property `path` to the `len` bytes at `ptr` (the caller keeps them alive for the call). */
export function setPropertyBytes(path: ArrayBuffer, ptr: usize, len: usize): i32 {
  return proxy_set_property(changetype<usize>(path), <usize>path.byteLength, ptr, len);
}

export function setProperty(path: ArrayBuffer, value: ArrayBuffer): i32 {
  return proxy_set_property(changetype<usize>(path), <usize>path.byteLength, changetype<usize>(value), <usize>value.byteLength);
}
