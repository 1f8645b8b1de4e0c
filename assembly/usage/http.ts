// What a request's and a response's headers say about reading token usage: whether the
// request body is JSON, whether its route accepts `stream_options`, the response status,
// and whether the response body can be read as it is. Pure.

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
