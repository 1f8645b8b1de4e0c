// The response scanner against its reference: the scanner as it was before its fast paths
// (assembly/usage/testing/reference_scanner.ts). Both read the same bytes, split into the
// same feeds, and after every feed a caller must observe the same thing from each: the
// counts committed and staged, generated-text bytes, documents, offsets, the error and
// where it is, the parse state, and in line mode how many bytes were consumed. Inputs are
// random JSON (keys on and off the configured paths, escapes, numbers of every shape,
// literals, whitespace), the same broken by byte edits, invalid UTF-8, deep nesting, and
// several documents in a row; feeds are split at every offset, at random offsets and one
// byte at a time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageModule } from "./module.ts";
import { rng } from "./bodies.ts";

const LONG_KEY = "k".repeat(64); // the longest key a path may name
// A scanner that stops making progress loops forever: a time limit turns that into a failure.
const LIMIT_MS = 300_000;

// Path sets: the OpenAI preset's own lines; array indexes, `*` and a root array; keys that
// only match when their escapes are decoded, at the length limit, and at the depth limit.
const PATH_SETS: string[][] = [
  [
    "input=usage.prompt_tokens", "output=usage.completion_tokens", "total=usage.total_tokens",
    "cached=usage.prompt_tokens_details.cached_tokens", "reasoning=usage.completion_tokens_details.reasoning_tokens",
    "text=choices.*.message.content", "text=choices.*.delta.content", "text=choices.*.text",
  ],
  [
    "input=*.usageMetadata.promptTokenCount", "output=candidates.0.n", "total=a.1.2.b",
    "text=candidates.*.content.parts.*.text", "cached=usage.prompt_tokens", "text=*.t",
  ],
  [
    "input=/k~1ey/\u00e9", `output=/${LONG_KEY}/x`, "total=/a\"b\\c", "text=/\u{1F600}/*",
    "cached=a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a", "reasoning=usage.prompt_tokens", "cacheWrite=/usage/", "text=/",
  ],
];

// Keys a body uses: the paths' own (plainly and through escapes), near misses, long ones.
const KEYS = [
  "usage", "prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "cached_tokens",
  "choices", "message", "delta", "content", "text", "usageMetadata", "promptTokenCount", "candidates", "parts", "n",
  "a", "b", "0", "*", "k/ey", "\u00e9", LONG_KEY, "k".repeat(63), "k".repeat(65), "a\"b\\c", "\u{1F600}", "", "x",
  "usage ", "Usage", "usag", "id", "object", "model",
];
const ESCAPED_KEYS = [
  "\"us\\u0061ge\"", "\"\\u0075sage\"", "\"prompt\\u005ftokens\"", "\"k\\/ey\"", "\"\\u00e9\"", "\"\\u00E9\"",
  "\"a\\\"b\\\\c\"", "\"\\ud83d\\ude00\"", "\"\\uD83D\\uDE00\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83dx\"",
  `"${"k".repeat(60)}\\u006b\\u006b\\u006b\\u006b"`, `"${"k".repeat(61)}\\u006b\\u006b\\u006b\\u006b"`,
  "\"us\\nage\"", "\"\\u0000\"", "\"\\\\\"", "\"usage\\u0000\"",
];
const NUMBERS = [
  "0", "7", "10", "123", "100000", "-0", "-45", "1.5", "2.0", "123.000", "123.001", "0.0", "-0.0", "1e3", "1E5",
  "-2E-2", "3.25e+2", "0e0", "12345678901234", "9223372036854775807", "9223372036854775808",
  "99999999999999999999999", "922337203685477580", "922337203685477581",
  // invalid
  "01", "-", "1.", "1e", "1e+", "--1", "+1", "1.e3", "-a", "00", ".5", "1ee", "1e+-1", "0x10",
];
const LITERALS = ["true", "false", "null", "tru", "fals", "nul", "truex", "nulll", "True", "nUll", "f"];
const STRING_PIECES = [
  "a", "b", " ", "xxxxxxxxxxxxxxxx", "\u00e9", "\u{1F600}", "\u6570", "'", "/", "\u007f",
  "\\n", "\\\"", "\\\\", "\\/", "\\t", "\\b", "\\f", "\\r", "\\u00e9", "\\u0041", "\\ud83d\\ude00", "\\uD800",
  "\\u0000", "\\uFFFF", "\\uabcd", "\\uABCD",
  // invalid
  "\\x", "\\u12", "\\u12g4", "\\", "\\U0041", "\t", "\u0001", "\n",
];
const INSERTS = [0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x00, 0x1F, 0x80, 0xFF, 0xC3, 0x0A, 0x0D, 0x20,
  0x30, 0x35, 0x65, 0x2D, 0x2E, 0x75, 0x74, 0x6E];

