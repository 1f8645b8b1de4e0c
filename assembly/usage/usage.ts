// The result of reading one response: token counts, which of them were found, a
// generated-text byte count for estimates, and how the scan ended.

import {
  FIELD_INPUT, FIELD_OUTPUT, FIELD_TOTAL, FIELD_CACHED, FIELD_REASONING, FIELD_CACHE_WRITE,
} from "./fields";

/** The body was complete, well-formed JSON (or a well-formed event stream). */
export const SCAN_OK: i32 = 0;
/** Nothing but whitespace was seen (or an event stream without events). */
export const SCAN_EMPTY: i32 = 1;
/** The body ended inside a JSON value (truncated response). */
export const SCAN_INCOMPLETE: i32 = 2;
/** The body is not JSON; `errorOffset` is the offset of the first bad byte. */
export const SCAN_INVALID: i32 = 3;
/** A limit was exceeded (nesting depth); the rest of the body was not examined. */
export const SCAN_GAVE_UP: i32 = 4;

/** Name of a SCAN_* status: "ok", "empty", "incomplete", "invalid", "gave-up". */
export function scanStatusName(status: i32): string {
  switch (status) {
    case SCAN_OK: return "ok";
    case SCAN_EMPTY: return "empty";
    case SCAN_INCOMPLETE: return "incomplete";
    case SCAN_INVALID: return "invalid";
    case SCAN_GAVE_UP: return "gave-up";
    default: return "unknown";
  }
}

/** Bytes of text per token, for every estimate made from bytes (English text with BPE
 * tokenizers averages about four bytes per token). The one place the ratio is set. */
export const TEXT_BYTES_PER_TOKEN: i64 = 4;

/**
 * Tokens in `bytes` bytes of text at `ratio` bytes per token (the policy's
 * admission.bytesPerToken; TEXT_BYTES_PER_TOKEN by default), rounded up; 0 for none.
 */
export function tokensForBytes(bytes: i64, ratio: i64 = TEXT_BYTES_PER_TOKEN): i64 {
  if (bytes <= 0) return 0;
  const r = ratio < 1 ? TEXT_BYTES_PER_TOKEN : ratio;
  return bytes / r + (bytes % r != 0 ? 1 : 0);
}

/**
 * Token usage read from one LLM response.
 *
 * Counts are as the provider reports them: OpenAI's prompt tokens include cached tokens,
 * Anthropic's input tokens exclude cache reads (`cached`) and cache writes (`cacheWrite`).
 * When the response reports no total, `total` is input + output (`totalComputed`).
 * A count that was not found is 0 and its bit in `found` is clear.
 */
export class Usage {
  input: i64 = 0;
  output: i64 = 0;
  total: i64 = 0;
  cached: i64 = 0;
  reasoning: i64 = 0;
  cacheWrite: i64 = 0;
  /** Bit (1 << FIELD_*) per count found in the response. */
  found: u32 = 0;
  /** `total` was not reported and is input + output. */
  totalComputed: bool = false;
  /** At least one token count was found. */
  hasUsage: bool = false;
  /** Bytes of generated-text strings (raw JSON string bytes, escapes included). */
  textBytes: i64 = 0;
  /** Bytes of response body seen. */
  bodyBytes: i64 = 0;
  /** The body was read as an event stream. */
  streaming: bool = false;
  /** Events dispatched (event streams). */
  events: i64 = 0;
  /** Events whose data was not a complete JSON document (`[DONE]` excluded). */
  invalidEvents: i64 = 0;
  /** `data: [DONE]` was seen. */
  sawDone: bool = false;
  /** SCAN_* status of the body; for event streams, of the first event that was not ok. */
  status: i32 = SCAN_EMPTY;
  /** Offset of the first bad byte when status is invalid/incomplete/gave-up, else -1.
   * For an event stream it is the stream offset of the event's data plus the offset of
   * the bad byte inside that data. */
  errorOffset: i64 = -1;
  /** What was wrong, for logs ("" when status is ok). */
  error: string = "";

  /** True if the count for FIELD_* `field` was found. */
  has(field: i32): bool { return (this.found & (<u32>1 << <u32>field)) != 0; }
  get hasInput(): bool { return this.has(FIELD_INPUT); }
  get hasOutput(): bool { return this.has(FIELD_OUTPUT); }
  get hasTotal(): bool { return this.has(FIELD_TOTAL); }
  get hasCached(): bool { return this.has(FIELD_CACHED); }
  get hasReasoning(): bool { return this.has(FIELD_REASONING); }
  get hasCacheWrite(): bool { return this.has(FIELD_CACHE_WRITE); }

  /** Count of FIELD_* `field` (0 if not found). */
  get(field: i32): i64 {
    switch (field) {
      case FIELD_INPUT: return this.input;
      case FIELD_OUTPUT: return this.output;
      case FIELD_TOTAL: return this.total;
      case FIELD_CACHED: return this.cached;
      case FIELD_REASONING: return this.reasoning;
      case FIELD_CACHE_WRITE: return this.cacheWrite;
      default: return 0;
    }
  }

  /**
   * Fallback estimate of output tokens when the response reported none: generated-text
   * bytes / TEXT_BYTES_PER_TOKEN, rounded up. Coarse (code and non-Latin scripts use
   * more bytes per token in UTF-8 but fewer per byte of JSON escapes); use only when
   * `hasUsage` is false.
   */
  estimatedOutputTokens(): i64 {
    return tokensForBytes(this.textBytes);
  }

  /**
   * Bytes that may have been generated text, for a response that reported no usage: the
   * text strings of the preset; or, when the body could not be read as JSON or an event
   * stream (another format, or not valid) and no text string was found, the whole body.
   */
  seenTextBytes(): i64 {
    if (this.textBytes > 0) return this.textBytes;
    const unparsed = this.status == SCAN_INVALID || this.status == SCAN_GAVE_UP || (this.streaming && this.events == 0);
    return unparsed ? this.bodyBytes : 0;
  }
}
