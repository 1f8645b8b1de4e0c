// What a request's and a response's headers say about reading token usage: whether the
// request body is JSON, whether its route accepts `stream_options`, the response status,
// whether the response body can be read as it is and how (its content type). Pure; each
// reading also comes in a form that reads the host's bytes in place.
import { modeForContentType, MODE_SNIFF, MODE_JSON, MODE_SSE, MODE_NDJSON } from "./reader";

/**
 * True when a request with this content-type (null: none given) may carry a JSON body
 * that the upstream parses as such. Servers differ (llama.cpp's and others parse the body
 * whatever its type; FastAPI reads JSON without a type), so every type is read except
 * those that carry forms or uploads: `multipart/*`, `application/x-www-form-urlencoded`,
 * and `audio/*`, `image/*`, `video/*`. Allocates nothing (it runs on every limited request).
 */
export function mayCarryJson(contentType: string | null): bool {
  if (contentType === null) return true;
  let start = 0;
  const n = contentType.length;
  while (start < n && (contentType.charCodeAt(start) == 0x20 || contentType.charCodeAt(start) == 0x09)) start++;
  return !startsWithLower(contentType, start, "multipart/") && !startsWithLower(contentType, start, "application/x-www-form-urlencoded") &&
    !startsWithLower(contentType, start, "audio/") && !startsWithLower(contentType, start, "image/") &&
    !startsWithLower(contentType, start, "video/");
}

/** ASCII case-insensitive: s[at, ...) starts with the lower-case `lower`. */
function startsWithLower(s: string, at: i32, lower: string): bool {
  const n = lower.length;
  if (s.length - at < n) return false;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(at + i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c != lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * OpenAI chat completions and completions (and the servers compatible with them) accept
 * `stream_options`; other APIs reject unknown fields or report usage by themselves. The
 * configured provider has the last word: an Anthropic, Gemini or Responses route is never
 * rewritten, whatever its path looks like (`preset` is the name of the path's preset).
 */
export function acceptsStreamOptions(path: string, preset: string): bool {
  if (preset != "openai" && preset != "custom" && preset != "any") return false;
  let p = path;
  const q = p.indexOf("?");
  if (q >= 0) p = p.substring(0, q);
  while (p.length > 1 && p.endsWith("/")) p = p.substring(0, p.length - 1);
  return p.endsWith("/chat/completions") || p.endsWith("/completions");
}

/** The numeric value of a `:status` header (null: absent); 0 if it is not a 1-3 digit number. */
export function parseStatusCode(s: string | null): i32 {
  if (s === null) return 0;
  let v = 0;
  const n = s.length;
  if (n == 0 || n > 3) return 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return 0;
    v = v * 10 + c;
  }
  return v;
}

/**
 * True when a body with this content-encoding (null: none) is readable as it arrives:
 * no encoding, or `identity`. A compressed body is passed through unread.
 */
export function isReadableEncoding(encoding: string | null): bool {
  if (encoding === null || encoding.length == 0) return true;
  return encoding.toLowerCase() == "identity";
}

/**
 * The value of a `content-length` header (null: absent): its decimal digits, -1 when it
 * is not a plain decimal number or exceeds 2^53. Allocates nothing.
 */
export function parseContentLength(s: string | null): i64 {
  if (s === null) return -1;
  const n = s.length;
  if (n == 0 || n > 16) return -1;
  let v: i64 = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + <i64>c;
  }
  return v > (<i64>1 << 53) ? -1 : v;
}

// The same readings made on the host's bytes of a header value in place (an absent header
// reads as no bytes, which each reads as the string form reads null). An all-ASCII value
// decodes to the very same code units, so it is read byte for byte; a value with any other
// byte (rare; Envoy passes obs-text through) is decoded and read by the string form, so that
// malformed UTF-8 reads exactly as it always has. Allocate nothing for an ASCII value.

/** `mayCarryJson` of the `len` bytes at `ptr`. */
export function mayCarryJsonBytes(ptr: usize, len: usize): bool {
  if (!isAscii(ptr, len)) return mayCarryJson(String.UTF8.decodeUnsafe(ptr, len));
  let start: usize = 0;
  while (start < len && (load<u8>(ptr + start) == 0x20 || load<u8>(ptr + start) == 0x09)) start++;
  const p = ptr + start;
  const n = len - start;
  return !bytesStartWithLower(p, n, "multipart/") && !bytesStartWithLower(p, n, "application/x-www-form-urlencoded") &&
    !bytesStartWithLower(p, n, "audio/") && !bytesStartWithLower(p, n, "image/") && !bytesStartWithLower(p, n, "video/");
}

/** `parseStatusCode` of the `len` bytes at `ptr`. */
export function parseStatusCodeBytes(ptr: usize, len: usize): i32 {
  if (!isAscii(ptr, len)) return parseStatusCode(String.UTF8.decodeUnsafe(ptr, len));
  if (len == 0 || len > 3) return 0;
  let v = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = <i32>load<u8>(ptr + i) - 48;
    if (c < 0 || c > 9) return 0;
    v = v * 10 + c;
  }
  return v;
}

