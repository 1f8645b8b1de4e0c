// Where the bearer token is, read the way Envoy's jwt_authn reads it, so that the
// filter and the verifier in front agree on which token a request carries
// (envoyproxy/envoy, source/extensions/filters/http/jwt_authn/extractor.cc at
// 03ec65685affb5ca1610931ff39e8f9a84b5fc51, `ExtractorImpl::extract` and `extractJWT`):
//
// - header: the value prefix ("Bearer ") is searched anywhere in the value, case-
//   sensitively (`value_str.find(value_prefix)`); the token starts at the first base64url
//   character or dot after it and runs to the end of the value. A value without the
//   prefix carries no token. An empty prefix takes the whole value.
// - query parameter (`access_token` by default, read by jwt_authn when a provider names
//   no location): the first value of the parameter, percent-decoded
//   (`QueryParamsMulti::parseAndDecodeQueryString` + `getFirstValue`).

/** Whether `c` is a base64url character or a dot (jwt_authn's `ConstantBase64UrlEncodingCharsPlusDot`). */
// @ts-ignore: decorator
@inline function isTokenChar(c: u32): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
    c == 0x2d || c == 0x5f || c == 0x2e;
}

/**
 * The token in a credential header value, as jwt_authn extracts it: after the first
 * case-sensitive occurrence of `prefix`, from the first token character on. Null when
 * the prefix does not occur. When no token character follows the prefix, jwt_authn keeps
 * the whole value (which then fails to decode). Allocates the substring.
 */
export function tokenInHeader(value: string, prefix: string): string | null {
  if (prefix.length == 0) return value;
  const at = value.indexOf(prefix);
  if (at < 0) return null;
  const base = changetype<usize>(value);
  const n = value.length;
  let i = at + prefix.length;
  while (i < n && !isTokenChar(<u32>load<u16>(base + (<usize>i << 1)))) i++;
  if (i >= n) return value;
  return value.substring(i);
}

// @ts-ignore: decorator
@inline function hexValue(c: u32): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>(c - 0x30);
  if (c >= 0x61 && c <= 0x66) return <i32>(c - 0x57);
  if (c >= 0x41 && c <= 0x46) return <i32>(c - 0x37);
  return -1;
}

/** `s[from, to)` with `%XX` escapes decoded (as bytes of UTF-8); a malformed escape is kept as it is. */
function percentDecode(s: string, from: i32, to: i32): string {
  if (s.indexOf("%", from) < 0 || s.indexOf("%", from) >= to) return s.substring(from, to);
  const bytes = String.UTF8.encode(s.substring(from, to));
  const p = changetype<usize>(bytes);
  const n = bytes.byteLength;
  let w = 0;
  for (let r = 0; r < n; r++) {
    let b = <u32>load<u8>(p + <usize>r);
    if (b == 0x25 && r + 2 < n) {
      const hi = hexValue(<u32>load<u8>(p + <usize>(r + 1)));
      const lo = hexValue(<u32>load<u8>(p + <usize>(r + 2)));
      if (hi >= 0 && lo >= 0) { b = <u32>((hi << 4) | lo); r += 2; }
    }
    store<u8>(p + <usize>w, <u8>b);
    w++;
  }
  return String.UTF8.decodeUnsafe(p, <usize>w);
}

/**
 * The first value of query parameter `name` in `path` (`/a?x=1&name=v`), percent-decoded;
 * "" for a parameter without `=`; null when absent. Allocates the value.
 */
export function queryParameter(path: string, name: string): string | null {
  const q = path.indexOf("?");
  if (q < 0 || name.length == 0) return null;
  let end = path.indexOf("#", q + 1);
  if (end < 0) end = path.length;
  let start = q + 1;
  while (start <= end) {
    let amp = path.indexOf("&", start);
    if (amp < 0 || amp > end) amp = end;
    if (amp > start) {
      let eq = path.indexOf("=", start);
      if (eq < 0 || eq > amp) eq = amp;
      if (percentDecode(path, start, eq) == name) return eq < amp ? percentDecode(path, eq + 1, amp) : "";
    }
    start = amp + 1;
  }
  return null;
}
