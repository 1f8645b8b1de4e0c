// Request inspection: what an LLM request asks for (streaming, usage in the stream, the
// output token cap, the model), and the one rewrite the limiter needs: asking an
// OpenAI-compatible server to report usage at the end of a stream.

import { JsonCursor } from "./json_cursor";
import { detectEncoding, ENC_UTF8, fromUtf8Spliced, toUtf8, utf8Scratch } from "./encoding";

export const INCLUDE_USAGE_ABSENT: i32 = -1;
export const INCLUDE_USAGE_FALSE: i32 = 0;
export const INCLUDE_USAGE_TRUE: i32 = 1;
/** Present but not a boolean (e.g. null). */
export const INCLUDE_USAGE_OTHER: i32 = 2;

const SO_ABSENT: i32 = 0;
const SO_OBJECT: i32 = 1;
const SO_NULL: i32 = 2;
const SO_OTHER: i32 = 3;

/** What a request body says. Counts are -1 when absent or not a non-negative integer. */
export class RequestInfo {
  /** The body is one well-formed JSON object. Nothing else is meaningful if false. */
  valid: bool = false;
  error: string = "";
  errorOffset: i32 = -1;
  /** `stream` is true as pydantic's lax mode reads it: `true`, `1`, `1.0`, `"true"`, `"yes"`, `"on"`... */
  stream: bool = false;
  /** `stream_options.include_usage`: INCLUDE_USAGE_*. */
  includeUsage: i32 = INCLUDE_USAGE_ABSENT;
  /** `max_tokens` (OpenAI legacy, Anthropic). */
  maxTokens: i64 = -1;
  /** `max_completion_tokens` (OpenAI chat). */
  maxCompletionTokens: i64 = -1;
  /** `max_output_tokens` (OpenAI Responses). */
  maxOutputTokens: i64 = -1;
  /** `generationConfig.maxOutputTokens` (Gemini). */
  geminiMaxOutputTokens: i64 = -1;
  /** `model`, decoded ("" if absent or not a string; Gemini names the model in the path). */
  model: string = "";
  /** `n`: how many choices OpenAI generates. */
  n: i64 = -1;
  /** `generationConfig.candidateCount`: how many candidates Gemini generates. */
  candidateCount: i64 = -1;
  /** Bytes of the body's string values other than the fields read above (the prompt's text). */
  textBytes: i64 = 0;
  /** Attachments: strings that are base64 media (a `data` member, a `data:` URL). */
  attachments: i64 = 0;
  /** Numbers other than the fields read above (token ids of a prompt given as ids). */
  numbers: i64 = 0;

  /** ENC_* of the body; other than UTF-8, the fields were read from `utf8`, its transcoding. */
  encoding: i32 = ENC_UTF8;
  /** Bytes of UTF-16/32 byte order mark the body starts with. */
  bomBytes: i32 = 0;
  /** The transcoding's buffer (shared: valid until the next UTF-16/32 body is inspected) and length. */
  utf8: ArrayBuffer | null = null;
  utf8Length: i32 = 0;

  // Where to rewrite (offsets in the body, or in `utf8`), for addIncludeUsage.
  lastMemberEnd: i32 = -1;
  soKind: i32 = SO_ABSENT;
  soStart: i32 = -1;
  soEnd: i32 = -1;
  soMembers: i32 = 0;
  iuStart: i32 = -1;
  iuEnd: i32 = -1;

  /**
   * The cap on generated tokens, whichever the API uses: max_completion_tokens,
   * max_output_tokens, generationConfig.maxOutputTokens, then max_tokens. -1 if none.
   */
  maxOutput(): i64 {
    if (this.maxCompletionTokens >= 0) return this.maxCompletionTokens;
    if (this.maxOutputTokens >= 0) return this.maxOutputTokens;
    if (this.geminiMaxOutputTokens >= 0) return this.geminiMaxOutputTokens;
    return this.maxTokens;
  }

  /** How many outputs the request asks for: `n`, else `candidateCount`, else 1 (never 0). */
  outputCount(): i64 {
    const n = this.n > 0 ? this.n : this.candidateCount > 0 ? this.candidateCount : 1;
    return n > MAX_OUTPUT_COUNT ? MAX_OUTPUT_COUNT : n;
  }
}

