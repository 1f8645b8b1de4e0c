// Kuadrant durations: a sequence of `<integer><unit>` (`30s`, `24h`, `1h30m`, `500ms`),
// units ms, s, m, h and, as an extension, d (24h). The parts add up, in any order.

import { quoteJson } from "../json/path";

export const MS_PER_SECOND: i64 = 1000;
export const MS_PER_MINUTE: i64 = 60 * MS_PER_SECOND;
export const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;
export const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;
/** Longest accepted duration: 366 days (a window longer than a year is a typo). */
export const MAX_DURATION_MS: i64 = 366 * MS_PER_DAY;

/** Outcome of parsing a duration; `error` is "" on success. */
export class DurationResult {
  ms: i64 = 0;
  error: string = "";
}

/** The examples quoted in every duration error. */
export const DURATION_EXAMPLES = "e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d";

/**
 * Parses a duration into milliseconds. Fails (with a message naming the text) on
 * anything but `(<digits><unit>)+`, on a zero total and on totals above 366d.
 * Allocates only the message; never traps (parts are bounded before multiplying).
 */
export function parseDuration(text: string): DurationResult {
  const out = new DurationResult();
  const n = text.length;
  let i = 0;
  let total: i64 = 0;
  let tooLong = false;
  if (n == 0) return invalid(out, text);
  while (i < n) {
    const digitsStart = i;
    let value: i64 = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      // Saturate: anything past the maximum is reported as too long, not wrapped.
      if (value <= MAX_DURATION_MS) value = value * 10 + <i64>(c - 0x30);
      i++;
    }
    if (i == digitsStart || i >= n) return invalid(out, text);
    let unit: i64 = 0;
    const c = text.charCodeAt(i);
    if (c == 0x6d /* m */) {
      if (i + 1 < n && text.charCodeAt(i + 1) == 0x73 /* s */) { unit = 1; i += 2; }
      else { unit = MS_PER_MINUTE; i++; }
    } else if (c == 0x73 /* s */) { unit = MS_PER_SECOND; i++; }
    else if (c == 0x68 /* h */) { unit = MS_PER_HOUR; i++; }
    else if (c == 0x64 /* d */) { unit = MS_PER_DAY; i++; }
    else return invalid(out, text);
    if (value > MAX_DURATION_MS / unit) tooLong = true;
    else {
      total += value * unit;
      if (total > MAX_DURATION_MS) tooLong = true;
    }
  }
  if (tooLong) {
    out.error = "duration " + quote(text) + " is longer than 366d";
    return out;
  }
  if (total == 0) {
    out.error = "duration " + quote(text) + " must be greater than zero";
    return out;
  }
  out.ms = total;
  return out;
}

/** `ms` written back as a duration (`1h30m`, `500ms`, `1d`), largest units first. */
export function formatDuration(ms: i64): string {
  if (ms <= 0) return "0s";
  let out = "";
  let rest = ms;
  const units: StaticArray<i64> = [MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, MS_PER_SECOND, 1];
  const names: StaticArray<string> = ["d", "h", "m", "s", "ms"];
  for (let k = 0; k < 5; k++) {
    const u = unchecked(units[k]);
    const q = rest / u;
    if (q > 0) { out += q.toString() + unchecked(names[k]); rest -= q * u; }
  }
  return out;
}

function invalid(out: DurationResult, text: string): DurationResult {
  out.error = "invalid duration " + quote(text) + " (expected " + DURATION_EXAMPLES + ")";
  return out;
}

function quote(text: string): string {
  // Keep messages one short line even for a pasted blob.
  return quoteJson(text.length > 40 ? text.substring(0, 37) + "..." : text);
}