function generator(seed: number) {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const ws = () => (r() < 0.6 ? "" : pick([" ", "\n", "\t", "\r\n  ", "    ", "\r", " \n\n "]));
  const str = (): string => {
    let s = "\"";
    const n = Math.floor(r() * (r() < 0.1 ? 80 : 12));
    const bad = r() < 0.02;
    for (let i = 0; i < n; i++) {
      const piece = pick(STRING_PIECES);
      const valid = !/^(\\x|\\u12|\\u12g4|\\|\\U0041|\t|\u0001|\n)$/.test(piece);
      if (valid || bad) s += piece;
    }
    return s + "\"";
  };
  const key = (): string => (r() < 0.7 ? JSON.stringify(pick(KEYS)) : r() < 0.7 ? pick(ESCAPED_KEYS) : str());
  const scalar = (): string => {
    const k = r();
    if (k < 0.4) return r() < 0.97 ? pick(NUMBERS.slice(0, 24)) : pick(NUMBERS);
    if (k < 0.75) return str();
    return r() < 0.97 ? pick(LITERALS.slice(0, 3)) : pick(LITERALS);
  };
  const value = (depth: number): string => {
    const k = r();
    if (depth > 6 || k < 0.35) return scalar();
    if (k < 0.75) {
      const n = Math.floor(r() * 6);
      const members: string[] = [];
      for (let i = 0; i < n; i++) members.push(ws() + key() + ws() + ":" + ws() + value(depth + 1) + ws());
      return "{" + members.join(",") + (members.length ? "" : ws()) + "}";
    }
    const n = Math.floor(r() * 5);
    const items: string[] = [];
    for (let i = 0; i < n; i++) items.push(ws() + value(depth + 1) + ws());
    return "[" + items.join(",") + (items.length ? "" : ws()) + "]";
  };
  const deep = (): string => {
    const n = pick([15, 16, 17, 18, 1023, 1024, 1025, 1100]);
    const k = r();
    if (k < 0.3) return "[".repeat(n) + "1" + "]".repeat(n);
    if (k < 0.6) return "{\"a\":".repeat(n) + "7" + "}".repeat(n);
    return "{\"usage\":" + "[{\"a\":".repeat(n >> 1) + "2" + "}]".repeat(n >> 1) + ",\"prompt_tokens\":3}";
  };
  const mutate = (b: Uint8Array): Uint8Array => {
    const out = Array.from(b);
    const edits = 1 + Math.floor(r() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(r() * (out.length + 1));
      const k = r();
      if (k < 0.3 && out.length > 0) out.splice(Math.min(at, out.length - 1), 1);
      else if (k < 0.6) out.splice(at, 0, pick(INSERTS));
      else if (k < 0.8) out.splice(at, 0, Math.floor(r() * 256));
      else out.length = Math.min(out.length, at);
    }
    return Uint8Array.from(out);
  };
  // A key as a body may write it: plainly, or with one character escaped.
  const keyText = (name: string): string => {
    const plain = JSON.stringify(name);
    if (r() < 0.75 || name.length === 0) return plain;
    const chars = Array.from(name);
    const i = Math.floor(r() * chars.length);
    const cp = chars[i].codePointAt(0)!;
    const esc = cp > 0xFFFF
      ? "\\u" + (0xD800 + ((cp - 0x10000) >> 10)).toString(16) + "\\u" + (0xDC00 + ((cp - 0x10000) & 0x3FF)).toString(16)
      : chars[i] === "/" && r() < 0.5 ? "\\/" : "\\u" + cp.toString(16).padStart(4, "0");
    return JSON.stringify(chars.slice(0, i).join("")).slice(0, -1) + esc + JSON.stringify(chars.slice(i + 1).join("")).slice(1);
  };
  const leaf = (text: boolean): string => {
    if (r() < 0.15) return scalar();
    return text ? str() : r() < 0.85 ? pick(NUMBERS.slice(0, 24)) : pick(NUMBERS);
  };
  // A value that reaches `segs` below it (with noise around), ending in a count or text.
  const along = (segs: string[], text: boolean): string => {
    if (segs.length === 0) return leaf(text);
    const [seg, ...rest] = segs;
    const isIndex = seg === "*" || /^\d+$/.test(seg);
    if (isIndex && r() < 0.85) {
      const at = seg === "*" ? Math.floor(r() * 3) : Number(seg);
      const items: string[] = [];
      for (let i = 0; i <= at + Math.floor(r() * 2); i++) {
        items.push(ws() + (i === at || (seg === "*" && r() < 0.5) ? along(rest, text) : value(4)) + ws());
      }
      return "[" + items.join(",") + "]";
    }
    const members: string[] = [];
    const n = Math.floor(r() * 3);
    for (let i = 0; i < n; i++) members.push(key() + ":" + value(4));
    members.splice(Math.floor(r() * (members.length + 1)), 0, ws() + keyText(seg) + ws() + ":" + ws() + along(rest, text));
    return "{" + members.join(",") + "}";
  };
  const shaped = (specs: string[]): string => {
    const paths = specs.map((line) => {
      const [field, path] = line.split(/=(.*)/s);
      const segs = path.startsWith("/")
        ? path.slice(1).split("/").map((x) => x.replaceAll("~1", "/").replaceAll("~0", "~"))
        : path.split(".");
      return { text: field === "text", segs };
    });
    const rootArray = paths.filter((p) => p.segs[0] === "*");
    if (rootArray.length > 0 && r() < 0.4) {
      const items: string[] = [];
      for (let i = Math.floor(r() * 4); i >= 0; i--) {
        const p = pick(rootArray);
        items.push(along(p.segs.slice(1), p.text));
      }
      return "[" + items.join("," + ws()) + "]";
    }
    const members: string[] = [];
    for (let i = 1 + Math.floor(r() * 4); i > 0; i--) {
      const p = pick(paths);
      members.push(r() < 0.2 ? key() + ":" + value(2) : ws() + keyText(p.segs[0]) + ":" + ws() + along(p.segs.slice(1), p.text));
    }
    return "{" + members.join("," + ws()) + "}";
  };
  const enc = new TextEncoder();
  return (specs: string[]): Uint8Array => {
    const k = r();
    let text: string;
    if (k < 0.5) {
      const docs: string[] = [];
      for (let i = r() < 0.8 ? 1 : 1 + Math.floor(r() * 3); i > 0; i--) docs.push(shaped(specs));
      text = ws() + docs.join(pick(["\n", " ", "\r\n", ""])) + ws();
    } else if (k < 0.55) text = deep();
    else if (k < 0.65) {
      const docs: string[] = [];
      const n = 1 + Math.floor(r() * 4);
      for (let i = 0; i < n; i++) docs.push(value(0));
      text = docs.join(pick(["\n", " ", "\r\n", "", "\n\n"]));
    } else text = ws() + value(0) + ws();
    let bytes: Uint8Array = enc.encode(text);
    if (r() < 0.3) bytes = mutate(bytes);
    if (r() < 0.05) bytes = Uint8Array.from([...bytes, ...Array.from({ length: 8 }, () => 0x80 + Math.floor(r() * 128))]);
    return bytes;
  };
}