/**
 * Largest output count taken from a request: OpenAI accepts `n` up to 128. A larger value
 * is refused upstream; capping keeps the reservation's product far from overflow.
 */
export const MAX_OUTPUT_COUNT: i64 = 128;

/**
 * Reads the fields above from a complete JSON request body [ptr, ptr+len). Invalid JSON
 * or a body that is not an object -> `valid` false with `error` and `errorOffset`. For a
 * key given twice, the last one counts (as in most JSON parsers). Allocates the result
 * and the model string only; never traps.
 */
export function inspectRequest(ptr: usize, len: usize): RequestInfo {
  const enc = detectEncoding(ptr, len);
  if (enc.encoding == ENC_UTF8) return inspectUtf8(ptr, len);
  // UTF-16 or UTF-32, which json.loads reads too: inspect its UTF-8 transcoding.
  const n = toUtf8(ptr, len, enc.encoding, <usize>enc.bomBytes);
  if (n < 0) {
    const bad = new RequestInfo();
    bad.error = "request body is not valid UTF-16 or UTF-32";
    bad.errorOffset = 0;
    return bad;
  }
  const utf8 = utf8Scratch();
  const info = inspectUtf8(changetype<usize>(utf8), <usize>n);
  info.encoding = enc.encoding;
  info.bomBytes = enc.bomBytes;
  info.utf8 = utf8;
  info.utf8Length = n;
  return info;
}

function inspectUtf8(ptr: usize, len: usize): RequestInfo {
  const info = new RequestInfo();
  const c = new JsonCursor(ptr, len);
  // `json.loads` of the body's bytes decodes a leading UTF-8 BOM away (utf-8-sig).
  if (len >= 3 && load<u8>(ptr) == 0xEF && load<u8>(ptr + 1) == 0xBB && load<u8>(ptr + 2) == 0xBF) c.p += 3;
  if (readRoot(c, info)) {
    c.ws();
    if (c.p != c.end) c.fail("unexpected bytes after the JSON value");
  }
  info.textBytes = c.textBytes;
  info.attachments = c.attachments;
  info.numbers = c.numbers;
  if (c.error.length > 0) {
    info.error = c.error;
    info.errorOffset = c.errorAt;
    return info;
  }
  info.valid = true;
  return info;
}

function readRoot(c: JsonCursor, info: RequestInfo): bool {
  if (c.peek() != 0x7B) return c.fail("request body is not a JSON object");
  c.p++;
  if (c.peek() == 0x7D) { c.p++; return true; }
  while (true) {
    if (!c.string()) return false;
    if (!c.expect(0x3A, "expected ':'")) return false;
    if (!readMember(c, info)) return false;
    info.lastMemberEnd = <i32>(c.p - c.start);
    const b = c.peek();
    c.p++;
    if (b == 0x2C) continue;
    if (b == 0x7D) return true;
    c.p--;
    return c.fail("expected ',' or '}'");
  }
  return false;
}

// The cursor is after "key": ; reads or skips the value.
function readMember(c: JsonCursor, info: RequestInfo): bool {
  if (c.stringIs("stream")) return readStream(c, info);
  if (c.stringIs("stream_options")) return readStreamOptions(c, info);
  if (c.stringIs("max_tokens")) {
    const v = readCount(c);
    info.maxTokens = v;
    return v != BAD;
  }
  if (c.stringIs("max_completion_tokens")) {
    const v = readCount(c);
    info.maxCompletionTokens = v;
    return v != BAD;
  }
  if (c.stringIs("max_output_tokens")) {
    const v = readCount(c);
    info.maxOutputTokens = v;
    return v != BAD;
  }
  if (c.stringIs("n")) {
    const v = readCount(c);
    info.n = v;
    return v != BAD;
  }
  if (c.stringIs("model")) {
    if (c.peek() == 0x22) {
      if (!c.string()) return false;
      info.model = c.decodedString();
      return true;
    }
    info.model = "";
    return c.skipValue();
  }
  // Gemini's REST API takes proto field names in either case.
  if ((c.stringIs("generationConfig") || c.stringIs("generation_config")) && c.peek() == 0x7B) {
    c.p++;
    if (c.peek() == 0x7D) { c.p++; return true; }
    while (true) {
      if (!c.string()) return false;
      if (!c.expect(0x3A, "expected ':'")) return false;
      if (c.stringIs("maxOutputTokens") || c.stringIs("max_output_tokens")) {
        const v = readCount(c);
        info.geminiMaxOutputTokens = v;
        if (v == BAD) return false;
      } else if (c.stringIs("candidateCount") || c.stringIs("candidate_count")) {
        const v = readCount(c);
        info.candidateCount = v;
        if (v == BAD) return false;
      } else if (!c.skipValue()) {
        return false;
      }
      const b = c.peek();
      c.p++;
      if (b == 0x2C) continue;
      if (b == 0x7D) return true;
      c.p--;
      return c.fail("expected ',' or '}'");
    }
  }
  return c.skipValue();
}

