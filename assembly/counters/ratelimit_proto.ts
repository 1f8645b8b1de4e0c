// The protobuf messages of the rate-limit services, written and read by hand (the filter
// links no protobuf runtime). Both services take envoy.service.ratelimit.v3.RateLimitRequest
// and answer RateLimitResponse (envoy/service/ratelimit/v3/rls.proto; Kuadrant's
// kuadrant.service.ratelimit.v1 reuses them):
//
//   RateLimitRequest   { string domain = 1; repeated RateLimitDescriptor descriptors = 2; uint32 hits_addend = 3; }
//   RateLimitDescriptor{ repeated Entry entries = 1; }           Entry { string key = 1; string value = 2; }
//   RateLimitResponse  { Code overall_code = 1; repeated DescriptorStatus statuses = 2; ... }
//   DescriptorStatus   { Code code = 1; RateLimit current_limit = 2; uint32 limit_remaining = 3;
//                        google.protobuf.Duration duration_until_reset = 4; ... }
//   RateLimit          { uint32 requests_per_unit = 1; Unit unit = 2; string name = 3; }
//   Duration           { int64 seconds = 1; int32 nanos = 2; }
//
// Answers are hostile bytes: every varint and length is bounds-checked, unknown fields are
// skipped, and anything malformed is a `false` result, never a trap.

/** RateLimitResponse.Code. */
export namespace RlsCode {
  export const Unknown: i32 = 0;
  export const Ok: i32 = 1;
  export const OverLimit: i32 = 2;
}

/** One descriptor of a request: its entries, keys and values as UTF-8 bytes, in order. */
export class RlsDescriptor {
  keys: Array<ArrayBuffer> = new Array<ArrayBuffer>();
  values: Array<ArrayBuffer> = new Array<ArrayBuffer>();

  add(key: ArrayBuffer, value: ArrayBuffer): RlsDescriptor {
    this.keys.push(key);
    this.values.push(value);
    return this;
  }
}

const WIRE_VARINT: u32 = 0;
const WIRE_I64: u32 = 1;
const WIRE_LEN: u32 = 2;
const WIRE_I32: u32 = 5;

/** Bytes a varint of `v` takes. */
export function varintSize(v: u64): i32 {
  let n = 1;
  while (v >= 0x80) { v >>= 7; n++; }
  return n;
}

/** Size of a length-delimited field (one-byte tag) carrying `len` bytes. */
function lenFieldSize(len: i32): i32 {
  return 1 + varintSize(<u64>len) + len;
}

function entrySize(key: ArrayBuffer, value: ArrayBuffer): i32 {
  return lenFieldSize(key.byteLength) + lenFieldSize(value.byteLength);
}

function descriptorSize(d: RlsDescriptor): i32 {
  let n = 0;
  const count = min(d.keys.length, d.values.length);
  for (let i = 0; i < count; i++) n += lenFieldSize(entrySize(unchecked(d.keys[i]), unchecked(d.values[i])));
  return n;
}

/** Writes into a buffer sized in advance (sizes are computed before writing). */
class ProtoWriter {
  pos: usize;
  constructor(public buf: ArrayBuffer) { this.pos = changetype<usize>(buf); }

  varint(v: u64): void {
    while (v >= 0x80) {
      store<u8>(this.pos++, <u8>(v & 0x7f) | 0x80);
      v >>= 7;
    }
    store<u8>(this.pos++, <u8>v);
  }

  tag(field: u32, wire: u32): void { this.varint(<u64>((field << 3) | wire)); }

  bytes(field: u32, b: ArrayBuffer): void {
    this.tag(field, WIRE_LEN);
    this.varint(<u64>b.byteLength);
    memory.copy(this.pos, changetype<usize>(b), <usize>b.byteLength);
    this.pos += <usize>b.byteLength;
  }
}

/**
 * Serializes a RateLimitRequest. `hitsAddend` 0 is left out (proto3's default). A
 * descriptor's keys and values are paired by index (extra ones on either side are
 * dropped). Allocates the result only.
 */