function show(data: Uint8Array): string {
  const s = Buffer.from(data).toString("latin1");
  return JSON.stringify(s.length > 400 ? s.slice(0, 400) + "..." : s);
}

// Feeds `data` to both scanners cut at `cuts` and compares after every call.
function compare(m: UsageModule, ptr: number, data: Uint8Array, cuts: number[], lineMode: boolean, what: string): void {
  let prev = 0;
  const where = () => `${what}: ${show(data)} cut at ${JSON.stringify(cuts)}`;
  for (const c of [...cuts, data.length]) {
    let off = prev;
    while (off < c) {
      const [mine, ref] = m.pairFeed(ptr + off, c - off, lineMode);
      assert.equal(mine, ref, `feed [${off}, ${c}) of ${where()}`);
      const used = Number(/^r=(\d+)/.exec(mine)![1]);
      off += used;
      if (off < c) {
        // Line mode stopped before a line end: the next data line joins with "\n".
        off++;
        const [a, b] = m.pairNewline();
        assert.equal(a, b, `newline after ${off - 1} of ${where()}`);
      }
    }
    prev = c;
  }
  const [a, b] = m.pairFinish();
  assert.equal(a, b, `finish of ${where()}`);
}

function run(m: UsageModule, data: Uint8Array, specs: string[], multiDoc: boolean, cuts: number[], lineMode = false): void {
  m.pairBegin(specs, multiDoc);
  const ptr = m.write(data);
  compare(m, ptr, data, cuts, lineMode, `paths ${PATH_SETS.indexOf(specs)} multiDoc ${multiDoc} line ${lineMode}`);
}