const BAD: i64 = -2;

/**
 * `stream` as OpenAI-compatible Python servers read it (pydantic's lax mode on a
 * `bool` field): `true`; the number 1 (`1`, `1.0`); a string that is, in any case, one of
 * "1", "on", "t", "true", "y", "yes". Anything else is not streaming (the server either
 * reads it as false or refuses the request).
 */
function readStream(c: JsonCursor, info: RequestInfo): bool {
  const b = c.peek();
  info.stream = false;
  if (b == 0x74 || b == 0x66 || b == 0x6E) {
    const v = c.literal();
    info.stream = v == 1;
    return v != -2;
  }
  if (b == 0x2D || <u32>(b - 0x30) <= 9) {
    if (!c.number()) return false;
    info.stream = c.num == 1;
    return true;
  }
  if (b == 0x22) {
    if (!c.string()) return false;
    info.stream = isTrueWord(c);
    return true;
  }
  return c.skipValue();
}

const TRUE_WORDS: string[] = ["1", "on", "t", "true", "y", "yes"];

// Whether the last string read is one of TRUE_WORDS in any ASCII case. A decoded string
// of at most 4 characters takes at most 24 raw bytes (\u escapes): longer ones are not.
function isTrueWord(c: JsonCursor): bool {
  if (c.strEnd - c.strStart > 24) return false;
  const s = c.decodedString().toLowerCase();
  return TRUE_WORDS.includes(s);
}

// Reads a value that should be a count: its value, -1 if it is not a non-negative
// integer, BAD on a JSON error.
function readCount(c: JsonCursor): i64 {
  const b = c.peek();
  if (b == 0x2D || <u32>(b - 0x30) <= 9 || b == 0x4E || b == 0x49) return c.number() ? c.num : BAD;
  return c.skipValue() ? -1 : BAD;
}

function readStreamOptions(c: JsonCursor, info: RequestInfo): bool {
  const b = c.peek();
  info.soStart = <i32>(c.p - c.start);
  info.soMembers = 0;
  info.includeUsage = INCLUDE_USAGE_ABSENT;
  info.iuStart = -1;
  info.iuEnd = -1;
  if (b != 0x7B) {
    info.soKind = b == 0x6E ? SO_NULL : SO_OTHER;
    if (!c.skipValue()) return false;
    if (info.soKind == SO_NULL && <i32>(c.p - c.start) - info.soStart != 4) info.soKind = SO_OTHER;
    info.soEnd = <i32>(c.p - c.start);
    return true;
  }
  info.soKind = SO_OBJECT;
  c.p++;
  if (c.peek() != 0x7D) {
    while (true) {
      if (!c.string()) return false;
      if (!c.expect(0x3A, "expected ':'")) return false;
      info.soMembers++;
      if (c.stringIs("include_usage")) {
        const v = c.peek();
        info.iuStart = <i32>(c.p - c.start);
        if (v == 0x74 || v == 0x66) {
          const lit = c.literal();
          if (lit == -2) return false;
          info.includeUsage = lit == 1 ? INCLUDE_USAGE_TRUE : INCLUDE_USAGE_FALSE;
        } else {
          if (!c.skipValue()) return false;
          info.includeUsage = INCLUDE_USAGE_OTHER;
        }
        info.iuEnd = <i32>(c.p - c.start);
      } else if (!c.skipValue()) {
        return false;
      }
      const d = c.peek();
      if (d == 0x2C) { c.p++; continue; }
      if (d == 0x7D) break;
      return c.fail("expected ',' or '}'");
    }
  }
  c.p++;
  info.soEnd = <i32>(c.p - c.start);
  return true;
}

