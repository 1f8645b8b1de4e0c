import { Value, MapValue } from "../cel/value";
import { counterValueText, MAX_KEY_TEXT_BYTES } from "../limits/counter_value";

function text(v: Value): string {
  const t = counterValueText(v);
  return t === null ? "<none>" : t;
}

function bytesOf(xs: Array<u8>): Value {
  const b = new ArrayBuffer(xs.length);
  for (let i = 0; i < xs.length; i++) store<u8>(changetype<usize>(b) + <usize>i, xs[i]);
  return Value.bytes(b);
}

describe("key text of a counter value", () => {
  it("is a plain string itself, allocating nothing", () => {
    const v = Value.string("alice");
    expect(counterValueText(v) === v.str).toBe(true);
  });
  it("tags every other type, so 123 and \"123\" differ", () => {
    expect(text(Value.string("123"))).toBe("123");
    expect(text(Value.int(123))).toBe("#int:123");
    expect(text(Value.uint(123))).toBe("#uint:123");
    expect(text(Value.double(123.0))).toBe("#double:123");
    expect(text(Value.bool(true))).toBe("#bool:true");
  });
  it("tags a string starting with '#', so it never reads as a typed text", () => {
    expect(text(Value.string("#int:123"))).toBe("#string:#int:123");
  });
  it("keeps every byte of bytes in hex", () => {
    expect(text(bytesOf([0x61, 0xff]))).toBe("#bytes:61ff");
    expect(text(bytesOf([0x61, 0xfe]))).toBe("#bytes:61fe");
  });
  it("quotes a string holding a lone surrogate, distinct from U+FFFD", () => {
    expect(text(Value.string("a" + String.fromCharCode(0xdcff)))).toBe("#utf16:\"a\\udcff\"");
    expect(text(Value.string("a\uFFFD"))).toBe("a\uFFFD");
  });
  it("writes lists and maps with self-delimited, typed elements, maps sorted by key", () => {
    expect(text(Value.list([Value.string("a,b")]))).toBe("#list:[\"a,b\"]");
    expect(text(Value.list([Value.string("a"), Value.string("b")]))).toBe("#list:[\"a\",\"b\"]");
    expect(text(Value.list([Value.double(1.0), Value.int(1), Value.uint(1)]))).toBe("#list:[1.0,1,1u]");
    const m = new MapValue();
    m.setString("b", Value.int(2));
    m.setString("a", Value.string("x\"y"));
    expect(text(Value.map(m))).toBe("#map:{\"a\":\"x\\\"y\",\"b\":2}");
  });
  it("has no text for null, errors and the empty string", () => {
    expect(text(Value.null())).toBe("<none>");
    expect(text(Value.error("x"))).toBe("<none>");
    expect(text(Value.string(""))).toBe("<none>");
  });
  it("keeps texts of MAX_KEY_TEXT_BYTES in full and digests longer ones", () => {
    expect(text(Value.string("x".repeat(MAX_KEY_TEXT_BYTES)))).toBe("x".repeat(MAX_KEY_TEXT_BYTES));
    const long = text(Value.string("x".repeat(MAX_KEY_TEXT_BYTES + 1)));
    expect(long.startsWith("#sha256:")).toBe(true);
    expect(long.length).toBe(8 + 64);
  });
  it("has no text for a value past the work bound, whatever its sharing", () => {
    let v = Value.list([Value.string("alice")]);
    for (let i = 0; i < 30; i++) v = Value.list([v, v]);
    expect(text(v)).toBe("<none>");
  });
});
