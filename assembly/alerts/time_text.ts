// Instants as RFC 3339 text in UTC (`2026-11-30T00:00:00Z`), for alert payloads. Whole
// seconds: windows start on whole seconds of the epoch unless configured in ms.

const MS_PER_DAY: i64 = 86_400_000;

/**
 * `ms` (since the Unix epoch) as `YYYY-MM-DDTHH:MM:SSZ`, milliseconds dropped (floored).
 * Years before 0000 or after 9999 are clamped to those. Allocates the string only.
 */
export function rfc3339(ms: i64): string {
  // Clamp to 0000-01-01 .. 9999-12-31T23:59:59.
  const MIN: i64 = -62_167_219_200_000;
  const MAX: i64 = 253_402_300_799_000;
  if (ms < MIN) ms = MIN;
  if (ms > MAX) ms = MAX;
  let days = ms / MS_PER_DAY;
  let rem = ms % MS_PER_DAY;
  if (rem < 0) { rem += MS_PER_DAY; days -= 1; }
  const secs = <i32>(rem / 1000);
  // Civil date from days since 1970-01-01, in 400-year eras starting on March 1st.
  const z = days + 719_468;
  const era = (z >= 0 ? z : z - 146_096) / 146_097;
  const doe = z - era * 146_097;
  const yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const day = <i32>(doy - (153 * mp + 2) / 5 + 1);
  const month = <i32>(mp < 10 ? mp + 3 : mp - 9);
  const year = <i32>(yoe + era * 400 + (month <= 2 ? 1 : 0));
  return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" +
    pad(secs / 3600, 2) + ":" + pad((secs / 60) % 60, 2) + ":" + pad(secs % 60, 2) + "Z";
}

/** Whole seconds since the epoch, floored. */
export function epochSeconds(ms: i64): i64 {
  let s = ms / 1000;
  if (ms % 1000 < 0) s -= 1;
  return s;
}

function pad(n: i32, width: i32): string {
  let s = n.toString();
  while (s.length < width) s = "0" + s;
  return s;
}
