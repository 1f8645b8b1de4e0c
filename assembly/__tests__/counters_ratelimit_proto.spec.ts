import { encodeRateLimitRequest, decodeRateLimitResponse, RlsDescriptor, RlsAnswer, RlsCode, varintSize } from "../counters/ratelimit_proto";

function utf8(s: string): ArrayBuffer { return String.UTF8.encode(s); }

function hex(b: ArrayBuffer): string {
  const u = Uint8Array.wrap(b);
  let out = "";
  for (let i = 0; i < u.length; i++) {
    const v = u[i];
    out += (v < 16 ? "0" : "") + v.toString(16);
  }
  return out;
}

function bytes(values: Array<u8>): ArrayBuffer {
  const out = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(out) + i, values[i]);
  return out;
}

function decode(b: ArrayBuffer, out: RlsAnswer): bool {
  return decodeRateLimitResponse(changetype<usize>(b), <usize>b.byteLength, out);
}

// overall_code OVER_LIMIT; statuses: {code OK, current_limit {100, MINUTE}, remaining 7, reset 12.5s},
// {code OVER_LIMIT}; then an unknown field 9 (len 2) and raw_body (5).
const ANSWER: Array<u8> = [
  0x08, 0x02,
  0x12, 0x14, 0x08, 0x01, 0x12, 0x04, 0x08, 0x64, 0x10, 0x02, 0x18, 0x07, 0x22, 0x08, 0x08, 0x0c, 0x10, 0x80, 0xca, 0xb5, 0xee, 0x01,
  0x12, 0x02, 0x08, 0x02,
  0x4a, 0x02, 0x01, 0x02,
  0x2a, 0x01, 0x78,
];

describe("ratelimit proto: RateLimitRequest", () => {
  it("writes domain, one descriptor with two entries, and hits_addend", () => {
    const d = new RlsDescriptor().add(utf8("k"), utf8("v")).add(utf8("a"), utf8("bc"));
    const b = encodeRateLimitRequest(utf8("dom"), [d], 300);
    expect(hex(b)).toBe("0a03646f6d" + "1211" + "0a06" + "0a016b" + "120176" + "0a07" + "0a0161" + "12026263" + "18ac02");
  });
  it("leaves hits_addend 0 and an empty domain out, as proto3 does", () => {
    const b = encodeRateLimitRequest(new ArrayBuffer(0), [new RlsDescriptor().add(utf8("k"), utf8("v"))], 0);
    expect(hex(b)).toBe("1208" + "0a06" + "0a016b" + "120176");
  });
  it("writes lengths past 127 as two-byte varints", () => {
    const long = "x".repeat(200);
    const b = encodeRateLimitRequest(utf8(long), [], 1);
    expect(b.byteLength).toBe(1 + 2 + 200 + 2);
    expect(hex(b.slice(0, 3))).toBe("0ac801");
  });
  it("sizes varints", () => {
    expect(varintSize(0)).toBe(1);
    expect(varintSize(127)).toBe(1);
    expect(varintSize(128)).toBe(2);
    expect(varintSize(u64.MAX_VALUE)).toBe(10);
  });
});

describe("ratelimit proto: RateLimitResponse", () => {
  it("reads the overall code and every status, skipping unknown fields", () => {
    const a = new RlsAnswer();
    expect(decode(bytes(ANSWER), a)).toBe(true);
    expect(a.overallCode).toBe(RlsCode.OverLimit);
    expect(a.count).toBe(2);
    expect(a.status(0).code).toBe(RlsCode.Ok);
    expect(a.status(0).hasCurrentLimit).toBe(true);
    expect(a.status(0).requestsPerUnit).toBe(100);
    expect(a.status(0).unit).toBe(2);
    expect(a.status(0).limitRemaining).toBe(7);
    expect(a.status(0).resetMs).toBe(12500);
    expect(a.status(1).code).toBe(RlsCode.OverLimit);
    expect(a.status(1).hasCurrentLimit).toBe(false);
    expect(a.status(1).limitRemaining).toBe(0);
  });
  it("reads an empty answer as code UNKNOWN without statuses", () => {
    const a = new RlsAnswer();
    expect(decode(new ArrayBuffer(0), a)).toBe(true);
    expect(a.overallCode).toBe(RlsCode.Unknown);
    expect(a.count).toBe(0);
  });
  it("resets a reused answer", () => {
    const a = new RlsAnswer();
    decode(bytes(ANSWER), a);
    expect(decode(bytes([0x08, 0x01]), a)).toBe(true);
    expect(a.overallCode).toBe(RlsCode.Ok);
    expect(a.count).toBe(0);
  });
  it("refuses every truncation of a valid answer that cuts a field", () => {
    const full = bytes(ANSWER);
    let accepted = 0;
    for (let n = 0; n < full.byteLength; n++) {
      if (decode(full.slice(0, n), new RlsAnswer())) accepted++;
    }
    // Only the cuts that fall between top-level fields read cleanly: 0, 2, 24, 28, 32.
    expect(accepted).toBe(5);
  });
  it("refuses a length past the end, field 0, groups, and an 11-byte varint", () => {
    expect(decode(bytes([0x12, 0x7f, 0x08]), new RlsAnswer())).toBe(false);
    expect(decode(bytes([0x00, 0x01]), new RlsAnswer())).toBe(false);
    expect(decode(bytes([0x0b, 0x0c]), new RlsAnswer())).toBe(false);
    expect(decode(bytes([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), new RlsAnswer())).toBe(false);
    expect(decode(bytes([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f]), new RlsAnswer())).toBe(false);
  });
  it("reads an out-of-range enum as an unknown code, not a trap", () => {
    const a = new RlsAnswer();
    expect(decode(bytes([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), a)).toBe(true);
    expect(a.overallCode).toBe(-1);
  });
  it("refuses more statuses than any request of ours asks for", () => {
    const n = 1025;
    const b = new ArrayBuffer(n * 2);
    for (let i = 0; i < n; i++) { store<u8>(changetype<usize>(b) + i * 2, 0x12); store<u8>(changetype<usize>(b) + i * 2 + 1, 0); }
    expect(decode(b, new RlsAnswer())).toBe(false);
    expect(decode(b.slice(0, 2048), new RlsAnswer())).toBe(true);
  });
  it("survives pseudo-random bytes", () => {
    let seed: u32 = 12345;
    const a = new RlsAnswer();
    for (let round = 0; round < 2000; round++) {
      const len = <i32>(seed % 64);
      const b = new ArrayBuffer(len);
      for (let i = 0; i < len; i++) {
        seed = seed * 1103515245 + 12345;
        store<u8>(changetype<usize>(b) + i, <u8>(seed >> 16));
      }
      decode(b, a);
      seed = seed * 1103515245 + 12345;
    }
    expect(a.count >= 0).toBe(true);
  });
});
