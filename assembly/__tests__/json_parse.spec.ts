import { parseJson, parseJsonBytes, parseJsonBuffer, JsonResult } from "../json/parse";
import { stringifyJson } from "../json/stringify";
import { Kind, Value } from "../cel/value";

/** The parse of `text` as compact JSON, or `error@offset: message`. */
function show(text: string): string {
  return describeResult(parseJson(text));
}

function describeResult(r: JsonResult): string {
  const v = r.value;
  if (v === null) return "error@" + r.position.toString() + ": " + r.error;
  return stringifyJson(v);
}

/** Parses raw bytes given as numbers (for invalid UTF-8). */
function showBytes(bytes: u8[]): string {
  const buf = new ArrayBuffer(bytes.length);
  for (let i = 0; i < bytes.length; i++) store<u8>(changetype<usize>(buf) + <usize>i, bytes[i]);
  return describeResult(parseJsonBytes(changetype<usize>(buf), <usize>buf.byteLength));
}

function show2(text: string, maxDepth: i32): string {
  return describeResult(parseJson(text, maxDepth));
}

function valueOf(text: string): Value {
  const r = parseJson(text);
  const v = r.value;
  if (v === null) return Value.error(r.error);
  return v;
}

function nested(open: string, close: string, n: i32): string {
  return open.repeat(n) + close.repeat(n);
}

describe("json literals", () => {
  it("parses true, false and null", () => {
    expect(show("true")).toBe("true");
    expect(show("false")).toBe("false");
    expect(show("null")).toBe("null");
    expect(valueOf("true").kind).toBe(Kind.Bool);
    expect(valueOf("null").kind).toBe(Kind.Null);
  });
  it("rejects a misspelt literal at its start", () => {
    expect(show("tru")).toBe("error@0: invalid literal (expected true)");
    expect(show("[nul]")).toBe("error@1: invalid literal (expected null)");
    expect(show("falsy")).toBe("error@0: invalid literal (expected false)");
  });
  it("rejects data after a literal", () => {
    expect(show("truex")).toBe("error@4: unexpected data after the JSON value");
  });
});

