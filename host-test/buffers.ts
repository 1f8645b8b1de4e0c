// Body buffers and the views `proxy_get_buffer_bytes`/`proxy_set_buffer_bytes` act on.
// Envoy's Wasm `Buffer` (source/extensions/common/wasm/context.cc) wraps either a mutable
// Envoy buffer instance (bodies, gRPC receive buffer), a possibly-null one (then it reads
// as empty and refuses writes), or an immutable string (configurations, call responses).
import { WasmResult } from "./abi.ts";

/**
 * A growable byte buffer (an Envoy Buffer::Instance). Appends grow the capacity
 * geometrically, so a long body delivered in small chunks costs linear time.
 */
export class BodyBuffer {
  private store: Uint8Array;
  private used: number;
  constructor(init?: Uint8Array) {
    this.store = init ? init.slice() : new Uint8Array(0);
    this.used = this.store.length;
  }
  get length(): number {
    return this.used;
  }
  /** The bytes, as a view valid until the next change. */
  bytes(): Uint8Array {
    return this.store.subarray(0, this.used);
  }
  append(b: Uint8Array): void {
    if (!b.length) return;
    const need = this.used + b.length;
    if (need > this.store.length) {
      const grown = new Uint8Array(Math.max(need, this.store.length * 2, 256));
      grown.set(this.bytes());
      this.store = grown;
    }
    this.store.set(b, this.used);
    this.used = need;
  }
  prepend(b: Uint8Array): void {
    const out = new Uint8Array(this.used + b.length);
    out.set(b);
    out.set(this.bytes(), b.length);
    this.store = out;
    this.used = out.length;
  }
  /** Drains up to `n` bytes from the front (OwnedImpl::drain stops when empty). */
  drain(n: number): void {
    const rest = this.store.slice(Math.min(n, this.used), this.used);
    this.store = rest;
    this.used = rest.length;
  }
  /** Moves all bytes of `other` to the end of this buffer (Buffer::move). */
  moveFrom(other: BodyBuffer): void {
    if (other === this) return;
    this.append(other.bytes());
    other.store = new Uint8Array(0);
    other.used = 0;
  }
  /** Takes all bytes, leaving the buffer empty. */
  take(): Uint8Array {
    const d = this.store.slice(0, this.used);
    this.store = new Uint8Array(0);
    this.used = 0;
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
