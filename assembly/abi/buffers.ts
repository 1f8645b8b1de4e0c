// Buffers: bodies, configuration, call responses. The SDK bound its set-buffer wrapper
// to `proxy_get_buffer_status` with five parameters; the real import is
// `proxy_set_buffer_bytes`, declared in ./imports.
import { proxy_get_buffer_bytes, proxy_get_buffer_status, proxy_set_buffer_bytes } from "./imports";
import { WasmResult } from "./status";
import { clearResult, resultPtrSlot, resultSizeSlot, takeResult, hostFree, u32Slot } from "./memory";

/** Copies `length` bytes from `start` of `buffer` into a managed ArrayBuffer; empty on failure. */
export function getBufferBytes(buffer: i32, start: u32, length: u32): ArrayBuffer {
  clearResult();
  if (length == 0) return new ArrayBuffer(0);
  const status = proxy_get_buffer_bytes(buffer, start, length, resultPtrSlot(), resultSizeSlot());
  const raw = takeResult();
  if (status != WasmResult.Ok) return new ArrayBuffer(0);
  return raw;
}

/**
 * A view of buffer bytes in guest memory, valid until `release`. Used by hot paths that
 * scan a chunk in place without copying it into the managed heap.
 */
export class BorrowedBytes {
  ptr: usize = 0;
  size: usize = 0;
  status: i32 = WasmResult.Ok;

  /** Fetches `length` bytes from `start`; `status` tells whether it worked. */
  fetch(buffer: i32, start: u32, length: u32): bool {
    this.release();
    if (length == 0) return true;
    store<u32>(resultPtrSlot(), 0);
    store<u32>(resultSizeSlot(), 0);
    this.status = proxy_get_buffer_bytes(buffer, start, length, resultPtrSlot(), resultSizeSlot());
    this.ptr = <usize>load<u32>(resultPtrSlot());
    this.size = <usize>load<u32>(resultSizeSlot());
    store<u32>(resultPtrSlot(), 0);
    if (this.status != WasmResult.Ok) {
      this.release();
      return false;
    }
    return true;
  }

  /** Frees the host's allocation. Safe to call twice. */
  release(): void {
    hostFree(this.ptr);
    this.ptr = 0;
    this.size = 0;
  }
}


/** Replaces `length` bytes at `start` with `data` (start 0, length = whole size replaces all). */
export function setBufferBytes(buffer: i32, start: u32, length: u32, data: ArrayBuffer): i32 {
  return proxy_set_buffer_bytes(buffer, start, length, changetype<usize>(data), <usize>data.byteLength);
}

/** The length of `buffer` as the host holds it now, or -1 when it has none. */
export function bufferLength(buffer: i32): i64 {
  store<u32>(resultSizeSlot(), 0);
  if (proxy_get_buffer_status(buffer, resultSizeSlot(), u32Slot()) != WasmResult.Ok) return -1;
  return <i64>load<u32>(resultSizeSlot());
}
