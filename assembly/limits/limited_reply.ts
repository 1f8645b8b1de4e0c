// The 429 of a refused request written as bytes: its JSON body into a reused writer and
// its headers in Envoy's pairs layout into a reused buffer, the same bytes as
// limitedResponse's body and headers once encoded, without building a string. A caller
// over budget is answered this way on every request it keeps sending.
import { JsonByteWriter, grownTo } from "../json/byte_writer";
import { writeDecimal } from "../json/decimal";
import { ErrorFormat } from "../config/response";
import { Decision } from "./decision";
import { RateLimitHeaderNames, writeResetDuration } from "./headers";
import { anthropicErrorType, googleStatus } from "./limited_response";

const OPENAI_START = String.UTF8.encode("{\"error\":{\"message\":\"");
const OPENAI_END = String.UTF8.encode("\",\"type\":\"tokens\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}");
const ANTHROPIC_START = String.UTF8.encode("{\"type\":\"error\",\"error\":{\"type\":\"");
const ANTHROPIC_MESSAGE = String.UTF8.encode("\",\"message\":\"");
const ANTHROPIC_END = String.UTF8.encode("\"}}");
const GEMINI_START = String.UTF8.encode("{\"error\":{\"code\":");
const GEMINI_MESSAGE = String.UTF8.encode(",\"message\":\"");
const GEMINI_STATUS = String.UTF8.encode("\",\"status\":\"");
const GEMINI_END = String.UTF8.encode("\"}}");
const ON_LIMIT = String.UTF8.encode(" on limit ");
const LIMIT = String.UTF8.encode(": limit ");
const REMAINING = String.UTF8.encode(", remaining ");
const TRY_AGAIN = String.UTF8.encode(". Please try again in ");
const CONTENT_TYPE = String.UTF8.encode("content-type");
const APPLICATION_JSON = String.UTF8.encode("application/json");

// The longest header value written: an i64 in decimal or a reset duration (20 bytes).
// @ts-ignore: decorator
@inline const VALUE_BYTES: i32 = 32;
const VALUE_SCRATCH: usize = memory.data(VALUE_BYTES);

/**
 * Writes into `out` (reset first) the body limitedResponse(d, status, message, names,
 * format) would give, as UTF-8. Allocates nothing once `out` has grown to it.
 */
export function writeLimitedBody(out: JsonByteWriter, d: Decision, status: u32, message: string, format: ErrorFormat): JsonByteWriter {
  out.reset();
  if (format == ErrorFormat.Anthropic) {
    // The types and status names are ASCII without anything to escape.
    out.bytes(ANTHROPIC_START).ascii(anthropicErrorType(status)).bytes(ANTHROPIC_MESSAGE);
    writeMessage(out, d, message);
    return out.bytes(ANTHROPIC_END);
  }
  if (format == ErrorFormat.Gemini) {
    out.bytes(GEMINI_START).int(<i64>status).bytes(GEMINI_MESSAGE);
    writeMessage(out, d, message);
    return out.bytes(GEMINI_STATUS).ascii(googleStatus(status)).bytes(GEMINI_END);
  }
  out.bytes(OPENAI_START);
  writeMessage(out, d, message);
  return out.bytes(OPENAI_END);
}

/** The message inside its JSON string: `<message> on limit <name>: limit N, remaining N. Please try again in 6m0s.` */
function writeMessage(out: JsonByteWriter, d: Decision, message: string): void {
  out.text(message);
  if (d.hasCounter) {
    out.bytes(ON_LIMIT).text(d.limitName).bytes(LIMIT).int(d.limit).bytes(REMAINING).int(d.remaining).bytes(TRY_AGAIN);
    out.raw(VALUE_SCRATCH, <i32>writeResetDuration(VALUE_SCRATCH, d.resetMs));
  }
  out.byte(0x2e); // .
}

/**
 * Envoy's header pairs (`u32 count | count x (u32 name_len, u32 value_len) | name\0
 * value\0 ...`) built in one reused buffer.
 */
export class HeaderPairsWriter {
  private buf: ArrayBuffer = new ArrayBuffer(256);
  private len: i32 = 0;
  private count: i32 = 0;
  private capacity: i32 = 0;

  /** Starts a blob of exactly `count` headers (each then given to `add`). */
  begin(count: i32): HeaderPairsWriter {
    this.count = 0;
    this.capacity = count;
    this.len = 0;
    this.reserve(4 + 8 * count);
    store<u32>(changetype<usize>(this.buf), <u32>count);
    this.len = 4 + 8 * count;
    return this;
  }

  /** Adds a header; one past the count given to `begin` is ignored. */
  add(namePtr: usize, nameLen: usize, valuePtr: usize, valueLen: usize): void {
    if (this.count >= this.capacity) return;
    this.reserve(<i32>(nameLen + valueLen) + 2);
    const base = changetype<usize>(this.buf);
    const slot = base + 4 + 8 * <usize>this.count;
    store<u32>(slot, <u32>nameLen);
    store<u32>(slot + 4, <u32>valueLen);
    let p = base + <usize>this.len;
    memory.copy(p, namePtr, nameLen);
    p += nameLen;
    store<u8>(p++, 0);
    memory.copy(p, valuePtr, valueLen);
    p += valueLen;
    store<u8>(p++, 0);
    this.len = <i32>(p - base);
    this.count++;
  }

  /** Start of the blob (valid until the next `begin` or `add`). */
  get ptr(): usize { return changetype<usize>(this.buf); }

  /** Size of the blob. */
  get length(): i32 { return this.len; }

  private reserve(extra: i32): void {
    const need = this.len + extra;
    if (need > this.buf.byteLength) this.buf = grownTo(this.buf, this.len, need);
  }
}

/**
 * Writes into `out` the headers limitedResponse gives for `d`: `content-type:
 * application/json`, then limit, remaining and reset when `d` has a counter, and
 * retry-after (at least 1) when it was refused, each left out when its name is "".
 * Allocates nothing once `out` has grown.
 */
export function writeLimitedHeaders(out: HeaderPairsWriter, d: Decision, names: RateLimitHeaderNames): HeaderPairsWriter {
  const limit = d.hasCounter && names.limit.length > 0;
  const remaining = d.hasCounter && names.remaining.length > 0;
  const reset = d.hasCounter && names.reset.length > 0;
  const retryAfter = d.hasCounter && !d.admitted && names.retryAfter.length > 0;
  out.begin(1 + <i32>limit + <i32>remaining + <i32>reset + <i32>retryAfter);
  out.add(changetype<usize>(CONTENT_TYPE), <usize>CONTENT_TYPE.byteLength,
    changetype<usize>(APPLICATION_JSON), <usize>APPLICATION_JSON.byteLength);
  if (limit) addValue(out, names.limitUtf8, writeDecimal(VALUE_SCRATCH, d.limit));
  if (remaining) addValue(out, names.remainingUtf8, writeDecimal(VALUE_SCRATCH, d.remaining));
  if (reset) addValue(out, names.resetUtf8, writeResetDuration(VALUE_SCRATCH, d.resetMs));
  if (retryAfter) addValue(out, names.retryAfterUtf8, writeDecimal(VALUE_SCRATCH, d.retryAfterSeconds < 1 ? 1 : d.retryAfterSeconds));
  return out;
}

function addValue(out: HeaderPairsWriter, name: ArrayBuffer, valueLen: usize): void {
  out.add(changetype<usize>(name), <usize>name.byteLength, VALUE_SCRATCH, valueLen);
}
