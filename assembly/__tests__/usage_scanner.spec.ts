import {
  Usage, UsagePaths, UsageScanner, parsePath, customPreset, MAX_DEPTH,
  SCAN_OK, SCAN_EMPTY, SCAN_INCOMPLETE, SCAN_INVALID, SCAN_GAVE_UP,
} from "../usage/index";
import { read, custom, firstSplitMismatch, firstChunkMismatch, firstDoubleSplitMismatch } from "../usage/testing/helpers";

const I64_MAX_VALUE: i64 = 0x7FFFFFFFFFFFFFFF;

const JSON_CT = "application/json";
const TOTAL = custom(["total=usage.total_tokens"]);
const OPENAI = custom([
  "input=usage.prompt_tokens", "output=usage.completion_tokens", "total=usage.total_tokens",
  "text=choices.*.message.content",
]);

function total(body: string): Usage {
  return read(body, TOTAL, JSON_CT);
}

function nested(depth: i32, inner: string): string {
  let s = "";
  for (let i = 0; i < depth; i++) s += "[";
  s += inner;
  for (let i = 0; i < depth; i++) s += "]";
  return s;
}

describe("UsageScanner: finding fields", () => {
  it("reads the default OpenAI paths from a compact body", () => {
    const u = read("{\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}", OPENAI, JSON_CT);
    expect(u.status).toBe(SCAN_OK);
    expect<i64>(u.input).toBe(9);
    expect<i64>(u.output).toBe(12);
    expect<i64>(u.total).toBe(21);
    expect(u.hasUsage).toBe(true);
    expect(u.totalComputed).toBe(false);
  });

  it("reads through whitespace of every kind", () => {
    const u = total(" \t\r\n{ \"usage\" :\n\t{ \"total_tokens\"\r\n: 7 } \n}\n ");
    expect(u.status).toBe(SCAN_OK);
    expect<i64>(u.total).toBe(7);
  });

  it("matches only the exact path from the root", () => {
    const u = total("{\"x\":{\"usage\":{\"total_tokens\":5}},\"usage\":{\"y\":{\"total_tokens\":6}}}");
    expect(u.hasUsage).toBe(false);
    expect(u.status).toBe(SCAN_OK);
  });

  it("lets the last value of a repeated field win", () => {
    const u = total("{\"usage\":{\"total_tokens\":1,\"total_tokens\":2},\"usage\":{\"total_tokens\":3}}");
    expect<i64>(u.total).toBe(3);
  });

  it("does not let null, strings or objects clobber an earlier count", () => {
    const u = total("{\"usage\":{\"total_tokens\":4},\"usage\":null,\"usage\":{\"total_tokens\":\"9\"},\"usage\":{\"total_tokens\":{\"a\":1}}}");
    expect<i64>(u.total).toBe(4);
  });

  it("skips unrelated containers of every kind", () => {
    const u = total("{\"a\":[1,-2.5e-3,true,false,null,\"s\",{\"usage\":{\"total_tokens\":8}},[[]],{}],\"usage\":{\"total_tokens\":11}}");
    expect<i64>(u.total).toBe(11);
  });

  it("decodes escapes in keys before matching", () => {
    const u = total("{\"us\\u0061ge\":{\"total\\u005ftokens\":12}}");
    expect<i64>(u.total).toBe(12);
  });

  it("matches keys written with surrogate-pair escapes", () => {
    const u = read("{\"\\ud83d\\ude00\":{\"n\":3}}", custom(["total=😀.n"]), JSON_CT);
    expect<i64>(u.total).toBe(3);
  });

  it("never matches a key with a lone surrogate escape", () => {
    const u = read("{\"\\ud83d\":{\"n\":3}}", custom(["total=\ud83d.n"]), JSON_CT);
    expect(u.hasUsage).toBe(false);
    expect(u.status).toBe(SCAN_OK);
  });

  it("ignores keys longer than the key buffer without failing", () => {
    let long = "";
    for (let i = 0; i < 200; i++) long += "k";
    const u = total("{\"" + long + "\":{\"total_tokens\":1},\"usage\":{\"total_tokens\":2}}");
    expect(u.status).toBe(SCAN_OK);
    expect<i64>(u.total).toBe(2);
  });

  it("reads dotted, $.-prefixed and JSON pointer paths alike", () => {
    const body = "{\"usage\":{\"total_tokens\":5}}";
    expect<i64>(read(body, custom(["total=/usage/total_tokens"]), JSON_CT).total).toBe(5);
    expect<i64>(read(body, custom(["total=$.usage.total_tokens"]), JSON_CT).total).toBe(5);
  });

  it("unescapes ~0 and ~1 in JSON pointer segments", () => {
    const u = read("{\"a/b\":{\"c~d\":6}}", custom(["total=/a~1b/c~0d"]), JSON_CT);
    expect<i64>(u.total).toBe(6);
  });

  it("follows array indexes", () => {
    const body = "{\"c\":[{\"n\":1},{\"n\":2},{\"n\":3}]}";
    expect<i64>(read(body, custom(["total=c.1.n"]), JSON_CT).total).toBe(2);
    expect<i64>(read(body, custom(["total=/c/0/n"]), JSON_CT).total).toBe(1);
  });

  it("takes the last element's value for a * segment", () => {
    const u = read("{\"c\":[{\"n\":1},{\"m\":2},{\"n\":3},{\"x\":4}]}", custom(["total=c.*.n"]), JSON_CT);
    expect<i64>(u.total).toBe(3);
  });

  it("combines * and index segments under one array", () => {
    const u = read("{\"c\":[{\"a\":1,\"b\":2},{\"a\":3,\"b\":4}]}", custom(["input=c.*.a", "output=c.0.b"]), JSON_CT);
    expect<i64>(u.input).toBe(3);
    expect<i64>(u.output).toBe(2);
  });

  it("treats numeric segments as keys in objects", () => {
    const u = read("{\"c\":{\"0\":{\"n\":7},\"*\":{\"n\":8}}}", custom(["input=c.0.n", "output=c.*.n"]), JSON_CT);
    expect<i64>(u.input).toBe(7);
    expect<i64>(u.output).toBe(8);
  });

  it("reads a root array with the last complete element winning", () => {
    const u = read("[{\"u\":{\"t\":1}},{\"u\":{\"t\":2}},{\"x\":0}]", custom(["total=*.u.t"]), JSON_CT);
    expect<i64>(u.total).toBe(2);
  });

  it("computes total from input and output when absent", () => {
    const u = read("{\"usage\":{\"input_tokens\":30,\"output_tokens\":12}}",
      custom(["input=usage.input_tokens", "output=usage.output_tokens"]), JSON_CT);
    expect<i64>(u.total).toBe(42);
    expect(u.totalComputed).toBe(true);
    expect(u.hasTotal).toBe(false);
  });

  it("counts generated-text bytes between the quotes, escapes included", () => {
    const u = read("{\"choices\":[{\"message\":{\"content\":\"ab\\n\\u00e9c\"}},{\"message\":{\"content\":\"xy\"}}]}", OPENAI, JSON_CT);
    expect<i64>(u.textBytes).toBe(13);
    expect<i64>(u.estimatedOutputTokens()).toBe(4);
  });

  it("reads NDJSON documents one after another", () => {
    const u = read("{\"n\":1}\n{\"n\":2}\n\n{\"m\":3}\n", custom(["total=n"]), "application/x-ndjson");
    expect(u.status).toBe(SCAN_OK);
    expect<i64>(u.total).toBe(2);
  });

  it("sniffs JSON when the content type says nothing", () => {
    const u = read("  {\"usage\":{\"total_tokens\":5}}", TOTAL, "");
    expect<i64>(u.total).toBe(5);
    expect(u.streaming).toBe(false);
  });
});

