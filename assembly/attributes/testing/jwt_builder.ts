// Builds unsigned compact JWS strings for tests. The filter never verifies signatures,
// so the signature part is any base64url text.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** base64url of `bytes`, with or without '=' padding. */
export function encodeBase64Url(bytes: ArrayBuffer, pad: bool = false): string {
  const n = bytes.byteLength;
  const p = changetype<usize>(bytes);
  let out = "";
  let i = 0;
  for (; i + 3 <= n; i += 3) {
    const v = (<u32>load<u8>(p + <usize>i) << 16) | (<u32>load<u8>(p + <usize>i + 1) << 8) | <u32>load<u8>(p + <usize>i + 2);
    out += ALPHABET.charAt((v >> 18) & 63) + ALPHABET.charAt((v >> 12) & 63) + ALPHABET.charAt((v >> 6) & 63) + ALPHABET.charAt(v & 63);
  }
  const rem = n - i;
  if (rem == 1) {
    const v = <u32>load<u8>(p + <usize>i) << 16;
    out += ALPHABET.charAt((v >> 18) & 63) + ALPHABET.charAt((v >> 12) & 63);
    if (pad) out += "==";
  } else if (rem == 2) {
    const v = (<u32>load<u8>(p + <usize>i) << 16) | (<u32>load<u8>(p + <usize>i + 1) << 8);
    out += ALPHABET.charAt((v >> 18) & 63) + ALPHABET.charAt((v >> 12) & 63) + ALPHABET.charAt((v >> 6) & 63);
    if (pad) out += "=";
  }
  return out;
}

/** base64url of the UTF-8 of `text`. */
export function b64u(text: string, pad: bool = false): string {
  return encodeBase64Url(String.UTF8.encode(text), pad);
}

/** A token `header.payload.signature` whose payload is the JSON `payloadJson`. */
export function makeJwt(payloadJson: string, pad: bool = false): string {
  return b64u("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", pad) + "." + b64u(payloadJson, pad) + "." + b64u("not-a-real-signature", pad);
}