describe("json numbers", () => {
  it("reads integers as ints", () => {
    const v = valueOf("20000");
    expect(v.kind).toBe(Kind.Int);
    expect(v.i).toBe(20000);
    expect(valueOf("-7").i).toBe(-7);
    expect(valueOf("0").i).toBe(0);
  });
  it("reads -0 as the int 0", () => {
    const v = valueOf("-0");
    expect(v.kind).toBe(Kind.Int);
    expect(v.i).toBe(0);
  });
  it("reads the i64 extremes as ints", () => {
    expect(valueOf("9223372036854775807").i).toBe(i64.MAX_VALUE);
    expect(valueOf("-9223372036854775808").i).toBe(i64.MIN_VALUE);
    expect(valueOf("-9223372036854775808").kind).toBe(Kind.Int);
  });
  it("reads integers beyond i64 as doubles", () => {
    const big = valueOf("9223372036854775808");
    expect(big.kind).toBe(Kind.Double);
    expect(big.d).toBe(9223372036854775808.0);
    const small = valueOf("-9223372036854775809");
    expect(small.kind).toBe(Kind.Double);
    expect(valueOf("123456789012345678901234567890").kind).toBe(Kind.Double);
  });
  it("reads fractions and exponents as doubles", () => {
    expect(valueOf("2.5").kind).toBe(Kind.Double);
    expect(valueOf("2.5").d).toBe(2.5);
    expect(valueOf("1e3").kind).toBe(Kind.Double);
    expect(valueOf("1e3").d).toBe(1000.0);
    expect(valueOf("1E+2").d).toBe(100.0);
    expect(valueOf("25e-1").d).toBe(2.5);
    expect(valueOf("-0.125").d).toBe(-0.125);
    expect(valueOf("20000.0").kind).toBe(Kind.Double);
    expect(valueOf("0.1").d).toBe(0.1);
    expect(valueOf("1.7976931348623157e308").d).toBe(f64.MAX_VALUE);
  });
  it("reads out-of-range exponents as infinity or zero, as JSON.parse does", () => {
    expect(valueOf("1e400").d).toBe(Infinity);
    expect(valueOf("-1e400").d).toBe(-Infinity);
    expect(valueOf("1e-400").d).toBe(0.0);
    expect(valueOf("1e99999999999999999999").d).toBe(Infinity);
  });
  it("rounds long mantissas correctly", () => {
    expect(valueOf("1540059161054342.908473769e36").d).toBe(1.5400591610543428e+51);
    expect(valueOf("9007199254740993").kind).toBe(Kind.Int);
    expect(valueOf("9007199254740993.0").d).toBe(9007199254740992.0);
    expect(valueOf("9007199254740993.0000000000000000000000000001").d).toBe(9007199254740994.0);
    // exactly halfway between 1 and the next double: ties to even
    expect(valueOf("1.00000000000000011102230246251565404236316680908203125").d).toBe(1.0);
    expect(valueOf("1.00000000000000011102230246251565404236316680908203126").d).toBe(1.0000000000000002);
    expect(valueOf("1.00000000000000011102230246251565404236316680908203124").d).toBe(1.0);
    expect(valueOf("3." + "3".repeat(2000)).d).toBe(3.3333333333333335);
    expect(valueOf("1" + "0".repeat(500) + "e-500").d).toBe(1.0);
  });
  it("rounds at the edges of the double range", () => {
    expect(valueOf("1.7976931348623158e308").d).toBe(f64.MAX_VALUE);
    expect(valueOf("1.7976931348623159e308").d).toBe(Infinity);
    expect(valueOf("2.2250738585072011e-308").d).toBe(2.225073858507201e-308);
    expect(valueOf("2.2250738585072012e-308").d).toBe(2.2250738585072014e-308);
    expect(valueOf("4.9406564584124654e-324").d).toBe(5e-324);
    expect(valueOf("2.4703282292062327e-324").d).toBe(0.0);
    expect(valueOf("2.4703282292062328e-324").d).toBe(5e-324);
    expect(valueOf("7.4109846876186982e-323").d).toBe(7.4109846876187e-323);
  });
  it("rejects leading zeros", () => {
    expect(show("01")).toBe("error@0: leading zeros are not allowed");
    expect(show("-00")).toBe("error@0: leading zeros are not allowed");
  });
  it("rejects a sign without digits, a plus sign and a bare dot", () => {
    expect(show("-")).toBe("error@1: invalid number (expected a digit)");
    expect(show("-a")).toBe("error@1: invalid number (expected a digit)");
    expect(show("+1")).toBe("error@0: unexpected character '+'");
    expect(show(".5")).toBe("error@0: unexpected character '.'");
  });
  it("rejects a dot or exponent without digits", () => {
    expect(show("1.")).toBe("error@2: invalid number (expected a digit after '.')");
    expect(show("1.e3")).toBe("error@2: invalid number (expected a digit after '.')");
    expect(show("1e")).toBe("error@2: invalid number (expected a digit in the exponent)");
    expect(show("1e+")).toBe("error@3: invalid number (expected a digit in the exponent)");
  });
  it("rejects NaN, Infinity and hex", () => {
    expect(show("NaN")).toBe("error@0: unexpected character 'N'");
    expect(show("Infinity")).toBe("error@0: unexpected character 'I'");
    expect(show("0x10")).toBe("error@1: unexpected data after the JSON value");
  });
});