/** `isReadableEncoding` of the `len` bytes at `ptr`. */
export function isReadableEncodingBytes(ptr: usize, len: usize): bool {
  if (!isAscii(ptr, len)) return isReadableEncoding(String.UTF8.decodeUnsafe(ptr, len));
  return len == 0 || (len == 8 && bytesStartWithLower(ptr, len, "identity"));
}

/** `parseContentLength` of the `len` bytes at `ptr`. */
export function parseContentLengthBytes(ptr: usize, len: usize): i64 {
  if (!isAscii(ptr, len)) return parseContentLength(String.UTF8.decodeUnsafe(ptr, len));
  if (len == 0 || len > 16) return -1;
  let v: i64 = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = <i32>load<u8>(ptr + i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + <i64>c;
  }
  return v > (<i64>1 << 53) ? -1 : v;
}

/** `modeForContentType` (the response body's reading mode) of the `len` bytes at `ptr`. */
export function modeForContentTypeBytes(ptr: usize, len: usize): i32 {
  if (!isAscii(ptr, len)) return modeForContentType(String.UTF8.decodeUnsafe(ptr, len));
  // The media type: up to the first ';', without the blanks around it.
  let end = len;
  for (let i: usize = 0; i < len; i++) {
    if (load<u8>(ptr + i) == 0x3b) { end = i; break; }
  }
  let start: usize = 0;
  while (start < end && isAsciiBlank(load<u8>(ptr + start))) start++;
  while (end > start && isAsciiBlank(load<u8>(ptr + end - 1))) end--;
  const p = ptr + start;
  const n = end - start;
  if (isType(p, n, "text/event-stream")) return MODE_SSE;
  if (isType(p, n, "application/x-ndjson") || isType(p, n, "application/ndjson") || isType(p, n, "application/jsonl") ||
    isType(p, n, "application/x-jsonlines") || isType(p, n, "application/jsonlines")) return MODE_NDJSON;
  if (isType(p, n, "application/json") || endsWithType(p, n, "+json") || endsWithType(p, n, "/json")) return MODE_JSON;
  return MODE_SNIFF;
}

function isAscii(ptr: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i++) if (load<u8>(ptr + i) >= 0x80) return false;
  return true;
}

/** The ASCII blanks `modeForContentType` trims (it also trims U+00A0 and U+FEFF, never ASCII). */
function isAsciiBlank(c: u8): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0b || c == 0x0c;
}

/** ASCII case-insensitive: the `len` bytes at `ptr` start with the lower-case `lower`. */
function bytesStartWithLower(ptr: usize, len: usize, lower: string): bool {
  const n = <usize>lower.length;
  if (len < n) return false;
  for (let i: usize = 0; i < n; i++) {
    let c = <i32>load<u8>(ptr + i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c != lower.charCodeAt(<i32>i)) return false;
  }
  return true;
}

function isType(ptr: usize, len: usize, lower: string): bool {
  return len == <usize>lower.length && bytesStartWithLower(ptr, len, lower);
}

function endsWithType(ptr: usize, len: usize, lower: string): bool {
  const n = <usize>lower.length;
  return len >= n && bytesStartWithLower(ptr + len - n, n, lower);
}
