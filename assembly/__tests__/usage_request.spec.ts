import {
  inspectRequest, addIncludeUsage, RequestInfo, INCLUDE_USAGE_ABSENT, INCLUDE_USAGE_FALSE, INCLUDE_USAGE_TRUE,
  INCLUDE_USAGE_OTHER,
} from "../usage/index";
import { toUtf8, fromUtf8Spliced, utf8Scratch, ENC_UTF16LE } from "../usage/encoding";

function inspect(body: string): RequestInfo {
  const b = String.UTF8.encode(body);
  return inspectRequest(changetype<usize>(b), <usize>b.byteLength);
}

// The rewritten body, or "null".
function rewrite(body: string, overrideFalse: bool = true): string {
  const b = String.UTF8.encode(body);
  const r = addIncludeUsage(changetype<usize>(b), <usize>b.byteLength, overrideFalse);
  return r == null ? "null" : String.UTF8.decode(r);
}

describe("inspectRequest", () => {
  it("reads an OpenAI chat request", () => {
    const i = inspect("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi {\\\"x\\\": [1]}\"}]," +
      "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_completion_tokens\":256,\"temperature\":0.2}");
    expect(i.valid).toBe(true);
    expect(i.model).toBe("gpt-4o");
    expect(i.stream).toBe(true);
    expect(i.includeUsage).toBe(INCLUDE_USAGE_TRUE);
    expect<i64>(i.maxCompletionTokens).toBe(256);
    expect<i64>(i.maxTokens).toBe(-1);
    expect<i64>(i.maxOutput()).toBe(256);
  });

  it("reads an Anthropic request", () => {
    const i = inspect("{\"model\": \"claude-sonnet-4-20250514\", \"max_tokens\": 1024, \"stream\": true, \"messages\": []}");
    expect(i.model).toBe("claude-sonnet-4-20250514");
    expect<i64>(i.maxTokens).toBe(1024);
    expect<i64>(i.maxOutput()).toBe(1024);
    expect(i.includeUsage).toBe(INCLUDE_USAGE_ABSENT);
  });

  it("reads a Responses API request", () => {
    const i = inspect("{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"max_output_tokens\":500,\"stream\":false}");
    expect<i64>(i.maxOutputTokens).toBe(500);
    expect(i.stream).toBe(false);
    expect<i64>(i.maxOutput()).toBe(500);
  });

  it("reads a Gemini request", () => {
    const i = inspect("{\"contents\":[{\"parts\":[{\"text\":\"hi\"}]}],\"generationConfig\":{\"temperature\":1,\"maxOutputTokens\":800}}");
    expect<i64>(i.geminiMaxOutputTokens).toBe(800);
    expect<i64>(i.maxOutput()).toBe(800);
    expect(i.model).toBe("");
  });

  it("decodes escapes in keys and the model name", () => {
    const i = inspect("{\"mod\\u0065l\":\"caf\\u00e9-\\ud83d\\ude00\",\"max_t\\u006fkens\":7}");
    expect(i.model).toBe("café-😀");
    expect<i64>(i.maxTokens).toBe(7);
  });

  it("uses the last of duplicate keys", () => {
    const i = inspect("{\"stream\":true,\"max_tokens\":1,\"stream\":false,\"max_tokens\":2}");
    expect(i.stream).toBe(false);
    expect<i64>(i.maxTokens).toBe(2);
  });

  it("reads counts that are not non-negative integers as absent", () => {
    const i = inspect("{\"max_tokens\":null,\"max_completion_tokens\":-5,\"max_output_tokens\":1.5}");
    expect<i64>(i.maxTokens).toBe(-1);
    expect<i64>(i.maxCompletionTokens).toBe(-1);
    expect<i64>(i.maxOutputTokens).toBe(-1);
    expect<i64>(i.maxOutput()).toBe(-1);
  });

  it("reads a non-boolean stream as not streaming unless pydantic would read it as true", () => {
    expect(inspect("{\"stream\":\"nope\"}").stream).toBe(false);
    expect(inspect("{\"stream\":{}}").stream).toBe(false);
  });

  it("reads include_usage false and null", () => {
    expect(inspect("{\"stream_options\":{\"include_usage\":false}}").includeUsage).toBe(INCLUDE_USAGE_FALSE);
    expect(inspect("{\"stream_options\":{\"include_usage\":null}}").includeUsage).toBe(INCLUDE_USAGE_OTHER);
  });

  it("rejects invalid JSON with an offset", () => {
    const i = inspect("{\"model\":\"x\",}");
    expect(i.valid).toBe(false);
    expect(i.errorOffset).toBe(13);
    expect(i.error.length).toBeGreaterThan(0);
  });

  it("rejects bodies that are not one object", () => {
    expect(inspect("[]").valid).toBe(false);
    expect(inspect("").valid).toBe(false);
    expect(inspect("{} {}").valid).toBe(false);
    expect(inspect("{\"a\":1").valid).toBe(false);
    expect(inspect("{\"a\":\"\\q\"}").valid).toBe(false);
  });

  it("accepts an empty object", () => {
    expect(inspect(" {} ").valid).toBe(true);
  });

  it("does not trap on deep nesting", () => {
    let s = "{\"a\":";
    for (let k = 0; k < 5000; k++) s += "[";
    expect(inspect(s).valid).toBe(false);
  });
});

