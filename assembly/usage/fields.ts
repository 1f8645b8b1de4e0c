// The token counts a response can report. A field id is also a bit position in the
// field masks the path trie and the scanner use (bit i <=> field i).

export const FIELD_INPUT: i32 = 0;      // prompt / input tokens
export const FIELD_OUTPUT: i32 = 1;     // completion / output / candidates tokens
export const FIELD_TOTAL: i32 = 2;      // total tokens as reported
export const FIELD_CACHED: i32 = 3;     // input tokens read from a prompt cache
export const FIELD_REASONING: i32 = 4;  // reasoning / thinking tokens
export const FIELD_CACHE_WRITE: i32 = 5; // input tokens written to a prompt cache (Anthropic)
export const FIELD_COUNT: i32 = 6;

/** Pseudo-field for generated-text strings (counted in bytes, summed, not a token count). */
export const FIELD_TEXT: i32 = 31;

/**
 * Field id for a configuration name: "input", "output", "total", "cached", "reasoning",
 * "cacheWrite", or "text" (generated-text strings, FIELD_TEXT). -1 if unknown.
 */
export function fieldByName(name: string): i32 {
  if (name == "input") return FIELD_INPUT;
  if (name == "output") return FIELD_OUTPUT;
  if (name == "total") return FIELD_TOTAL;
  if (name == "cached") return FIELD_CACHED;
  if (name == "reasoning") return FIELD_REASONING;
  if (name == "cacheWrite") return FIELD_CACHE_WRITE;
  if (name == "text") return FIELD_TEXT;
  return -1;
}

/** Configuration name of a field id ("" if unknown). */
export function fieldName(field: i32): string {
  switch (field) {
    case FIELD_INPUT: return "input";
    case FIELD_OUTPUT: return "output";
    case FIELD_TOTAL: return "total";
    case FIELD_CACHED: return "cached";
    case FIELD_REASONING: return "reasoning";
    case FIELD_CACHE_WRITE: return "cacheWrite";
    case FIELD_TEXT: return "text";
    default: return "";
  }
}

// @ts-ignore: decorator
@inline export const I64_MAX: i64 = 0x7FFFFFFFFFFFFFFF;

/** a + b for non-negative counts, saturating at i64 max instead of wrapping. */
// @ts-ignore: decorator
@inline export function satAdd(a: i64, b: i64): i64 {
  const r = a + b;
  return r < a ? I64_MAX : r;
}
