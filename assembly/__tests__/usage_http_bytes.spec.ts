// The header readings made on the host's bytes in place read every value exactly as the
// string readings read it decoded (as the filter decoded header values before): named
// cases for the edges, then a deterministic randomized comparison over values built from
// the bytes that matter (digits, the media types' letters in both cases, blanks, ';',
// non-ASCII and malformed UTF-8, overlong encodings of ASCII).
import {
  mayCarryJson, mayCarryJsonBytes, parseStatusCode, parseStatusCodeBytes, isReadableEncoding, isReadableEncodingBytes,
  parseContentLength, parseContentLengthBytes, modeForContentTypeBytes,
} from "../usage/http";
import { modeForContentType, MODE_SNIFF, MODE_JSON, MODE_SSE, MODE_NDJSON } from "../usage/reader";

function bytes(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}
function ptr(b: ArrayBuffer): usize {
  return changetype<usize>(b);
}
function len(b: ArrayBuffer): usize {
  return <usize>b.byteLength;
}
function raw(values: u8[]): ArrayBuffer {
  const b = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(ptr(b) + <usize>i, values[i]);
  return b;
}

describe("header values read in place: named cases", () => {
  it("an absent header (no bytes) reads as the string readers read null", () => {
    expect(parseStatusCodeBytes(0, 0)).toBe(parseStatusCode(null));
    expect(parseContentLengthBytes(0, 0)).toBe(parseContentLength(null));
    expect(mayCarryJsonBytes(0, 0)).toBe(mayCarryJson(null));
    expect(isReadableEncodingBytes(0, 0)).toBe(isReadableEncoding(null));
    expect(modeForContentTypeBytes(0, 0)).toBe(MODE_SNIFF);
  });
  it(":status: one to three digits, anything else 0", () => {
    const cases = ["200", "429", "5", "099", "2000", " 200", "200 ", "2a0", "-20", "+20", "", "１２３"];
    const want: i32[] = [200, 429, 5, 99, 0, 0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < cases.length; i++) {
      const b = bytes(cases[i]);
      expect(parseStatusCodeBytes(ptr(b), len(b))).toBe(want[i], cases[i]);
      expect(parseStatusCodeBytes(ptr(b), len(b))).toBe(parseStatusCode(cases[i]), cases[i]);
    }
  });
  it("content-length: up to 16 digits and at most 2^53, anything else -1", () => {
    const cases = ["0", "1234", "9007199254740992", "9007199254740993", "12345678901234567", " 12", "12 ", "1e3", "-1", ""];
    const want: i64[] = [0, 1234, 9007199254740992, -1, -1, -1, -1, -1, -1, -1];
    for (let i = 0; i < cases.length; i++) {
      const b = bytes(cases[i]);
      expect(parseContentLengthBytes(ptr(b), len(b))).toBe(want[i], cases[i]);
    }
  });
  it("content-encoding: none or identity in any case is readable; anything else is not", () => {
    const cases = ["identity", "IDENTITY", "Identity", "gzip", " identity", "identity ", "identit", "identityx", "ıdentity", "İdentity"];
    const want: bool[] = [true, true, true, false, false, false, false, false, false, false];
    for (let i = 0; i < cases.length; i++) {
      const b = bytes(cases[i]);
      expect(isReadableEncodingBytes(ptr(b), len(b))).toBe(want[i], cases[i]);
      expect(isReadableEncodingBytes(ptr(b), len(b))).toBe(isReadableEncoding(cases[i]), cases[i]);
    }
  });
  it("request content-type: forms and uploads are not read, after leading spaces and tabs, in any case", () => {
    const cases = ["application/json", " \tMultipart/form-data", "\nmultipart/x", "application/X-WWW-FORM-urlencoded;a=b", "audio/", "image", "Video/mp4", "\u00a0audio/x"];
    const want: bool[] = [true, false, true, false, false, true, false, true];
    for (let i = 0; i < cases.length; i++) {
      const b = bytes(cases[i]);
      expect(mayCarryJsonBytes(ptr(b), len(b))).toBe(want[i], cases[i]);
      expect(mayCarryJsonBytes(ptr(b), len(b))).toBe(mayCarryJson(cases[i]), cases[i]);
    }
  });
  it("response content-type: the media type before ';', blanks (ASCII and U+00A0, U+FEFF) trimmed, case ignored", () => {
    const cases = ["text/event-stream", " Text/Event-Stream ; charset=utf-8", "application/json", "application/problem+json",
      "x/JSON", "application/x-ndjson", "application/jsonl", "\u00a0application/json\ufeff", "\u00a0\u00a0", "text/plain", ";application/json",
      "\r\n\t\x0b\x0ctext/event-stream\x0c\x0b\t\n\r ", "\x0ctext/event-stream", "text/event-stream\x0b", "\x0etext/event-stream", "application/json\u00e9"];
    const want: i32[] = [MODE_SSE, MODE_SSE, MODE_JSON, MODE_JSON, MODE_JSON, MODE_NDJSON, MODE_NDJSON, MODE_JSON, MODE_SNIFF, MODE_SNIFF, MODE_SNIFF,
      MODE_SSE, MODE_SSE, MODE_SSE, MODE_SNIFF, MODE_SNIFF];
    for (let i = 0; i < cases.length; i++) {
      const b = bytes(cases[i]);
      expect(modeForContentTypeBytes(ptr(b), len(b))).toBe(want[i], cases[i]);
    }
  });
  it("malformed UTF-8 reads as its decoding always read: an overlong '2' '0' '0' is a status, as the decoder makes it one", () => {
    const overlong = raw([0xc0, 0xb2, 0xc0, 0xb0, 0xc0, 0xb0]);
    expect(parseStatusCodeBytes(ptr(overlong), len(overlong))).toBe(parseStatusCode(String.UTF8.decodeUnsafe(ptr(overlong), len(overlong))));
    const truncated = raw([0x32, 0x30, 0xe2]);
    expect(parseStatusCodeBytes(ptr(truncated), len(truncated))).toBe(parseStatusCode(String.UTF8.decodeUnsafe(ptr(truncated), len(truncated))));
  });
  it("a huge value is read without trapping", () => {
    const big = new ArrayBuffer(1 << 20);
    memory.fill(ptr(big), 0x37, 1 << 20);
    expect(parseStatusCodeBytes(ptr(big), len(big))).toBe(0);
    expect(parseContentLengthBytes(ptr(big), len(big))).toBe(-1);
    expect(isReadableEncodingBytes(ptr(big), len(big))).toBe(false);
    expect(mayCarryJsonBytes(ptr(big), len(big))).toBe(true);
    expect(modeForContentTypeBytes(ptr(big), len(big))).toBe(MODE_SNIFF);
    store<u8>(ptr(big) + 7, 0xff);
    expect(parseContentLengthBytes(ptr(big), len(big))).toBe(-1);
    expect(modeForContentTypeBytes(ptr(big), len(big))).toBe(MODE_SNIFF);
  });
});