export function encodeRateLimitRequest(domain: ArrayBuffer, descriptors: Array<RlsDescriptor>, hitsAddend: u32): ArrayBuffer {
  let size = domain.byteLength > 0 ? lenFieldSize(domain.byteLength) : 0;
  for (let i = 0; i < descriptors.length; i++) size += lenFieldSize(descriptorSize(unchecked(descriptors[i])));
  if (hitsAddend > 0) size += 1 + varintSize(<u64>hitsAddend);
  const out = new ArrayBuffer(size);
  const w = new ProtoWriter(out);
  if (domain.byteLength > 0) w.bytes(1, domain);
  for (let i = 0; i < descriptors.length; i++) {
    const d = unchecked(descriptors[i]);
    w.tag(2, WIRE_LEN);
    w.varint(<u64>descriptorSize(d));
    const count = min(d.keys.length, d.values.length);
    for (let j = 0; j < count; j++) {
      const k = unchecked(d.keys[j]);
      const v = unchecked(d.values[j]);
      w.tag(1, WIRE_LEN);
      w.varint(<u64>entrySize(k, v));
      w.bytes(1, k);
      w.bytes(2, v);
    }
  }
  if (hitsAddend > 0) {
    w.tag(3, WIRE_VARINT);
    w.varint(<u64>hitsAddend);
  }
  return out;
}

/** One DescriptorStatus of an answer. Absent fields keep their zero values. */
export class RlsStatus {
  code: i32 = RlsCode.Unknown;
  limitRemaining: u32 = 0;
  hasCurrentLimit: bool = false;
  requestsPerUnit: u32 = 0;
  unit: i32 = 0;
  /** duration_until_reset in ms (0 when absent or negative). */
  resetMs: i64 = 0;
  hasReset: bool = false;

  reset(): void {
    this.code = RlsCode.Unknown;
    this.limitRemaining = 0;
    this.hasCurrentLimit = false;
    this.requestsPerUnit = 0;
    this.unit = 0;
    this.resetMs = 0;
    this.hasReset = false;
  }
}

/** Most statuses an answer may carry; more is a malformed answer (we send far fewer descriptors). */
export const MAX_RLS_STATUSES: i32 = 1024;

/** A decoded RateLimitResponse. Reused: `decodeRateLimitResponse` resets it. */
export class RlsAnswer {
  overallCode: i32 = RlsCode.Unknown;
  statuses: Array<RlsStatus> = new Array<RlsStatus>();
  count: i32 = 0;

  /** The status at `i` (0 <= i < count). */
  status(i: i32): RlsStatus { return unchecked(this.statuses[i]); }

  nextStatus(): RlsStatus {
    if (this.count == this.statuses.length) this.statuses.push(new RlsStatus());
    const s = unchecked(this.statuses[this.count++]);
    s.reset();
    return s;
  }
}

/** Reads varints and fields over [pos, end); `ok` turns false at the first malformed byte. */
class ProtoReader {
  ok: bool = true;
  constructor(public pos: usize, public end: usize) {}

  more(): bool { return this.ok && this.pos < this.end; }

  /** The wire type of the field `field()` last read. */
  wire: u32 = 0;

  /** Reads a field's key: its number (0 for a malformed key, which ends decoding) and `wire`. */
  field(): u64 {
    const key = this.varint();
    if (!this.ok) return 0;
    this.wire = <u32>(key & 7);
    return key >> 3;
  }

