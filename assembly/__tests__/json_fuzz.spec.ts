// Random and mutated inputs: the parser returns a value or an error with an in-range
// offset, never traps; valid documents round-trip. Seeds are fixed, so runs repeat.
import { parseJson, parseJsonBytes, JsonResult } from "../json/parse";
import { stringifyJson } from "../json/stringify";

let seed: u64 = 0x9e3779b97f4a7c15;
function rand(): u32 {
  // xorshift64*
  seed ^= seed >> 12; seed ^= seed << 25; seed ^= seed >> 27;
  return <u32>((seed * 0x2545f4914f6cdd1d) >> 32);
}
function below(n: i32): i32 { return <i32>(rand() % <u32>n); }

/** Checks the result contract; returns false (and says why) when it is broken. */
function consistent(r: JsonResult, len: i32): bool {
  if (r.value === null) return r.error.length > 0 && r.position >= 0 && r.position <= len;
  return r.error.length == 0 && r.position == 0;
}

function parseBuffer(buf: ArrayBuffer): JsonResult {
  return parseJsonBytes(changetype<usize>(buf), <usize>buf.byteLength);
}

const ALPHABET = "{}[]:,\"\\ntrufalse0123456789-+.eE \t\r\nu/'x";
const SEEDS: string[] = [
  "{\"limits\":{\"free\":{\"rates\":[{\"limit\":20000,\"window\":\"24h\"}],\"when\":[{\"predicate\":\"request.path == \\\"/v1/chat/completions\\\"\"}],\"counters\":[{\"expression\":\"auth.identity.userid\"}]}}}",
  "{\"sub\":\"alice\",\"groups\":[\"free\",\"beta\"],\"exp\":1735689600,\"n\":-1.5e-3,\"u\":\"\\ud83d\\ude00\\u00e9\",\"ok\":true,\"x\":null}",
  "[[[[]]],{},{\"a\":[1,2,{\"b\":\"c\"}]},\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]",
  "{\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":340,\"total_tokens\":352}}",
];

function randomString(): string {
  let s = "";
  const n = below(8);
  for (let i = 0; i < n; i++) {
    const k = below(10);
    if (k < 5) s += String.fromCharCode(0x61 + below(26));
    else if (k == 5) s += String.fromCharCode(below(32));            // control: must be escaped
    else if (k == 6) s += "\"\\/";
    else if (k == 7) s += "é€";
    else if (k == 8) s += "😀";
    else s += String.fromCharCode(0xd800 + below(0x800));              // lone surrogate
  }
  return s;
}

function ws(): string {
  const k = below(6);
  return k == 0 ? " " : k == 1 ? "\n\t" : k == 2 ? "\r\n  " : "";
}

/** A random valid document (as text); its canonical form comes from parsing it. */
function randomDoc(depth: i32): string {
  const k = below(depth > 0 ? 9 : 6);
  if (k == 0) return "null";
  if (k == 1) return below(2) == 0 ? "true" : "false";
  if (k == 2) return (<i64>rand() - 0x7fffffff).toString();
  if (k == 3) return (<f64>(<i32>rand()) / 1024.0).toString() + (below(2) == 0 ? "" : "e" + (below(40) - 20).toString());
  if (k == 4 || k == 5) {
    // Escape randomly: \uXXXX for anything, simple escapes, or raw where allowed.
    const s = randomString();
    let out = "\"";
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c == 0x22 || c == 0x5c || (c >= 0xd800 && c <= 0xdfff) || below(4) == 0) {
        const h = c.toString(16);
        out += "\\u" + "0000".substring(h.length) + h;
      } else out += String.fromCharCode(c);
    }
    return out + "\"";
  }
  const n = below(5);
  if (k == 6 || k == 7) {
    let out = "[" + ws();
    for (let i = 0; i < n; i++) out += (i > 0 ? "," + ws() : "") + randomDoc(depth - 1) + ws();
    return out + "]";
  }
  let out = "{" + ws();
  for (let i = 0; i < n; i++) {
    out += (i > 0 ? "," : "") + ws() + "\"k" + below(4).toString() + "\"" + ws() + ":" + ws() + randomDoc(depth - 1);
  }
  return out + ws() + "}";
}