describe("UsageScanner: numbers", () => {
  it("accepts an integer with a zero fraction", () => {
    expect<i64>(total("{\"usage\":{\"total_tokens\":123.000}}").total).toBe(123);
  });

  it("ignores fractions, exponents and negative numbers", () => {
    expect(total("{\"usage\":{\"total_tokens\":1.5}}").hasUsage).toBe(false);
    expect(total("{\"usage\":{\"total_tokens\":1e3}}").hasUsage).toBe(false);
    expect(total("{\"usage\":{\"total_tokens\":-1}}").hasUsage).toBe(false);
    expect(total("{\"usage\":{\"total_tokens\":-0}}").hasUsage).toBe(false);
  });

  it("reads zero", () => {
    const u = total("{\"usage\":{\"total_tokens\":0}}");
    expect(u.hasUsage).toBe(true);
    expect<i64>(u.total).toBe(0);
  });

  it("reads the largest i64 exactly", () => {
    expect<i64>(total("{\"usage\":{\"total_tokens\":9223372036854775807}}").total).toBe(I64_MAX_VALUE);
    expect<i64>(total("{\"usage\":{\"total_tokens\":9223372036854775806}}").total).toBe(I64_MAX_VALUE - 1);
  });

  it("saturates larger integers at the largest i64", () => {
    expect<i64>(total("{\"usage\":{\"total_tokens\":9223372036854775808}}").total).toBe(I64_MAX_VALUE);
    let digits = "";
    for (let i = 0; i < 1000; i++) digits += "9";
    expect<i64>(total("{\"usage\":{\"total_tokens\":" + digits + "}}").total).toBe(I64_MAX_VALUE);
  });

  it("rejects a leading zero as invalid JSON", () => {
    const u = total("{\"usage\":{\"total_tokens\":012}}");
    expect(u.status).toBe(SCAN_INVALID);
    expect<i64>(u.errorOffset).toBe(26);
  });

  it("reads a number that ends the document", () => {
    const u = read("42", custom(["total=*"]), JSON_CT);
    expect(u.status).toBe(SCAN_OK);
  });
});