  varint(): u64 {
    let v: u64 = 0;
    for (let shift: u64 = 0; shift < 64; shift += 7) {
      if (this.pos >= this.end) { this.ok = false; return 0; }
      const b = <u64>load<u8>(this.pos++);
      v |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    this.ok = false;
    return 0;
  }

  /** The length of a length-delimited field, checked against what is left. */
  length(): usize {
    const n = this.varint();
    if (!this.ok || n > <u64>(this.end - this.pos)) { this.ok = false; return 0; }
    return <usize>n;
  }

  /** Skips a field of wire type `wire`; groups and unknown wire types are malformed. */
  skip(wire: u32): void {
    if (wire == WIRE_VARINT) { this.varint(); return; }
    let n: usize = 0;
    if (wire == WIRE_I64) n = 8;
    else if (wire == WIRE_I32) n = 4;
    else if (wire == WIRE_LEN) n = this.length();
    else { this.ok = false; return; }
    if (!this.ok || n > this.end - this.pos) { this.ok = false; return; }
    this.pos += n;
  }
}

/**
 * Decodes the `len` bytes at `ptr` as a RateLimitResponse into `out`. Returns false on
 * malformed bytes or more than MAX_RLS_STATUSES statuses (then `out` is unspecified).
 * Unknown fields are skipped. Allocates only when `out` needs more statuses than it had.
 */
export function decodeRateLimitResponse(ptr: usize, len: usize, out: RlsAnswer): bool {
  out.overallCode = RlsCode.Unknown;
  out.count = 0;
  const r = new ProtoReader(ptr, ptr + len);
  while (r.more()) {
    const field = r.field();
    if (field == 0) return false;
    const wire = r.wire;
    if (field == 1 && wire == WIRE_VARINT) out.overallCode = enumValue(r.varint());
    else if (field == 2 && wire == WIRE_LEN) {
      const n = r.length();
      if (!r.ok) return false;
      if (out.count >= MAX_RLS_STATUSES) return false;
      if (!decodeStatus(r.pos, r.pos + n, out.nextStatus())) return false;
      r.pos += n;
    } else r.skip(wire);
  }
  return r.ok;
}

function decodeStatus(start: usize, end: usize, s: RlsStatus): bool {
  const r = new ProtoReader(start, end);
  while (r.more()) {
    const field = r.field();
    if (field == 0) return false;
    const wire = r.wire;
    if (field == 1 && wire == WIRE_VARINT) s.code = enumValue(r.varint());
    else if (field == 2 && wire == WIRE_LEN) {
      const n = r.length();
      if (!r.ok || !decodeLimit(r.pos, r.pos + n, s)) return false;
      r.pos += n;
    } else if (field == 3 && wire == WIRE_VARINT) s.limitRemaining = <u32>r.varint();
    else if (field == 4 && wire == WIRE_LEN) {
      const n = r.length();
      if (!r.ok || !decodeDuration(r.pos, r.pos + n, s)) return false;
      r.pos += n;
    } else r.skip(wire);
  }
  return r.ok;
}

function decodeLimit(start: usize, end: usize, s: RlsStatus): bool {
  s.hasCurrentLimit = true;
  const r = new ProtoReader(start, end);
  while (r.more()) {
    const field = r.field();
    if (field == 0) return false;
    const wire = r.wire;
    if (field == 1 && wire == WIRE_VARINT) s.requestsPerUnit = <u32>r.varint();
    else if (field == 2 && wire == WIRE_VARINT) s.unit = enumValue(r.varint());
    else r.skip(wire);
  }
  return r.ok;
}

// Durations longer than this are clamped (a reset a year away means "not soon").
const MAX_RESET_SECONDS: i64 = 366 * 24 * 3600;

function decodeDuration(start: usize, end: usize, s: RlsStatus): bool {
  s.hasReset = true;
  let seconds: i64 = 0;
  let nanos: i64 = 0;
  const r = new ProtoReader(start, end);
  while (r.more()) {
    const field = r.field();
    if (field == 0) return false;
    const wire = r.wire;
    if (field == 1 && wire == WIRE_VARINT) seconds = <i64>r.varint();
    else if (field == 2 && wire == WIRE_VARINT) nanos = <i64><i32>r.varint();
    else r.skip(wire);
  }
  if (seconds < 0 || nanos < 0) s.resetMs = 0;
  else if (seconds > MAX_RESET_SECONDS) s.resetMs = MAX_RESET_SECONDS * 1000;
  else s.resetMs = seconds * 1000 + nanos / 1000000;
  return r.ok;
}

/** An enum's varint as i32; values beyond i32 become -1 (an unknown code). */
function enumValue(v: u64): i32 {
  return v > <u64>i32.MAX_VALUE ? -1 : <i32>v;
}
