import { msUntilReset, windowEnd, windowStart } from "../limits/window";
import { ceilSeconds, satAdd, satAddSigned, satSub } from "../limits/saturate";

const DAY: i64 = 86_400_000;
// 2024-03-15T13:45:10.123Z
const NOW: i64 = 1710510310123;

describe("fixed windows aligned to the epoch", () => {
  it("starts a 24h window at 00:00 UTC", () => {
    expect(windowStart(NOW, DAY)).toBe(1710460800000); // 2024-03-15T00:00:00Z
    expect(windowEnd(windowStart(NOW, DAY), DAY)).toBe(1710547200000); // 2024-03-16T00:00:00Z
  });
  it("resets a 24h window exactly at midnight UTC", () => {
    const lastMs: i64 = 1709251199999; // 2024-02-29T23:59:59.999Z
    expect(windowStart(lastMs, DAY)).toBe(1709164800000);
    expect(windowStart(lastMs + 1, DAY)).toBe(1709251200000); // 2024-03-01T00:00:00Z
    expect(msUntilReset(lastMs, DAY)).toBe(1);
  });
  it("aligns a 1h30m window to multiples of 90 minutes since the epoch", () => {
    expect(windowStart(NOW, 5_400_000)).toBe(1710509400000); // 13:30:00Z
    expect(msUntilReset(NOW, 5_400_000)).toBe(1710514800000 - NOW); // until 15:00:00Z
  });
  it("aligns a 500ms window to half seconds", () => {
    expect(windowStart(NOW, 500)).toBe(1710510310000);
    expect(windowStart(1710510310500, 500)).toBe(1710510310500);
    expect(msUntilReset(NOW, 500)).toBe(377);
  });
  it("puts a window boundary instant in the new window", () => {
    expect(windowStart(60_000, 60_000)).toBe(60_000);
    expect(msUntilReset(60_000, 60_000)).toBe(60_000);
  });
  it("floors instants before the epoch instead of rounding toward zero", () => {
    expect(windowStart(-1, 1000)).toBe(-1000);
    expect(windowStart(-1000, 1000)).toBe(-1000);
  });
  it("reads a non-positive window length as 1ms instead of dividing by zero", () => {
    expect(windowStart(NOW, 0)).toBe(NOW);
    expect(windowStart(NOW, -5)).toBe(NOW);
    expect(msUntilReset(NOW, 0)).toBe(1);
  });
  it("clamps the end of a window at the largest instant", () => {
    expect(windowEnd(i64.MAX_VALUE - 10, 1000)).toBe(i64.MAX_VALUE);
    expect(windowStart(i64.MAX_VALUE, DAY)).toBeLessThanOrEqual(i64.MAX_VALUE);
  });
});

describe("saturating counts", () => {
  it("stops a sum at i64.MAX_VALUE", () => {
    expect(satAdd(i64.MAX_VALUE, 1)).toBe(i64.MAX_VALUE);
    expect(satAdd(i64.MAX_VALUE - 1, i64.MAX_VALUE)).toBe(i64.MAX_VALUE);
  });
  it("stops a difference at zero and reads negative counts as zero", () => {
    expect(satSub(5, 7)).toBe(0);
    expect(satAdd(-5, 3)).toBe(3);
    expect(satSub(-5, -7)).toBe(0);
  });
  it("clamps signed instants at both ends", () => {
    expect(satAddSigned(i64.MIN_VALUE + 1, -5)).toBe(i64.MIN_VALUE);
    expect(satAddSigned(10, -5)).toBe(5);
  });
  it("rounds seconds up without overflowing", () => {
    expect(ceilSeconds(1)).toBe(1);
    expect(ceilSeconds(1000)).toBe(1);
    expect(ceilSeconds(1001)).toBe(2);
    expect(ceilSeconds(0)).toBe(0);
    expect(ceilSeconds(i64.MAX_VALUE)).toBe(i64.MAX_VALUE / 1000 + 1);
  });
});