let seed: u32 = 0x2545F491;
function rand(): u32 {
  let x = seed;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  seed = x;
  return x;
}
function below(n: i32): i32 {
  return <i32>(rand() % <u32>n);
}

// Whole fragments that steer values onto the interesting paths, and single bytes.
const FRAGMENTS: string[] = [
  "multipart/", "application/x-www-form-urlencoded", "audio/", "image/", "video/", "identity", "text/event-stream",
  "application/json", "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines",
  "application/jsonlines", "+json", "/json", "; charset=utf-8", "200", "429", "9007199254740992",
];
const SINGLE: u8[] = [
  0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c, 0x3b, 0x2f, 0x2b, 0x30, 0x31, 0x32, 0x35, 0x39, 0x41, 0x49, 0x4a, 0x53, 0x4d, 0x69, 0x6a, 0x73,
  0x00, 0x7f, 0x80, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xe2, 0xef, 0xbb, 0xf0, 0xff,
];
// Multi-byte pieces: U+00A0, U+FEFF, overlong ASCII (' ', '2', ';', 'a'), U+0130 'İ', U+212A KELVIN SIGN.
const PIECES: u8[][] = [
  [0xc2, 0xa0], [0xef, 0xbb, 0xbf], [0xc0, 0xa0], [0xc0, 0xb2], [0xc0, 0xbb], [0xc1, 0xa1], [0xc4, 0xb0], [0xe2, 0x84, 0xaa],
];

