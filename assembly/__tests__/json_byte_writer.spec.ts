import { JsonByteWriter } from "../json/byte_writer";

function text(w: JsonByteWriter): string {
  return String.UTF8.decodeUnsafe(w.ptr, <usize>w.length);
}

describe("JsonByteWriter", () => {
  it("writes integers in decimal, negative ones and the extremes included", () => {
    const w = new JsonByteWriter();
    w.int(0).ascii(",").int(7).ascii(",").int(1234567890123).ascii(",").int(-42).ascii(",").int(i64.MIN_VALUE).ascii(",").int(i64.MAX_VALUE);
    expect(text(w)).toBe("0,7,1234567890123,-42,-9223372036854775808,9223372036854775807");
  });

  it("escapes what JSON requires and writes the rest as UTF-8", () => {
    const w = new JsonByteWriter();
    w.string("a\"b\\c\nd\re\tf\x01\x7f é ☕ 😀");
    expect(text(w)).toBe("\"a\\\"b\\\\c\\nd\\re\\tf\\u0001\\u007f é ☕ 😀\"");
  });

  it("writes a lone surrogate as \\uXXXX, so the bytes stay valid UTF-8", () => {
    const w = new JsonByteWriter();
    w.string(String.fromCharCode(0xd800) + "x" + String.fromCharCode(0xdc01));
    expect(text(w)).toBe("\"\\ud800x\\udc01\"");
  });

  it("cuts a string after max units and marks it with ...", () => {
    const w = new JsonByteWriter();
    w.string("abcdef", 3).ascii(",").string("abc", 3);
    expect(text(w)).toBe("\"abc...\",\"abc\"");
  });

  it("grows past its first buffer and starts over on reset", () => {
    const w = new JsonByteWriter();
    const long = "x".repeat(5000);
    w.string(long);
    expect(w.length).toBe(5002);
    w.reset().ascii("{}");
    expect(text(w)).toBe("{}");
  });
});
