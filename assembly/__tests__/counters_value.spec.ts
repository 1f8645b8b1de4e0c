import { CounterState, decodeCounter, encodeCounter, VALUE_MAGIC, VALUE_SIZE, VALUE_VERSION } from "../counters/value";

function state(ws: i64, w: i64, used: i64, reserved: i64): CounterState {
  return new CounterState().set(ws, w, used, reserved);
}

describe("counter value encoding", () => {
  it("round-trips window, used and reserved", () => {
    const bytes = encodeCounter(state(1710460800000, 86_400_000, 12345, 678), new ArrayBuffer(VALUE_SIZE));
    const back = new CounterState();
    expect(decodeCounter(bytes, back)).toBe(true);
    expect(back.windowStart).toBe(1710460800000);
    expect(back.windowMs).toBe(86_400_000);
    expect(back.used).toBe(12345);
    expect(back.reserved).toBe(678);
  });
  it("lays fields out little-endian after magic and version", () => {
    const bytes = encodeCounter(state(0x0102, 1000, 5, 7), new ArrayBuffer(VALUE_SIZE));
    expect(bytes.byteLength).toBe(34);
    const p = changetype<usize>(bytes);
    expect(load<u8>(p)).toBe(VALUE_MAGIC);
    expect(load<u8>(p + 1)).toBe(VALUE_VERSION);
    expect(load<u8>(p + 2)).toBe(0x02);
    expect(load<u8>(p + 3)).toBe(0x01);
    expect(load<u8>(p + 18)).toBe(5);
    expect(load<u8>(p + 26)).toBe(7);
  });
  it("writes into the caller's buffer when it has the right size", () => {
    const scratch = new ArrayBuffer(VALUE_SIZE);
    expect(changetype<usize>(encodeCounter(state(0, 1, 0, 0), scratch))).toBe(changetype<usize>(scratch));
  });
  it("writes a fresh buffer when the caller's has the wrong size", () => {
    expect(encodeCounter(state(0, 1, 0, 0), new ArrayBuffer(3)).byteLength).toBe(VALUE_SIZE);
  });
  it("rejects a value of the wrong size, including empty", () => {
    const out = state(1, 1, 1, 1);
    expect(decodeCounter(new ArrayBuffer(0), out)).toBe(false);
    expect(out.used).toBe(0);
    expect(decodeCounter(new ArrayBuffer(VALUE_SIZE + 1), out)).toBe(false);
  });
  it("rejects a value with another magic or version", () => {
    const bytes = encodeCounter(state(0, 1000, 5, 0), new ArrayBuffer(VALUE_SIZE));
    store<u8>(changetype<usize>(bytes), 0x7b); // '{'
    expect(decodeCounter(bytes, new CounterState())).toBe(false);
    const v2 = encodeCounter(state(0, 1000, 5, 0), new ArrayBuffer(VALUE_SIZE));
    store<u8>(changetype<usize>(v2) + 1, 2);
    expect(decodeCounter(v2, new CounterState())).toBe(false);
  });
  it("rejects a value whose window length is not positive", () => {
    const bytes = encodeCounter(state(0, 1000, 5, 0), new ArrayBuffer(VALUE_SIZE));
    store<i64>(changetype<usize>(bytes) + 10, -1);
    expect(decodeCounter(bytes, new CounterState())).toBe(false);
  });
  it("reads counts above i64.MAX_VALUE as i64.MAX_VALUE", () => {
    const bytes = encodeCounter(state(0, 1000, 0, 0), new ArrayBuffer(VALUE_SIZE));
    store<u64>(changetype<usize>(bytes) + 18, u64.MAX_VALUE);
    store<u64>(changetype<usize>(bytes) + 26, <u64>i64.MAX_VALUE + 1);
    const out = new CounterState();
    expect(decodeCounter(bytes, out)).toBe(true);
    expect(out.used).toBe(i64.MAX_VALUE);
    expect(out.reserved).toBe(i64.MAX_VALUE);
  });
  it("writes negative counts as zero", () => {
    const s = new CounterState();
    s.used = -5;
    s.windowMs = 1;
    const out = new CounterState();
    decodeCounter(encodeCounter(s, new ArrayBuffer(VALUE_SIZE)), out);
    expect(out.used).toBe(0);
  });
});