function mutate(text: string): ArrayBuffer {
  const src = String.UTF8.encode(text);
  const n = src.byteLength;
  const k = below(5);
  const at = n == 0 ? 0 : below(n);
  const src8 = Uint8Array.wrap(src);
  if (k == 0) {
    // truncate
    return src.slice(0, at);
  } else if (k == 1) {
    // flip one byte to anything
    const out = src.slice(0);
    if (n > 0) store<u8>(changetype<usize>(out) + <usize>at, <u8>rand());
    return out;
  } else if (k == 2) {
    // delete a byte
    const out = new ArrayBuffer(max(n - 1, 0));
    const o8 = Uint8Array.wrap(out);
    for (let i = 0, j = 0; i < n; i++) if (i != at) { if (j < o8.length) o8[j] = src8[i]; j++; }
    return out;
  } else if (k == 3) {
    // insert a structural character
    const out = new ArrayBuffer(n + 1);
    const o8 = Uint8Array.wrap(out);
    for (let i = 0, j = 0; j < n + 1; j++) {
      if (j == at) o8[j] = <u8>ALPHABET.charCodeAt(below(ALPHABET.length));
      else { o8[j] = src8[i]; i++; }
    }
    return out;
  }
  // duplicate a slice
  const end = at + below(n - at + 1);
  const out = new ArrayBuffer(n + end - at);
  const o8 = Uint8Array.wrap(out);
  for (let i = 0; i < end; i++) o8[i] = src8[i];
  for (let i = at; i < n; i++) o8[end + i - at] = src8[i];
  return out;
}

describe("json fuzz", () => {
  it("never traps on 3000 random byte strings", () => {
    let bad = 0;
    for (let t = 0; t < 3000; t++) {
      const n = below(64);
      const buf = new ArrayBuffer(n);
      for (let i = 0; i < n; i++) store<u8>(changetype<usize>(buf) + <usize>i, <u8>rand());
      if (!consistent(parseBuffer(buf), n)) bad++;
    }
    expect(bad).toBe(0);
  });
  it("never traps on 3000 strings over the JSON alphabet", () => {
    let bad = 0, parsed = 0;
    for (let t = 0; t < 3000; t++) {
      const n = below(24);
      let s = "";
      for (let i = 0; i < n; i++) s += ALPHABET.charAt(below(ALPHABET.length));
      const r = parseJson(s);
      if (!consistent(r, String.UTF8.byteLength(s))) bad++;
      if (r.value !== null) parsed++;
    }
    expect(bad).toBe(0);
    expect(parsed).toBeGreaterThan(0);
  });
  it("never traps on 4000 mutations of real documents", () => {
    let bad = 0;
    for (let t = 0; t < 4000; t++) {
      let buf = mutate(SEEDS[below(SEEDS.length)]);
      // Mutations stack: apply a few more to some inputs.
      const extra = below(3);
      for (let e = 0; e < extra; e++) {
        buf = mutate(String.UTF8.decode(buf));
      }
      const r = parseBuffer(buf);
      if (!consistent(r, buf.byteLength)) bad++;
      const v = r.value;
      if (v !== null) {
        // Whatever parses prints to JSON that parses to the same thing.
        const once = stringifyJson(v);
        const again = parseJson(once).value;
        if (again === null || stringifyJson(again) != once) bad++;
      }
    }
    expect(bad).toBe(0);
  });
  it("parses 2000 random valid documents and round-trips them", () => {
    let bad = 0;
    for (let t = 0; t < 2000; t++) {
      const text = ws() + randomDoc(4) + ws();
      const r = parseJson(text);
      const v = r.value;
      if (v === null) { bad++; continue; }
      const once = stringifyJson(v);
      const again = parseJson(once).value;
      if (again === null || stringifyJson(again) != once) bad++;
    }
    expect(bad).toBe(0);
  });
  it("never traps on deep and unbalanced nesting", () => {
    let bad = 0;
    for (let t = 0; t < 300; t++) {
      let s = "";
      const n = below(600);
      for (let i = 0; i < n; i++) {
        // Openers twice as likely as closers, so walks pass the depth limit (128).
        const k = below(8) < 4 ? below(2) * 2 : below(6);
        s += k == 0 ? "[" : k == 1 ? "]" : k == 2 ? "{\"a\":" : k == 3 ? "}" : k == 4 ? "," : "1";
      }
      if (!consistent(parseJson(s), s.length)) bad++;
    }
    expect(bad).toBe(0);
  });
});
