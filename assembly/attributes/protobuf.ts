// A small protobuf wire-format reader for the messages Envoy hands us as attribute
// bytes (envoy.config.core.v3.Metadata, google.protobuf.Struct/Value/ListValue/Any).
// Every read is bounds-checked against the current limit; the first problem clears
// `ok` and every later read returns a zero value, so decoders loop until `next()` is
// false and then check `ok` once. Nothing here traps or allocates except `string()` /
// `bytesCopy()`.

/** Wire types of the protobuf encoding. Groups (3, 4) are obsolete and rejected. */
export namespace WireType {
  export const Varint: u32 = 0;
  export const Fixed64: u32 = 1;
  export const Len: u32 = 2;
  export const Fixed32: u32 = 5;
}

/** Largest field number protobuf allows (2^29 - 1). */
const MAX_FIELD: u32 = 536870911;

/**
 * Cursor over `[pos, end)` of `buf`. After `next()` returns true, `field` and `wire`
 * describe the field just read; the caller then reads its payload with `varint()`,
 * `fixed64()`, `fixed32()` or `len()` (which leaves the payload in `lenStart..lenEnd`
 * and moves past it), or skips it with `skip()`.
 */
export class ProtoReader {
  pos: i32;
  end: i32;
  ok: bool = true;
  field: u32 = 0;
  wire: u32 = 0;
  lenStart: i32 = 0;
  lenEnd: i32 = 0;

  constructor(public buf: ArrayBuffer, start: i32 = 0, end: i32 = -1) {
    const size = buf.byteLength;
    this.end = end < 0 || end > size ? size : end;
    this.pos = start < 0 ? 0 : (start > this.end ? this.end : start);
  }

  /** Marks the input malformed; every later read fails. Always returns false. */
  fail(): bool {
    this.ok = false;
    this.pos = this.end;
    return false;
  }

  /** Reads the next tag. False at the end of the current limit or on malformed input. */
  next(): bool {
    if (!this.ok || this.pos >= this.end) return false;
    const tag = this.varint();
    if (!this.ok) return false;
    if (tag > 0xFFFFFFFF) return this.fail();
    const field = <u32>(tag >>> 3);
    const wire = <u32>(tag & 7);
    if (field == 0 || field > MAX_FIELD) return this.fail();
    if (wire != WireType.Varint && wire != WireType.Fixed64 && wire != WireType.Len && wire != WireType.Fixed32) {
      return this.fail();
    }
    this.field = field;
    this.wire = wire;
    return true;
  }

  /** A base-128 varint of at most 10 bytes; the 10th byte may only carry bit 63. */
  varint(): u64 {
    let result: u64 = 0;
    let shift: u64 = 0;
    const base = changetype<usize>(this.buf);
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) { this.fail(); return 0; }
      const b = <u64>load<u8>(base + <usize>this.pos);
      this.pos++;
      if (i == 9 && b > 1) { this.fail(); return 0; }
      result |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) return result;
      shift += 7;
    }
    this.fail();
    return 0;
  }

  /** Eight little-endian bytes (double, fixed64, sfixed64). */
  fixed64(): u64 {
    if (this.end - this.pos < 8) { this.fail(); return 0; }
    const v = load<u64>(changetype<usize>(this.buf) + <usize>this.pos);
    this.pos += 8;
    return v;
  }

  /** Four little-endian bytes (float, fixed32, sfixed32). */
  fixed32(): u32 {
    if (this.end - this.pos < 4) { this.fail(); return 0; }
    const v = load<u32>(changetype<usize>(this.buf) + <usize>this.pos);
    this.pos += 4;
    return v;
  }

  /** A length-delimited payload: sets `lenStart`/`lenEnd` and moves past it. */
  len(): bool {
    const n = this.varint();
    if (!this.ok) return false;
    if (n > <u64>(this.end - this.pos)) return this.fail();
    this.lenStart = this.pos;
    this.lenEnd = this.pos + <i32>n;
    this.pos = this.lenEnd;
    return true;
  }

  /** Skips the payload of the field just read. */
  skip(): bool {
    if (this.wire == WireType.Varint) this.varint();
    else if (this.wire == WireType.Fixed64) this.fixed64();
    else if (this.wire == WireType.Len) this.len();
    else if (this.wire == WireType.Fixed32) this.fixed32();
    else this.fail();
    return this.ok;
  }

  /**
   * Narrows the reader to the payload just read by `len()` (an embedded message) and
   * returns the outer limit to pass to `leave()`.
   */
  enter(): i32 {
    const outer = this.end;
    this.pos = this.lenStart;
    this.end = this.lenEnd;
    return outer;
  }

  /** Restores the outer limit after an embedded message; the cursor moves past it. */
  leave(outer: i32): void {
    if (!this.ok) return;
    this.pos = this.end;
    this.end = outer;
  }

  /** The payload just read by `len()` as UTF-8 text (invalid sequences are replaced). Allocates. */
  string(): string {
    return String.UTF8.decodeUnsafe(changetype<usize>(this.buf) + <usize>this.lenStart, <usize>(this.lenEnd - this.lenStart));
  }

  /** A copy of the payload just read by `len()`. Allocates. */
  bytesCopy(): ArrayBuffer {
    return this.buf.slice(this.lenStart, this.lenEnd);
  }
}
