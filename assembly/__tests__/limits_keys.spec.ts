import { CounterKeyBuilder, describeKey } from "../limits/keys";
import { SlotKeys } from "../limits/slots";

function key(b: CounterKeyBuilder, name: string, index: i32, values: string[]): string {
  return describeKey(b.build(name, index, values));
}

function same(a: ArrayBuffer, b: ArrayBuffer): bool {
  if (a.byteLength != b.byteLength) return false;
  return memory.compare(changetype<usize>(a), changetype<usize>(b), <usize>a.byteLength) == 0;
}

describe("counter keys", () => {
  it("joins prefix, limit name, rate index and values with '|'", () => {
    const b = new CounterKeyBuilder("tl/");
    expect(key(b, "per-user", 0, ["alice", "gpt-4o"])).toBe("tl/per-user|0|alice|gpt-4o");
    expect(key(b, "global", 2, [])).toBe("tl/global|2");
  });
  it("escapes the separator so 'a|b'+'c' and 'a'+'b|c' differ", () => {
    const b = new CounterKeyBuilder("");
    const k1 = b.build("l", 0, ["a|b", "c"]);
    const k2 = b.build("l", 0, ["a", "b|c"]);
    expect(same(k1, k2)).toBe(false);
    expect(describeKey(k1)).toBe("l|0|a\\7cb|c");
  });
  it("escapes the escape byte so an escaped-looking value stays distinct", () => {
    const b = new CounterKeyBuilder("");
    const literal = b.build("l", 0, ["a\\7cb"]);
    const piped = b.build("l", 0, ["a|b"]);
    expect(same(literal, piped)).toBe(false);
    expect(describeKey(literal)).toBe("l|0|a\\5c7cb");
  });
  it("separates the limit name from the values", () => {
    const b = new CounterKeyBuilder("");
    expect(same(b.build("a|0", 0, []), b.build("a", 0, ["0"]))).toBe(false);
  });
  it("tells no value from one empty value", () => {
    const b = new CounterKeyBuilder("");
    expect(key(b, "l", 0, [])).toBe("l|0");
    expect(key(b, "l", 0, [""])).toBe("l|0|");
    expect(key(b, "l", 0, ["", ""])).toBe("l|0||");
  });
  it("escapes control characters and DEL so keys stay printable", () => {
    const b = new CounterKeyBuilder("");
    expect(key(b, "l", 0, ["a\nb\x00c\x7f"])).toBe("l|0|a\\0ab\\00c\\7f");
  });
  it("keeps non-ASCII values as UTF-8", () => {
    const b = new CounterKeyBuilder("");
    const k = b.build("l", 1, ["žluť😀"]);
    expect(k.byteLength).toBe(4 + 2 + 1 + 1 + 2 + 4);
    expect(describeKey(k)).toBe("l|1|žluť😀");
  });
  it("writes a lone surrogate as its escaped generalized UTF-8, never as U+FFFD", () => {
    const b = new CounterKeyBuilder("");
    const lone = String.fromCharCode(0xd800);
    expect(describeKey(b.build("l", 0, [lone + "x"]))).toBe("l|0|\\ed\\a0\\80x");
    expect(same(b.build("l", 0, [lone]), b.build("l", 0, ["\uFFFD"]))).toBe(false);
    expect(same(b.build("l", 0, [lone]), b.build("l", 0, [String.fromCharCode(0xd801)]))).toBe(false);
  });
  it("writes every part in full, however long (values are bounded key texts; nothing is hashed here)", () => {
    const b = new CounterKeyBuilder("");
    const v = "x".repeat(10_000);
    expect(key(b, "l", 0, [v])).toBe("l|0|" + v);
    const base = "y".repeat(500);
    expect(same(b.build("l", 0, [base + "a"]), b.build("l", 0, [base + "b"]))).toBe(false);
  });
  it("distinguishes rate indexes, including negative ones", () => {
    const b = new CounterKeyBuilder("");
    expect(key(b, "l", 10, [])).toBe("l|10");
    expect(key(b, "l", -1, [])).toBe("l|-1");
    expect(key(b, "l", i32.MAX_VALUE, [])).toBe("l|2147483647");
  });
  it("gives distinct keys to every pair of a set of tricky tuples", () => {
    const b = new CounterKeyBuilder("p");
    const keys = new Array<ArrayBuffer>(0);
    keys.push(b.build("a", 0, ["b", "c"]));
    keys.push(b.build("a", 0, ["b|c"]));
    keys.push(b.build("a|0", 0, ["b", "c"]));
    keys.push(b.build("a", 0, ["b\\", "c"]));
    keys.push(b.build("a", 0, ["b", "\\c"]));
    keys.push(b.build("a", 1, ["b", "c"]));
    keys.push(b.build("a", 0, ["b", "c", ""]));
    keys.push(b.build("a", 0, ["bc"]));
    keys.push(b.build("a", 0, ["#b", "c"]));
    for (let i = 0; i < keys.length; i++) {
      for (let j = i + 1; j < keys.length; j++) {
        expect(same(keys[i], keys[j])).toBe(false, "keys " + i.toString() + " and " + j.toString());
      }
    }
  });
  it("reuses its scratch buffer without leaking bytes between keys", () => {
    const b = new CounterKeyBuilder("");
    b.build("a-very-long-limit-name", 0, ["v".repeat(100), "w".repeat(100), "x".repeat(100)]);
    expect(key(b, "s", 0, ["t"])).toBe("s|0|t");
  });
});

describe("slot keys", () => {
  it("are the rate's key, '|#' and the slot number, or '|#overflow'", () => {
    const keys = new SlotKeys("tokenlimit|");
    expect(describeKey(keys.slot("free", 0, 90956))).toBe("tokenlimit|free|0|#90956");
    expect(describeKey(keys.slot("free", 3, 0))).toBe("tokenlimit|free|3|#0");
    expect(describeKey(keys.overflow("free", 0))).toBe("tokenlimit|free|0|#overflow");
  });
  it("escape the limit name like a counter key does", () => {
    const keys = new SlotKeys("");
    expect(describeKey(keys.slot("a|b#c", 1, 7))).toBe("a\\7cb\\23c|1|#7");
    expect(describeKey(keys.overflow("a|b", 1))).toBe("a\\7cb|1|#overflow");
  });
  it("never equal a counter's identity key, whatever its values", () => {
    const keys = new SlotKeys("p/");
    const b = new CounterKeyBuilder("p/");
    expect(same(keys.slot("l", 0, 5), b.build("l", 0, ["#5"]))).toBe(false);
    expect(same(keys.overflow("l", 0), b.build("l", 0, ["#overflow"]))).toBe(false);
  });
  it("do not disturb the builder's next counter key", () => {
    const b = new CounterKeyBuilder("p/");
    b.buildSlot("a-rather-long-limit-name", 12, 123456);
    expect(describeKey(b.build("l", 0, ["v"]))).toBe("p/l|0|v");
  });
});
