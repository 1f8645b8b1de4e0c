// Rate windows. Kuadrant takes the Gateway API duration format (GEP-2257): one to four
// `<1-5 digits><unit>` parts, units h, m, s, ms; tokenlimit also takes d (24h), as
// Kuadrant's TokenRateLimitPolicy documentation shows `1d`.

const PART = /([0-9]{1,5})(ms|d|h|m|s)/y;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a window such as `30s`, `1m`, `24h`, `1h30m`, `500ms` or `1d` into milliseconds.
 * Returns null when the text is not in that format (including more than four parts).
 * A zero window (`0s`) parses as 0; callers decide whether that is allowed.
 */
export function parseWindow(text: string): number | null {
  let total = 0;
  let parts = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (m === null || ++parts > 4) return null;
    total += Number(m[1]) * UNIT_MS[m[2]];
  }
  return parts === 0 ? null : total;
}