describe("UsageScanner: invalid and truncated JSON", () => {
  it("reports the offset of an unexpected byte", () => {
    const u = total("{\"a\":}");
    expect(u.status).toBe(SCAN_INVALID);
    expect<i64>(u.errorOffset).toBe(5);
    expect(u.error).toBe("expected a value");
  });

  it("rejects a missing colon", () => {
    const u = total("{\"a\" 1}");
    expect(u.status).toBe(SCAN_INVALID);
    expect<i64>(u.errorOffset).toBe(5);
  });

  it("rejects trailing commas", () => {
    expect(total("[1,]").status).toBe(SCAN_INVALID);
    expect(total("{\"a\":1,}").status).toBe(SCAN_INVALID);
  });

  it("rejects mismatched brackets", () => {
    expect<i64>(total("{\"a\":[1}").errorOffset).toBe(7);
    expect(total("[1}").status).toBe(SCAN_INVALID);
  });

  it("rejects bad literals", () => {
    expect(total("{\"a\":tru}").status).toBe(SCAN_INVALID);
    expect(total("{\"a\":nul}").status).toBe(SCAN_INVALID);
    expect(total("{\"a\":falsy}").status).toBe(SCAN_INVALID);
  });

  it("rejects control characters inside strings", () => {
    const u = total("{\"a\":\"x\ny\"}");
    expect(u.status).toBe(SCAN_INVALID);
    expect<i64>(u.errorOffset).toBe(7);
  });

  it("rejects bad escapes", () => {
    expect(total("{\"a\":\"\\x\"}").status).toBe(SCAN_INVALID);
    const u = total("{\"a\":\"\\u12G4\"}");
    expect(u.status).toBe(SCAN_INVALID);
    expect<i64>(u.errorOffset).toBe(10);
  });

  it("rejects bytes after the document", () => {
    const u = total("{\"usage\":{\"total_tokens\":5}} x");
    expect(u.status).toBe(SCAN_INVALID);
    expect<i64>(u.errorOffset).toBe(29);
  });

  it("keeps counts of root members that completed before an error", () => {
    const u = total("{\"usage\":{\"total_tokens\":5},\"x\":tru}");
    expect(u.status).toBe(SCAN_INVALID);
    expect<i64>(u.total).toBe(5);
  });

  it("drops counts of a member the error cut short", () => {
    const u = total("{\"usage\":{\"total_tokens\":5,\"x\":tru}}");
    expect(u.status).toBe(SCAN_INVALID);
    expect(u.hasUsage).toBe(false);
  });

  it("reports a truncated body as incomplete, without half-read counts", () => {
    const u = total("{\"usage\":{\"total_tokens\":5");
    expect(u.status).toBe(SCAN_INCOMPLETE);
    expect(u.hasUsage).toBe(false);
    expect<i64>(u.errorOffset).toBe(26);
  });

  it("reports an empty or blank body as empty", () => {
    expect(total("").status).toBe(SCAN_EMPTY);
    expect(total(" \n\t ").status).toBe(SCAN_EMPTY);
  });

  it("rejects a byte-order mark (JSON.parse does too)", () => {
    expect(total("\uFEFF{}").status).toBe(SCAN_INVALID);
  });
});