describe("addIncludeUsage", () => {
  it("adds stream_options after the last member", () => {
    expect(rewrite("{\"model\":\"m\",\"stream\":true}")).toBe("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
  });

  it("keeps the rest of the body byte for byte", () => {
    expect(rewrite("{ \"stream\" : true ,\n  \"x\": [1, 2]\n}\n")).toBe("{ \"stream\" : true ,\n  \"x\": [1, 2],\"stream_options\":{\"include_usage\":true}\n}\n");
  });

  it("adds include_usage to an existing stream_options", () => {
    expect(rewrite("{\"stream\":true,\"stream_options\":{}}")).toBe("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    expect(rewrite("{\"stream\":true,\"stream_options\":{ \"a\":1 }}")).toBe("{\"stream\":true,\"stream_options\":{\"include_usage\":true, \"a\":1 }}");
  });

  it("replaces a null stream_options", () => {
    expect(rewrite("{\"stream\":true,\"stream_options\":null}")).toBe("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
  });

  it("turns include_usage false into true unless told not to", () => {
    expect(rewrite("{\"stream\":true,\"stream_options\":{\"include_usage\":false}}")).toBe("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    expect(rewrite("{\"stream\":true,\"stream_options\":{\"include_usage\":false}}", false)).toBe("null");
    expect(rewrite("{\"stream\":true,\"stream_options\":{\"include_usage\":null,\"b\":2}}")).toBe("{\"stream\":true,\"stream_options\":{\"include_usage\":true,\"b\":2}}");
  });

  it("leaves a request that already asks for usage alone", () => {
    expect(rewrite("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}")).toBe("null");
  });

  it("leaves non-streaming requests alone", () => {
    expect(rewrite("{\"model\":\"m\"}")).toBe("null");
    expect(rewrite("{\"stream\":false}")).toBe("null");
  });

  it("leaves invalid JSON alone", () => {
    expect(rewrite("{\"stream\":true,")).toBe("null");
    expect(rewrite("{\"stream\":true} x")).toBe("null");
  });

  it("leaves a stream_options of another type alone", () => {
    expect(rewrite("{\"stream\":true,\"stream_options\":\"x\"}")).toBe("null");
  });

  it("edits the last of duplicate stream_options", () => {
    expect(rewrite("{\"stream\":true,\"stream_options\":{\"include_usage\":true},\"stream_options\":{}}"))
      .toBe("{\"stream\":true,\"stream_options\":{\"include_usage\":true},\"stream_options\":{\"include_usage\":true}}");
  });

  it("produces a body inspectRequest reads as asking for usage", () => {
    const out = rewrite("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"x\":[{}]}}");
    const i = inspect(out);
    expect(i.valid).toBe(true);
    expect(i.includeUsage).toBe(INCLUDE_USAGE_TRUE);
  });
});

// What OpenAI-compatible Python servers accept (json.loads of the bytes, then pydantic's
// lax mode), request inspection accepts too: for finding `stream` and for the rewrite.
describe("inspectRequest reads what Python servers read", () => {
  it("takes stream as pydantic's lax bool does: true, 1, 1.0 and the true words in any case", () => {
    expect(inspect("{\"stream\":1}").stream).toBe(true);
    expect(inspect("{\"stream\":1.0}").stream).toBe(true);
    expect(inspect("{\"stream\":\"true\"}").stream).toBe(true);
    expect(inspect("{\"stream\":\"YES\"}").stream).toBe(true);
    expect(inspect("{\"stream\":\"On\"}").stream).toBe(true);
    expect(inspect("{\"stream\":\"t\"}").stream).toBe(true);
    expect(inspect("{\"stream\":\"y\"}").stream).toBe(true);
    expect(inspect("{\"stream\":\"1\"}").stream).toBe(true);
    expect(inspect("{\"stream\":\"tru\\u0065\"}").stream).toBe(true);
  });
  it("does not take false, 0, 2, null, other strings or containers for streaming", () => {
    expect(inspect("{\"stream\":false}").stream).toBe(false);
    expect(inspect("{\"stream\":0}").stream).toBe(false);
    expect(inspect("{\"stream\":2}").stream).toBe(false);
    expect(inspect("{\"stream\":null}").stream).toBe(false);
    expect(inspect("{\"stream\":\"false\"}").stream).toBe(false);
    expect(inspect("{\"stream\":\"yess\"}").stream).toBe(false);
    expect(inspect("{\"stream\":[true]}").stream).toBe(false);
    expect(inspect("{\"stream\":true,\"stream\":\"no\"}").stream).toBe(false);
  });
  it("accepts NaN, Infinity and -Infinity as numbers, not as counts", () => {
    const i = inspect("{\"temperature\":NaN,\"top_p\":Infinity,\"x\":[-Infinity],\"max_tokens\":NaN,\"stream\":true}");
    expect(i.valid).toBe(true);
    expect(i.stream).toBe(true);
    expect<i64>(i.maxTokens).toBe(-1);
    expect(inspect("{\"t\":-NaN}").valid).toBe(false);
    expect(inspect("{\"t\":Infinit}").valid).toBe(false);
    expect(inspect("{\"t\":nan}").valid).toBe(false);
  });
  it("skips a UTF-8 byte order mark, and rewrites after it", () => {
    const i = inspect("\uFEFF{\"stream\":true,\"max_tokens\":5}");
    expect(i.valid).toBe(true);
    expect<i64>(i.maxTokens).toBe(5);
    expect(rewrite("\uFEFF{\"stream\":true}")).toBe("\uFEFF{\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
  });
});

function utf16(s: string, bigEndian: bool, bom: bool): ArrayBuffer {
  const n = s.length + (bom ? 1 : 0);
  const out = new ArrayBuffer(n * 2);
  const p = changetype<usize>(out);
  for (let i = 0; i < n; i++) {
    const u = bom ? (i == 0 ? 0xFEFF : s.charCodeAt(i - 1)) : s.charCodeAt(i);
    if (bigEndian) { store<u8>(p + i * 2, <u8>(u >> 8)); store<u8>(p + i * 2 + 1, <u8>u); }
    else store<u16>(p + i * 2, <u16>u);
  }
  return out;
}

function inspectBytes(b: ArrayBuffer): RequestInfo {
  return inspectRequest(changetype<usize>(b), <usize>b.byteLength);
}

function sameBytes(a: ArrayBuffer, b: ArrayBuffer): bool {
  if (a.byteLength != b.byteLength) return false;
  return memory.compare(changetype<usize>(a), changetype<usize>(b), <usize>a.byteLength) == 0;
}

describe("inspectRequest of UTF-16 and UTF-32 bodies (json.loads detects them)", () => {
  const body = "{\"model\":\"m\u00e9\u{1F600}\",\"stream\":true,\"max_tokens\":7}";
  const rewritten = "{\"model\":\"m\u00e9\u{1F600}\",\"stream\":true,\"max_tokens\":7,\"stream_options\":{\"include_usage\":true}}";
  it("reads UTF-16 in either byte order, with or without a byte order mark", () => {
    for (let k = 0; k < 4; k++) {
      const i = inspectBytes(utf16(body, (k & 1) != 0, (k & 2) != 0));
      expect(i.valid).toBe(true);
      expect(i.stream).toBe(true);
      expect<i64>(i.maxTokens).toBe(7);
      expect(i.model).toBe("m\u00e9\u{1F600}");
    }
  });
  it("rewrites UTF-16 in its own encoding and byte order mark", () => {
    for (let k = 0; k < 4; k++) {
      const be = (k & 1) != 0;
      const bom = (k & 2) != 0;
      const b = utf16(body, be, bom);
      const out = addIncludeUsage(changetype<usize>(b), <usize>b.byteLength);
      expect(out).not.toBeNull();
      expect(sameBytes(out!, utf16(rewritten, be, bom))).toBe(true);
    }
  });
  it("reads UTF-32 with a byte order mark", () => {
    const s = "{\"stream\":true}";
    const out = new ArrayBuffer((s.length + 1) * 4);
    const p = changetype<usize>(out);
    store<u32>(p, 0xFEFF);
    for (let i = 0; i < s.length; i++) store<u32>(p + (i + 1) * 4, <u32>s.charCodeAt(i));
    expect(inspectBytes(out).stream).toBe(true);
  });
  it("refuses a truncated UTF-16 body without a trap, at every length", () => {
    const b = utf16(body, false, true);
    for (let n = 1; n < b.byteLength; n += 1) {
      const i = inspectRequest(changetype<usize>(b), <usize>n);
      expect(i.valid).toBe(false);
    }
  });
});

let seed: u32 = 12345;
function next(): u32 {
  seed = seed * 1103515245 + 12345;
  return seed >>> 8;
}

describe("UTF-16 and UTF-32 transcoding", () => {
  it("turns any UTF-16 body, lone surrogates included, back into exactly its bytes", () => {
    for (let round = 0; round < 200; round++) {
      const n = <i32>(next() % 64) + 2;
      const b = new ArrayBuffer(n * 2);
      const p = changetype<usize>(b);
      store<u16>(p, 0xFEFF);
      for (let i = 1; i < n; i++) {
        const k = next() % 4;
        const u: u32 = k == 0 ? 0x20 + next() % 0x5F : k == 1 ? 0xD800 + next() % 0x800 : k == 2 ? next() % 0x10000 : 0xE9;
        store<u16>(p + <usize>i * 2, <u16>u);
      }
      const len = toUtf8(p, <usize>b.byteLength, ENC_UTF16LE, 2);
      expect(len >= 0).toBe(true);
      const back = fromUtf8Spliced(changetype<usize>(utf8Scratch()), <usize>len, 0, 0, new ArrayBuffer(0), ENC_UTF16LE, p, 2);
      expect(sameBytes(back, b)).toBe(true);
    }
  });
  it("never traps on random bytes with the zeros that select UTF-16 and UTF-32, at every length", () => {
    for (let round = 0; round < 300; round++) {
      const n = <i32>(next() % 40);
      const b = new ArrayBuffer(n);
      const p = changetype<usize>(b);
      for (let i = 0; i < n; i++) store<u8>(p + <usize>i, next() % 3 == 0 ? 0 : <u8>next());
      const i = inspectRequest(p, <usize>n);
      expect(i.valid && i.error.length > 0).toBe(false);
      addIncludeUsage(p, <usize>n);
    }
  });
});
