import { CounterState, decodeCounter, encodeCounter, VALUE_MAGIC, VALUE_SIZE, VALUE_V1_SIZE, VALUE_VERSION } from "../counters/value";

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
  it("round-trips both reservation periods and the current period's start", () => {
    const bytes = encodeCounter(new CounterState().set(0, 1000, 1, 22, 1710460800000, 33), new ArrayBuffer(VALUE_SIZE));
    const back = new CounterState();
    expect(decodeCounter(bytes, back)).toBe(true);
    expect(back.reserved).toBe(22);
    expect(back.reservedPrev).toBe(33);
    expect(back.reservedSince).toBe(1710460800000);
    expect(back.totalReserved()).toBe(55);
  });
  it("reads a version 1 value (34 bytes) with what it charged and no reservation", () => {
    const bytes = new ArrayBuffer(VALUE_V1_SIZE);
    const p = changetype<usize>(bytes);
    store<u8>(p, VALUE_MAGIC);
    store<u8>(p + 1, 1);
    store<i64>(p + 2, 60_000);
    store<i64>(p + 10, 60_000);
    store<u64>(p + 18, 42);
    store<u64>(p + 26, 99);
    const out = new CounterState();
    expect(decodeCounter(bytes, out)).toBe(true);
    expect(out.windowStart).toBe(60_000);
    expect(out.used).toBe(42);
    expect(out.totalReserved()).toBe(0);
  });
  it("lays fields out little-endian after magic and version", () => {
    const bytes = encodeCounter(new CounterState().set(0x0102, 1000, 5, 7, 0x0304, 9), new ArrayBuffer(VALUE_SIZE));
    expect(bytes.byteLength).toBe(50);
    const p = changetype<usize>(bytes);
    expect(load<u8>(p)).toBe(VALUE_MAGIC);
    expect(load<u8>(p + 1)).toBe(VALUE_VERSION);
    expect(load<u8>(p + 2)).toBe(0x02);
    expect(load<u8>(p + 3)).toBe(0x01);
    expect(load<u8>(p + 18)).toBe(5);
    expect(load<u8>(p + 26)).toBe(7);
    expect(load<u8>(p + 34)).toBe(9);
    expect(load<u8>(p + 42)).toBe(0x04);
    expect(load<u8>(p + 43)).toBe(0x03);
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
    const v3 = encodeCounter(state(0, 1000, 5, 0), new ArrayBuffer(VALUE_SIZE));
    store<u8>(changetype<usize>(v3) + 1, 3);
    expect(decodeCounter(v3, new CounterState())).toBe(false);
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