describe("UsageScanner: limits", () => {
  it("follows nesting up to the depth limit", () => {
    const u = read("{\"a\":" + nested(MAX_DEPTH - 1, "1") + ",\"usage\":{\"total_tokens\":3}}", TOTAL, JSON_CT);
    expect(u.status).toBe(SCAN_OK);
    expect<i64>(u.total).toBe(3);
  });

  it("gives up past the depth limit instead of trapping", () => {
    const u = read("{\"usage\":{\"total_tokens\":3},\"a\":" + nested(MAX_DEPTH + 10, "1") + "}", TOTAL, JSON_CT);
    expect(u.status).toBe(SCAN_GAVE_UP);
    expect<i64>(u.errorOffset).toBe(<i64>(5 + 27 + MAX_DEPTH - 1));
    expect<i64>(u.total).toBe(3);
  });

  it("reads a path of the longest allowed length", () => {
    const segs = "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p";
    const u = read("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":{\"j\":{\"k\":{\"l\":{\"m\":{\"n\":{\"o\":{\"p\":77}}}}}}}}}}}}}}}}",
      custom(["total=" + segs]), JSON_CT);
    expect<i64>(u.total).toBe(77);
  });

  it("does not grow memory over many feeds", () => {
    const paths = new UsagePaths();
    paths.add("total", "usage.total_tokens");
    const s = new UsageScanner(paths);
    const body = String.UTF8.encode("{\"pad\":\"" + "x".repeat(4000) + "\",\"usage\":{\"total_tokens\":5}}");
    const before = memory.size();
    for (let i = 0; i < 200; i++) {
      s.reset();
      s.feed(changetype<usize>(body), <usize>body.byteLength);
      s.finishDocument();
    }
    expect(memory.size()).toBe(before);
    expect<i64>(s.value(2)).toBe(5);
  });
});

describe("UsageScanner: paths", () => {
  it("rejects malformed paths with a reason", () => {
    expect(parsePath("").error).toBe("empty path");
    expect(parsePath("a..b").error.length).toBeGreaterThan(0);
    expect(parsePath("/a~2b").error.length).toBeGreaterThan(0);
    expect(parsePath("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q").error.length).toBeGreaterThan(0);
    expect(parsePath("x".repeat(65)).error.length).toBeGreaterThan(0);
  });

  it("accepts an empty key in a JSON pointer", () => {
    const u = read("{\"\":{\"n\":4}}", custom(["total=//n"]), JSON_CT);
    expect<i64>(u.total).toBe(4);
  });

  it("rejects an unknown field name", () => {
    expect(customPreset(["tokens=usage.total_tokens"]).error.length).toBeGreaterThan(0);
    expect(customPreset(["usage.total_tokens"]).error.length).toBeGreaterThan(0);
  });
});

const SAMPLE = "{\"id\":\"c\\\"1\\\\\",\"choices\":[{\"message\":{\"content\":\"h\\u00e9llo\\n\\ud83d\\ude00 \\\"w\\\" é😀\"}}]," +
  "\"x\":[true,false,null,-1.5e+10,0,12.0],\"us\\u0061ge\":{\"prompt_tokens\":123456789,\"completion_tokens\":0," +
  "\"total_tokens\":123456789.0}}";

describe("UsageScanner: any split of the body gives the same result", () => {

  it("reads the sample body", () => {
    const u = read(SAMPLE, OPENAI, JSON_CT);
    expect(u.status).toBe(SCAN_OK);
    expect<i64>(u.total).toBe(123456789);
    expect<i64>(u.output).toBe(0);
  });

  it("at every single offset", () => {
    expect(firstSplitMismatch(SAMPLE, OPENAI, JSON_CT)).toBe(-1);
  });

  it("in chunks of every size from 1 to 64 bytes", () => {
    expect(firstChunkMismatch(SAMPLE, OPENAI, JSON_CT, 64)).toBe(-1);
  });

  it("at every pair of offsets (short body)", () => {
    expect(firstDoubleSplitMismatch("{\"a\":\"\\u00e9\\n\",\"usage\":{\"total_tokens\":12.0}}", TOTAL, JSON_CT)).toBe(-1);
  });

  it("for invalid bodies too (same error offset)", () => {
    expect(firstSplitMismatch("{\"usage\":{\"total_tokens\":5},\"x\":[1,2,}", TOTAL, JSON_CT)).toBe(-1);
    expect(firstSplitMismatch("{\"a\":\"\\u12x4\"}", TOTAL, JSON_CT)).toBe(-1);
  });
});