describe("json strings", () => {
  it("reads plain ASCII", () => {
    expect(valueOf("\"hello\"").str).toBe("hello");
    expect(valueOf("\"\"").str).toBe("");
  });
  it("decodes every simple escape", () => {
    expect(valueOf("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"").str).toBe("\" \\ / \b \f \n \r \t");
  });
  it("decodes \\u escapes in either case", () => {
    expect(valueOf("\"\\u0041\\u00e9\\u00E9\\u20ac\"").str).toBe("Aéé€");
    expect(valueOf("\"\\u0000\"").str.length).toBe(1);
    expect(valueOf("\"\\u0000\"").str.charCodeAt(0)).toBe(0);
  });
  it("joins a surrogate pair escape into one code point", () => {
    const s = valueOf("\"\\ud83d\\ude00\"").str;
    expect(s).toBe("😀");
    expect(s.codePointAt(0)).toBe(0x1f600);
  });
  it("replaces lone surrogate escapes with U+FFFD", () => {
    expect(valueOf("\"\\ud83d\"").str).toBe("\uFFFD");
    expect(valueOf("\"\\ude00x\"").str).toBe("\uFFFDx");
    expect(valueOf("\"\\ud83dx\"").str).toBe("\uFFFDx");
    expect(valueOf("\"\\ud83d\\u0041\"").str).toBe("\uFFFDA");
    expect(valueOf("\"\\ud83d\\ud83d\\ude00\"").str).toBe("\uFFFD😀");
  });
  it("decodes raw UTF-8 of every length", () => {
    expect(valueOf("\"é€😀x\"").str).toBe("é€😀x");
  });
  it("replaces invalid UTF-8 with U+FFFD per maximal subpart", () => {
    // lone continuation byte, overlong 2-byte, truncated 3-byte before the quote
    expect(showBytes([0x22, 0x80, 0x41, 0x22])).toBe("\"\uFFFDA\"");
    expect(showBytes([0x22, 0xc0, 0xaf, 0x22])).toBe("\"\uFFFD\uFFFD\"");
    expect(showBytes([0x22, 0xe2, 0x82, 0x22])).toBe("\"\uFFFD\"");
    // encoded surrogate (CESU), and a code point above U+10FFFF
    expect(showBytes([0x22, 0xed, 0xa0, 0x80, 0x22])).toBe("\"\uFFFD\uFFFD\uFFFD\"");
    expect(showBytes([0x22, 0xf4, 0x90, 0x80, 0x80, 0x22])).toBe("\"\uFFFD\uFFFD\uFFFD\uFFFD\"");
    expect(showBytes([0x22, 0xff, 0x22])).toBe("\"\uFFFD\"");
  });
  it("reads invalid UTF-8 in a key too", () => {
    expect(showBytes([0x7b, 0x22, 0xfe, 0x22, 0x3a, 0x31, 0x7d])).toBe("{\"\uFFFD\":1}");
  });
  it("rejects raw control characters", () => {
    expect(show("\"a\nb\"")).toBe("error@2: control character in string (must be escaped)");
    expect(show("\"\t\"")).toBe("error@1: control character in string (must be escaped)");
  });
  it("rejects unknown escapes and short \\u escapes", () => {
    expect(show("\"\\x\"")).toBe("error@1: invalid escape sequence");
    expect(show("\"\\u12g4\"")).toBe("error@1: invalid \\u escape (expected 4 hex digits)");
    expect(show("\"ab\\u12\"")).toBe("error@3: invalid \\u escape (expected 4 hex digits)");
    expect(show("\"\\'\"")).toBe("error@1: invalid escape sequence");
  });
  it("rejects an unterminated string at its opening quote", () => {
    expect(show("\"abc")).toBe("error@0: unterminated string");
    expect(show("[\"abc\\\"]")).toBe("error@1: unterminated string");
    expect(show("\"\\")).toBe("error@0: unterminated string");
  });
  it("rejects single quotes", () => {
    expect(show("'a'")).toBe("error@0: strings must use double quotes");
    expect(show("{'a':1}")).toBe("error@1: strings must use double quotes");
  });
  it("returns the text for a JSON string with lone surrogates in the input", () => {
    // A UTF-16 input string with a lone surrogate is encoded first; no trap, one U+FFFD per byte.
    const r = parseJson("\"a\uD800b\"");
    expect(r.error).toBe("");
  });
});

describe("json arrays", () => {
  it("reads empty and nested arrays", () => {
    expect(show("[]")).toBe("[]");
    expect(show("[1,[2,[3]],\"x\",null]")).toBe("[1,[2,[3]],\"x\",null]");
    expect(valueOf("[1,2]").kind).toBe(Kind.List);
  });
  it("allows whitespace everywhere between tokens", () => {
    expect(show(" \t\r\n[ 1 ,\n2\t]\r\n ")).toBe("[1,2]");
  });
  it("rejects a trailing comma at the comma", () => {
    expect(show("[1,]")).toBe("error@2: trailing comma is not allowed");
    expect(show("[1, ]")).toBe("error@2: trailing comma is not allowed");
  });
  it("rejects a missing comma", () => {
    expect(show("[1 2]")).toBe("error@3: expected ',' or ']' after an array element");
  });
  it("rejects a leading comma and an empty element", () => {
    expect(show("[,1]")).toBe("error@1: unexpected character ','");
    expect(show("[1,,2]")).toBe("error@3: unexpected character ','");
  });
  it("rejects an unclosed array", () => {
    expect(show("[")).toBe("error@1: unexpected end of input");
    expect(show("[1")).toBe("error@2: unexpected end of input (expected ',' or ']')");
    expect(show("[1,")).toBe("error@3: unexpected end of input");
  });
});

describe("json objects", () => {
  it("reads empty and nested objects", () => {
    expect(show("{}")).toBe("{}");
    expect(show("{\"a\":{\"b\":[true]}}")).toBe("{\"a\":{\"b\":[true]}}");
    expect(valueOf("{}").kind).toBe(Kind.Map);
  });
  it("keeps keys in insertion order", () => {
    expect(show("{\"z\":1,\"a\":2,\"m\":3}")).toBe("{\"z\":1,\"a\":2,\"m\":3}");
  });
  it("looks keys up by string", () => {
    const m = valueOf("{\"limit\":5}").map;
    expect(m).not.toBeNull();
    if (m !== null) {
      const v = m.getString("limit");
      expect(v).not.toBeNull();
      if (v !== null) expect(v.i).toBe(5);
    }
  });
  it("lets the last duplicate win, at the first key's position, and names it", () => {
    const r = parseJson("{\"a\":1,\"b\":2,\"a\":3}");
    expect(describeResult(r)).toBe("{\"a\":3,\"b\":2}");
    expect(r.duplicateKeys.length).toBe(1);
    expect(r.duplicateKeys[0]).toBe("a");
  });
  it("names nested duplicates with their full path", () => {
    const r = parseJson("{\"limits\":{\"free\":{},\"x\":[0,{\"when\":1,\"when\":2}],\"free\":{}}}");
    expect(r.error).toBe("");
    expect(r.duplicateKeys.length).toBe(2);
    expect(r.duplicateKeys[0]).toBe("limits.x[1].when");
    expect(r.duplicateKeys[1]).toBe("limits.free");
  });
  it("quotes keys that are not plain names in duplicate paths", () => {
    const r = parseJson("{\"a.b\":{\"c d\":1,\"c d\":2}}");
    expect(r.duplicateKeys[0]).toBe("[\"a.b\"][\"c d\"]");
  });
  it("detects duplicates in large objects", () => {
    let text = "{";
    for (let i = 0; i < 100; i++) text += "\"k" + i.toString() + "\":" + i.toString() + ",";
    text += "\"k42\":\"again\"}";
    const r = parseJson(text);
    expect(r.error).toBe("");
    expect(r.duplicateKeys.length).toBe(1);
    expect(r.duplicateKeys[0]).toBe("k42");
    const m = valueOf(text).map;
    if (m !== null) {
      expect(m.size).toBe(100);
      const v = m.getString("k42");
      if (v !== null) expect(v.str).toBe("again");
    }
  });
  it("remembers at most 16 duplicates", () => {
    let text = "{";
    for (let i = 0; i < 40; i++) text += "\"k\":" + i.toString() + ",";
    text += "\"k\":0}";
    expect(parseJson(text).duplicateKeys.length).toBe(16);
  });
  it("rejects a trailing comma at the comma", () => {
    expect(show("{\"a\":1,}")).toBe("error@6: trailing comma is not allowed");
  });
  it("rejects unquoted keys and non-string keys", () => {
    expect(show("{a:1}")).toBe("error@1: expected a string key");
    expect(show("{1:1}")).toBe("error@1: expected a string key");
  });
  it("rejects a missing colon or value", () => {
    expect(show("{\"a\" 1}")).toBe("error@5: expected ':' after an object key");
    expect(show("{\"a\":}")).toBe("error@5: unexpected character '}'");
    expect(show("{\"a\"}")).toBe("error@4: expected ':' after an object key");
  });
  it("rejects a missing comma between members", () => {
    expect(show("{\"a\":1 \"b\":2}")).toBe("error@7: expected ',' or '}' after an object member");
  });
  it("rejects an unclosed object", () => {
    expect(show("{")).toBe("error@1: unexpected end of input (expected a string key)");
    expect(show("{\"a\"")).toBe("error@4: unexpected end of input (expected ':')");
    expect(show("{\"a\":")).toBe("error@5: unexpected end of input");
    expect(show("{\"a\":1")).toBe("error@6: unexpected end of input (expected ',' or '}')");
    expect(show("{\"a\":1,")).toBe("error@7: unexpected end of input (expected a string key)");
  });
});

describe("json documents", () => {
  it("accepts any value at the top level", () => {
    expect(show(" 42 ")).toBe("42");
    expect(show("\"s\"")).toBe("\"s\"");
  });
  it("rejects empty and blank input", () => {
    expect(show("")).toBe("error@0: unexpected end of input");
    expect(show(" \n ")).toBe("error@3: unexpected end of input");
  });
  it("rejects a second value", () => {
    expect(show("1 2")).toBe("error@2: unexpected data after the JSON value");
    expect(show("{}{}")).toBe("error@2: unexpected data after the JSON value");
  });
  it("rejects comments", () => {
    expect(show("/* c */ 1")).toBe("error@0: comments are not allowed in JSON");
    expect(show("[1, // c\n 2]")).toBe("error@4: comments are not allowed in JSON");
  });
  it("names non-printable bytes in hex", () => {
    expect(show("\u0001")).toBe("error@0: unexpected byte 0x01");
    expect(showBytes([0x5b, 0xff, 0x5d])).toBe("error@1: unexpected byte 0xff");
  });
  it("rejects a NUL byte after the value", () => {
    expect(showBytes([0x31, 0x00])).toBe("error@1: unexpected data after the JSON value");
  });
  it("ignores a leading UTF-8 byte order mark", () => {
    expect(showBytes([0xef, 0xbb, 0xbf, 0x5b, 0x5d])).toBe("[]");
  });
  it("accepts nesting up to 128 levels", () => {
    expect(parseJson(nested("[", "]", 128)).error).toBe("");
    expect(parseJson("{\"a\":".repeat(127) + "{}" + "}".repeat(127)).error).toBe("");
  });
  it("rejects nesting beyond 128 levels at the opening bracket", () => {
    expect(show(nested("[", "]", 129))).toBe("error@128: nesting deeper than 128 levels");
    expect(show(nested("[", "]", 100000))).toBe("error@128: nesting deeper than 128 levels");
  });
  it("takes a custom depth limit", () => {
    const r = parseJson("[[[1]]]", 2);
    expect(r.error).toBe("nesting deeper than 2 levels");
    expect(r.position).toBe(2);
  });
  it("caps a requested depth limit at 256 levels", () => {
    expect(parseJson(nested("[", "]", 256), 100000).error).toBe("");
    expect(show2(nested("[", "]", 257), 100000)).toBe("error@256: nesting deeper than 256 levels");
    expect(show2(nested("[", "]", 100000), 100000)).toBe("error@256: nesting deeper than 256 levels");
  });
  it("rejects input larger than the size limit", () => {
    const r = parseJson("[1,2,3]", 128, 4);
    expect(r.error).toBe("input larger than 4 bytes");
    expect(r.position).toBe(0);
    expect(r.value).toBeNull();
  });
  it("parses from bytes in memory", () => {
    const bytes = String.UTF8.encode("{\"sub\":\"alice\",\"groups\":[\"free\"]}");
    const r = parseJsonBytes(changetype<usize>(bytes), <usize>bytes.byteLength);
    expect(describeResult(r)).toBe("{\"sub\":\"alice\",\"groups\":[\"free\"]}");
  });
  it("parses zero bytes as an error", () => {
    expect(describeResult(parseJsonBytes(0, 0))).toBe("error@0: unexpected end of input");
  });
  it("gives byte offsets past multi-byte characters", () => {
    // "é" is two bytes: the missing comma is reported at byte 6 (character 5).
    expect(show("[\"é\" 1]")).toBe("error@6: expected ',' or ']' after an array element");
  });
});

describe("json buffers", () => {
  it("parses an ArrayBuffer, keeping it alive while parsing", () => {
    const r = parseJsonBuffer(String.UTF8.encode("{\"a\":[\"" + "x".repeat(1000) + "\"]}"));
    expect(r.error).toBe("");
    expect(describeResult(r).length).toBe(1010);
  });
});
