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

describe("JsonByteWriter, fragments and numbers", () => {
  it("writes every integer as toString does, at each number of digits and across 32 bits", () => {
    const w = new JsonByteWriter();
    let v: i64 = 1;
    for (let digits = 1; digits <= 19; digits++) {
      const cases: i64[] = [v - 1, v, v + 1, v * 9 + (v - 1), -v, -(v * 9 + (v - 1))];
      for (let i = 0; i < cases.length; i++) {
        w.reset().int(cases[i]);
        expect(text(w)).toBe(cases[i].toString());
      }
      if (digits < 19) v *= 10;
    }
    const edges: i64[] = [4294967295, 4294967296, 4294967395, -4294967296, 18446744073, i64.MAX_VALUE - 1, i64.MIN_VALUE + 1];
    for (let i = 0; i < edges.length; i++) {
      w.reset().int(edges[i]);
      expect(text(w)).toBe(edges[i].toString());
    }
  });

  it("appends encoded fragments and single bytes as they are", () => {
    const w = new JsonByteWriter();
    w.bytes(String.UTF8.encode("{\"k\":")).int(5).byte(0x2c).bytes(new ArrayBuffer(0)).bytes(String.UTF8.encode("\"é\"")).byte(0x7d);
    expect(text(w)).toBe("{\"k\":5,\"é\"}");
  });

  it("copies fragments of every length from 0 to 40 bytes whole, after what was written", () => {
    const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP";
    const w = new JsonByteWriter();
    for (let n = 0; n <= 40; n++) {
      const fragment = alphabet.slice(0, n);
      w.reset().ascii("{\"").bytes(String.UTF8.encode(fragment)).byte(0x22);
      expect(text(w)).toBe("{\"" + fragment + "\"");
    }
  });

  it("keeps a surrogate pair whole where a long string's slices meet, and escapes one the cut splits", () => {
    const pair = String.fromCharCode(0xd83d) + String.fromCharCode(0xde00); // 😀
    const w = new JsonByteWriter();
    const s = "a".repeat(127) + pair + "\"".repeat(200) + "b";
    w.string(s);
    expect(text(w)).toBe("\"" + "a".repeat(127) + "😀" + "\\\"".repeat(200) + "b\"");
    w.reset().string("ab" + pair, 3);
    expect(text(w)).toBe("\"ab\\ud83d...\"");
  });

  it("grows for a string of escapes only as far as it writes", () => {
    const w = new JsonByteWriter();
    w.string("\x01".repeat(3000));
    expect(w.length).toBe(3000 * 6 + 2);
    expect(text(w).slice(0, 8)).toBe("\"\\u0001\\");
  });
});
