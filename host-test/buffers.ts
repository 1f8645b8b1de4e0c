// Body buffers and the views `proxy_get_buffer_bytes`/`proxy_set_buffer_bytes` act on.
// Envoy's Wasm `Buffer` (source/extensions/common/wasm/context.cc) wraps either a mutable
// Envoy buffer instance (bodies, gRPC receive buffer), a possibly-null one (then it reads
// as empty and refuses writes), or an immutable string (configurations, call responses).
import { WasmResult } from "./abi.ts";

/** A growable byte buffer (an Envoy Buffer::Instance). */
export class BodyBuffer {
  private data: Uint8Array;
  constructor(init?: Uint8Array) {
    this.data = init ? init.slice() : new Uint8Array(0);
  }
  get length(): number {
    return this.data.length;
  }
  bytes(): Uint8Array {
    return this.data;
  }
  append(b: Uint8Array): void {
    if (!b.length) return;
    const out = new Uint8Array(this.data.length + b.length);
    out.set(this.data);
    out.set(b, this.data.length);
    this.data = out;
  }
  prepend(b: Uint8Array): void {
    const out = new Uint8Array(this.data.length + b.length);
    out.set(b);
    out.set(this.data, b.length);
    this.data = out;
  }
  /** Drains up to `n` bytes from the front (OwnedImpl::drain stops when empty). */
  drain(n: number): void {
    this.data = this.data.slice(Math.min(n, this.data.length));
  }
  /** Moves all bytes of `other` to the end of this buffer (Buffer::move). */
  moveFrom(other: BodyBuffer): void {
    if (other === this) return;
    this.append(other.data);
    other.data = new Uint8Array(0);
  }
  /** Takes all bytes, leaving the buffer empty. */
  take(): Uint8Array {
    const d = this.data;
    this.data = new Uint8Array(0);
    return d;
  }
}

/** What a buffer hostcall sees. */
export interface BufferView {
  size(): number;
  read(start: number, length: number): Uint8Array;
  copyFrom(start: number, length: number, data: Uint8Array): number;
}

/** Buffer::set(Instance*): a body; a null instance reads empty and refuses writes (BAD_ARGUMENT). */
export function instanceView(buf: BodyBuffer | null): BufferView {
  return {
    size: () => (buf ? buf.length : 0),
    read: (start, length) => (buf ? buf.bytes().slice(start, start + length) : new Uint8Array(0)),
    copyFrom: (start, length, data) => {
      if (!buf) return WasmResult.BadArgument;
      if (start === 0) {
        if (length !== 0) buf.drain(length);
        buf.prepend(data);
        return WasmResult.Ok;
      }
      if (start >= buf.length) {
        buf.append(data);
        return WasmResult.Ok;
      }
      return WasmResult.BadArgument;
    },
  };
}

/** Buffer::set(string_view): immutable (BufferBase::copyFrom is BAD_ARGUMENT). */
export function constView(bytes: Uint8Array): BufferView {
  return {
    size: () => bytes.length,
    read: (start, length) => bytes.slice(start, start + length),
    copyFrom: () => WasmResult.BadArgument,
  };
}