test("the scanner agrees with its reference on random and broken documents, split at random offsets", { timeout: LIMIT_MS }, () => {
  const m = new UsageModule();
  let inputs = 0;
  for (let seed = 1; seed <= 2500; seed++) {
    const next = generator(seed);
    const r = rng(seed * 7919);
    const data = next(PATH_SETS[seed % PATH_SETS.length]);
    const specs = PATH_SETS[seed % PATH_SETS.length];
    const multiDoc = seed % 5 === 0;
    const cuts: number[] = [];
    let at = 0;
    while (true) {
      at += 1 + Math.floor(r() * 24);
      if (at >= data.length) break;
      cuts.push(at);
    }
    run(m, data, specs, multiDoc, []);
    run(m, data, specs, multiDoc, cuts);
    if (seed % 4 === 0) run(m, data, specs, multiDoc, cuts, true);
    inputs++;
  }
  assert.equal(inputs, 2500);
});

test("the scanner agrees with its reference split at every offset and fed one byte at a time", { timeout: LIMIT_MS }, () => {
  const m = new UsageModule();
  for (let seed = 10001; seed <= 10400; seed++) {
    const data = generator(seed)(PATH_SETS[seed % PATH_SETS.length]);
    if (data.length > 400) continue;
    const specs = PATH_SETS[seed % PATH_SETS.length];
    const multiDoc = seed % 3 === 0;
    for (let cut = 1; cut < data.length; cut++) run(m, data, specs, multiDoc, [cut]);
    run(m, data, specs, multiDoc, Array.from({ length: Math.max(0, data.length - 1) }, (_, i) => i + 1));
    run(m, data, specs, multiDoc, Array.from({ length: Math.max(0, data.length - 1) }, (_, i) => i + 1), true);
  }
});

test("the scanner agrees with its reference on a chat completion split at every offset", { timeout: LIMIT_MS }, () => {
  const m = new UsageModule();
  const body = JSON.stringify({
    id: "chatcmpl-1", object: "chat.completion", created: 1, model: "m",
    choices: [{ index: 0, message: { role: "assistant", content: "Hello \"world\"\n\u00e9\u{1F600} \\ done" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 10, completion_tokens: 90, total_tokens: 100, prompt_tokens_details: { cached_tokens: 2.0 } },
  }, null, 2);
  const data = new TextEncoder().encode(body);
  for (let cut = 1; cut < data.length; cut++) {
    run(m, data, PATH_SETS[0], false, [cut]);
    run(m, data, PATH_SETS[0], false, [cut], true);
  }
  for (let a = 1; a < data.length; a += 7) {
    for (let b = a + 1; b < data.length; b += 3) run(m, data, PATH_SETS[0], false, [a, b]);
  }
});

test("the equivalence harness notices a difference", () => {
  // Both scanners read the same bytes; a third feed to one of them only would show. Here:
  // the observation includes every count, so two documents with different totals differ.
  const m = new UsageModule();
  m.pairBegin(PATH_SETS[0]);
  const a = new TextEncoder().encode("{\"usage\":{\"total_tokens\":5}}");
  const [mine] = m.pairFeed(m.write(a), a.length);
  m.pairBegin(PATH_SETS[0]);
  const b = new TextEncoder().encode("{\"usage\":{\"total_tokens\":6}}");
  const [, ref] = m.pairFeed(m.write(b), b.length);
  assert.notEqual(mine, ref);
  assert.match(mine, /vals=0,0,5,0,0,0,/);
});