/** A value of up to 48 bytes from fragments (upper-cased at random), pieces and single bytes. */
function randomValue(): ArrayBuffer {
  const out = new Array<u8>();
  const parts = below(5);
  for (let p = 0; p < parts; p++) {
    const kind = below(3);
    if (kind == 0) {
      const f = FRAGMENTS[below(FRAGMENTS.length)];
      const upper = below(3) == 0;
      for (let i = 0; i < f.length; i++) {
        let c = <u8>f.charCodeAt(i);
        if (upper && c >= 0x61 && c <= 0x7a && below(2) == 0) c -= 0x20;
        out.push(c);
      }
    } else if (kind == 1) {
      const piece = PIECES[below(PIECES.length)];
      for (let i = 0; i < piece.length; i++) out.push(piece[i]);
    } else {
      const n = 1 + below(3);
      for (let i = 0; i < n; i++) out.push(below(4) == 0 ? <u8>rand() : SINGLE[below(SINGLE.length)]);
    }
  }
  // Sometimes cut the value short (inside a fragment or a multi-byte piece).
  if (out.length > 0 && below(4) == 0) out.length = below(out.length);
  return raw(out);
}

describe("header values read in place: randomized comparison with the string readers", () => {
  it("every reading agrees with the string reading of the decoded value, over 20000 values", () => {
    let differences = 0;
    let asciiValues = 0;
    let otherValues = 0;
    let statuses = 0;
    let lengths = 0;
    let unreadable = 0;
    let forms = 0;
    let modes = new StaticArray<i32>(4);
    for (let round = 0; round < 20000; round++) {
      const b = randomValue();
      const p = ptr(b);
      const n = len(b);
      const s = String.UTF8.decodeUnsafe(p, n);
      let ascii = true;
      for (let i: usize = 0; i < n; i++) if (load<u8>(p + i) >= 0x80) ascii = false;
      if (ascii) asciiValues++; else otherValues++;
      const status = parseStatusCodeBytes(p, n);
      if (status != parseStatusCode(s)) differences++;
      if (status != 0) statuses++;
      const length = parseContentLengthBytes(p, n);
      if (length != parseContentLength(s)) differences++;
      if (length >= 0) lengths++;
      const readable = isReadableEncodingBytes(p, n);
      if (readable != isReadableEncoding(s)) differences++;
      if (!readable) unreadable++;
      const json = mayCarryJsonBytes(p, n);
      if (json != mayCarryJson(s)) differences++;
      if (!json) forms++;
      const mode = modeForContentTypeBytes(p, n);
      if (mode != modeForContentType(s)) differences++;
      modes[mode]++;
    }
    expect(differences).toBe(0);
    // The values reached both the byte path and the decoding path, and every outcome.
    expect(asciiValues).toBeGreaterThan(5000);
    expect(otherValues).toBeGreaterThan(5000);
    expect(statuses).toBeGreaterThan(100);
    expect(lengths).toBeGreaterThan(100);
    expect(unreadable).toBeGreaterThan(100);
    expect(forms).toBeGreaterThan(100);
    for (let m = 0; m < 4; m++) expect(modes[m]).toBeGreaterThan(50);
  });
});
