import { parseDuration, formatDuration, MAX_DURATION_MS } from "../config/duration";

function ms(text: string): i64 {
  const d = parseDuration(text);
  return d.error.length > 0 ? -1 : d.ms;
}
function err(text: string): string {
  return parseDuration(text).error;
}

describe("durations", () => {
  it("reads every unit", () => {
    expect(ms("500ms")).toBe(500);
    expect(ms("30s")).toBe(30000);
    expect(ms("1m")).toBe(60000);
    expect(ms("24h")).toBe(86400000);
    expect(ms("1d")).toBe(86400000);
  });
  it("adds up sequences of parts", () => {
    expect(ms("1h30m")).toBe(5400000);
    expect(ms("1m30s500ms")).toBe(90500);
    expect(ms("2d12h")).toBe(216000000);
  });
  it("accepts parts in any order and repeated units, as Kuadrant's pattern does", () => {
    expect(ms("30m1h")).toBe(5400000);
    expect(ms("1h1h")).toBe(7200000);
  });
  it("tells ms from m followed by seconds", () => {
    expect(ms("1ms")).toBe(1);
    expect(ms("1m5s")).toBe(65000);
  });
  it("accepts leading zeros and zero parts next to non-zero ones", () => {
    expect(ms("01m")).toBe(60000);
    expect(ms("0h5m")).toBe(300000);
  });
  it("accepts exactly 366 days", () => {
    expect(ms("366d")).toBe(MAX_DURATION_MS);
    expect(ms("8784h")).toBe(MAX_DURATION_MS);
  });
  it("rejects fractions, bare numbers, signs, unknown units and empty text", () => {
    const bad = ["1.5h", "", "10", "-1s", "1x", "h", "1 h", " 1h", "1h ", "1H", "+1s", "1hm", "1mss", "1e3s", "1_000s", "１s"];
    for (let i = 0; i < bad.length; i++) {
      expect(err(bad[i])).toBe("invalid duration \"" + bad[i] + "\" (expected e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d)");
    }
  });
  it("rejects zero", () => {
    expect(err("0s")).toBe("duration \"0s\" must be greater than zero");
    expect(err("0h0m")).toBe("duration \"0h0m\" must be greater than zero");
  });
  it("rejects more than 366 days", () => {
    expect(err("367d")).toBe("duration \"367d\" is longer than 366d");
    expect(err("366d1ms")).toBe("duration \"366d1ms\" is longer than 366d");
  });
  it("rejects numbers that would overflow instead of wrapping", () => {
    expect(err("99999999999999999999999d")).toBe("duration \"99999999999999999999999d\" is longer than 366d");
    expect(err("9223372036854775807ms")).toBe("duration \"9223372036854775807ms\" is longer than 366d");
  });
  it("shortens very long text in messages", () => {
    expect(err("1" + "0".repeat(100) + "x")).toBe("invalid duration \"1000000000000000000000000000000000000...\" (expected e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d)");
  });
  it("formats milliseconds back, largest units first", () => {
    expect(formatDuration(5400000)).toBe("1h30m");
    expect(formatDuration(86400000)).toBe("1d");
    expect(formatDuration(500)).toBe("500ms");
    expect(formatDuration(90500)).toBe("1m30s500ms");
  });
});
