// A compact, self-delimiting text encoding of CEL values used to pass bindings into and
// results out of the test build (test/cel/wire.ts is the Node side):
//
//   n                 null            t / f            bool
//   i<decimal>;       int             u<decimal>;      uint
//   d<16 hex>         double (IEEE bits, exact)
//   s<len>:<text>     string (len in UTF-16 units)
//   b<len>:<hex>      bytes (len in bytes)
//   l<count>:<v>...   list            m<count>:<k><v>... map
//   T<len>:<name>     type            e<len>:<text>    error
//
// Decoding is bounds-checked; malformed input decodes to an Error value.

import { Value, Kind, MapValue } from "../value";

export class WireReader {
  s: string;
  pos: i32 = 0;
  bad: bool = false;

  constructor(s: string) { this.s = s; }

  private num(): i64 {
    let neg = false;
    if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 0x2d) { neg = true; this.pos++; }
    let v: u64 = 0;
    let digits = 0;
    while (this.pos < this.s.length) {
      const d = <u32>this.s.charCodeAt(this.pos) - 0x30;
      if (d > 9) break;
      v = v * 10 + <u64>d;
      this.pos++;
      digits++;
    }
    if (digits == 0) this.bad = true;
    return neg ? -<i64>v : <i64>v;
  }

  private expect(c: i32): void {
    if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == c) this.pos++;
    else this.bad = true;
  }

  private text(): string {
    const n = <i32>this.num();
    this.expect(0x3a);
    if (this.bad || n < 0 || this.pos + n > this.s.length) { this.bad = true; return ""; }
    const t = this.s.substring(this.pos, this.pos + n);
    this.pos += n;
    return t;
  }

  value(depth: i32): Value {
    if (this.bad || this.pos >= this.s.length || depth > 64) { this.bad = true; return Value.error("bad wire"); }
    const c = this.s.charCodeAt(this.pos++);
    switch (c) {
      case 0x6e: return Value.null();
      case 0x74: return Value.bool(true);
      case 0x66: return Value.bool(false);
      case 0x69: { const v = this.num(); this.expect(0x3b); return Value.int(v); }
      case 0x75: { const v = this.num(); this.expect(0x3b); return Value.uint(<u64>v); }
      case 0x64: {
        if (this.pos + 16 > this.s.length) { this.bad = true; return Value.error("bad wire"); }
        const bits = U64.parseInt(this.s.substring(this.pos, this.pos + 16), 16);
        this.pos += 16;
        return Value.double(reinterpret<f64>(bits));
      }
      case 0x73: return Value.string(this.text());
      case 0x54: return Value.typeValue(this.text());
      case 0x65: return Value.error(this.text());
      case 0x62: {
        const n = <i32>this.num();
        this.expect(0x3a);
        if (this.bad || n < 0 || this.pos + 2 * n > this.s.length) { this.bad = true; return Value.error("bad wire"); }
        const buf = new ArrayBuffer(n);
        for (let i = 0; i < n; i++) {
          store<u8>(changetype<usize>(buf) + <usize>i, <u8>U32.parseInt(this.s.substring(this.pos + 2 * i, this.pos + 2 * i + 2), 16));
        }
        this.pos += 2 * n;
        return Value.bytes(buf);
      }
      case 0x6c: {
        const n = <i32>this.num();
        this.expect(0x3a);
        const out = new Array<Value>();
        for (let i = 0; i < n && !this.bad; i++) out.push(this.value(depth + 1));
        return Value.list(out);
      }
      case 0x6d: {
        const n = <i32>this.num();
        this.expect(0x3a);
        const m = new MapValue();
        for (let i = 0; i < n && !this.bad; i++) {
          const k = this.value(depth + 1);
          const v = this.value(depth + 1);
          m.push(k, v);
        }
        return Value.map(m);
      }
    }
    this.bad = true;
    return Value.error("bad wire");
  }
}

const HEX = "0123456789abcdef";

function hex64(v: u64): string {
  let s = "";
  for (let i = 15; i >= 0; i--) s += HEX.charAt(<i32>((v >> (<u64>i * 4)) & 15));
  return s;
}

/** Encodes `v` (see the format above). */
export function encodeValue(v: Value, out: Array<string>): void {
  switch (v.kind) {
    case Kind.Null: out.push("n"); return;
    case Kind.Bool: out.push(v.b ? "t" : "f"); return;
    case Kind.Int: out.push("i" + v.i.toString() + ";"); return;
    case Kind.Uint: out.push("u" + (<u64>v.i).toString() + ";"); return;
    case Kind.Double: out.push("d" + hex64(reinterpret<u64>(v.d))); return;
    case Kind.String: out.push("s" + v.str.length.toString() + ":" + v.str); return;
    case Kind.Type: out.push("T" + v.str.length.toString() + ":" + v.str); return;
    case Kind.Error: out.push("e" + v.str.length.toString() + ":" + v.str); return;
    case Kind.Bytes: {
      const b = v.bytes;
      const n = b === null ? 0 : b.byteLength;
      let h = "";
      for (let i = 0; i < n; i++) {
        const x = <i32>load<u8>(changetype<usize>(b) + <usize>i);
        h += HEX.charAt(x >> 4) + HEX.charAt(x & 15);
      }
      out.push("b" + n.toString() + ":" + h);
      return;
    }
    case Kind.List: {
      const l = v.list;
      const n = l === null ? 0 : l.length;
      out.push("l" + n.toString() + ":");
      if (l !== null) for (let i = 0; i < n; i++) encodeValue(unchecked(l[i]), out);
      return;
    }
    case Kind.Map: {
      const m = v.map;
      const n = m === null ? 0 : m.entryCount();
      out.push("m" + n.toString() + ":");
      if (m !== null) for (let i = 0; i < n; i++) {
        encodeValue(unchecked(m.keys[i]), out);
        encodeValue(unchecked(m.values[i]), out);
      }
      return;
    }
  }
  out.push("e7:unknown");
}