const MEMBER: string = ",\"stream_options\":{\"include_usage\":true}";
const OBJECT: string = "{\"include_usage\":true}";
const FIRST: string = "\"include_usage\":true";
const TRUE: string = "true";

/**
 * For an OpenAI chat/completions request (or an OpenAI-compatible server's) with
 * `"stream": true` that does not ask for usage, a new body that does:
 *   no stream_options            -> `,"stream_options":{"include_usage":true}` after the last member
 *   "stream_options": null       -> replaced by `{"include_usage":true}`
 *   stream_options without it    -> `"include_usage":true` added as its first member
 *   "include_usage": false/null  -> replaced by `true`, unless `overrideFalse` is false
 *                                  (then null: the client said no; the limiter will have
 *                                  to estimate)
 * Returns null (leave the body byte-for-byte alone) when the request is not streaming,
 * already has include_usage true, has a stream_options that is neither object nor null,
 * or is not valid JSON. Everything outside the insertion is copied unchanged.
 * Only for APIs that accept stream_options: Anthropic, Gemini and the Responses API
 * reject unknown fields and report usage in their streams anyway. Allocates the result.
 */
export function addIncludeUsage(ptr: usize, len: usize, overrideFalse: bool = true): ArrayBuffer | null {
  return addIncludeUsageTo(inspectRequest(ptr, len), ptr, len, overrideFalse);
}

/** `addIncludeUsage` for a body already read by `inspectRequest` (`info` is its result). */
export function addIncludeUsageTo(info: RequestInfo, ptr: usize, len: usize, overrideFalse: bool = true): ArrayBuffer | null {
  if (!planRewrite(info, overrideFalse)) return null;
  const utf8 = info.utf8;
  if (utf8 === null) return splice(ptr, len, planFrom, planTo, planText);
  // A UTF-16/32 body: the edit is planned on its transcoding and written in its encoding.
  return fromUtf8Spliced(changetype<usize>(utf8), <usize>info.utf8Length, <usize>planFrom, <usize>planTo,
    String.UTF8.encode(planText), info.encoding, ptr, <usize>info.bomBytes);
}

// The edit planRewrite chose: body[planFrom, planTo) becomes planText.
let planFrom: i32 = 0;
let planTo: i32 = 0;
let planText: string = "";

function plan(from: i32, to: i32, text: string): bool {
  planFrom = from;
  planTo = to;
  planText = text;
  return true;
}

// Whether the body needs the edit, and which (see addIncludeUsage).
function planRewrite(info: RequestInfo, overrideFalse: bool): bool {
  if (!info.valid || !info.stream) return false;
  if (info.soKind == SO_OTHER) return false;
  if (info.soKind == SO_ABSENT) {
    if (info.lastMemberEnd < 0) return false;
    return plan(info.lastMemberEnd, info.lastMemberEnd, MEMBER);
  }
  if (info.soKind == SO_NULL) return plan(info.soStart, info.soEnd, OBJECT);
  const iu = info.includeUsage;
  if (iu == INCLUDE_USAGE_TRUE) return false;
  if (iu == INCLUDE_USAGE_ABSENT) {
    const at = info.soStart + 1;
    return plan(at, at, info.soMembers > 0 ? FIRST + "," : FIRST);
  }
  if (!overrideFalse) return false;
  return plan(info.iuStart, info.iuEnd, TRUE);
}

// body[0, from) + text + body[to, len)
function splice(ptr: usize, len: usize, from: i32, to: i32, text: string): ArrayBuffer {
  const ins = String.UTF8.encode(text);
  const n = <i32>len - (to - from) + ins.byteLength;
  const out = new ArrayBuffer(n);
  const o = changetype<usize>(out);
  memory.copy(o, ptr, <usize>from);
  memory.copy(o + <usize>from, changetype<usize>(ins), <usize>ins.byteLength);
  memory.copy(o + <usize>from + <usize>ins.byteLength, ptr + <usize>to, len - <usize>to);
  return out;
}
