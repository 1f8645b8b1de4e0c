// The claims of a bearer JWT, DECODED BUT NOT VERIFIED.
//
// This filter does not check signatures, issuers, audiences or expiry. Verification
// belongs to Istio RequestAuthentication or Envoy's jwt_authn filter placed before this
// one (with a rule that rejects requests without a valid token); this filter only reads
// who the already-verified caller is, to pick the budget to charge. With no verifying
// filter in front, anyone can claim any identity by minting an unsigned token — use the
// "jwtAuthn" identity source, which reads only what jwt_authn verified, when in doubt.

import { Value, Kind } from "../cel/value";
import { parseJsonBuffer } from "../json/parse";
import { decodeBase64Url } from "./base64url";
import { IdentityFailure } from "./failure";

/** Longest token accepted, in characters (Envoy's default header limit is 60 KiB). */
export const MAX_TOKEN_LENGTH: i32 = 16384;
/** Deepest JSON nesting accepted in a payload. */
export const MAX_CLAIMS_DEPTH: i32 = 32;

/** The payload claims as a CEL map, or null and why not. */
export class JwtClaims {
  claims: Value | null = null;
  failure: IdentityFailure = IdentityFailure.None;
}

function failed(reason: IdentityFailure): JwtClaims {
  const out = new JwtClaims();
  out.failure = reason;
  return out;
}

/**
 * Decodes the payload of a compact JWS (`header.payload.signature`; the signature may be
 * empty, as in an unsecured JWT a trusted filter in front may pass on) into its claims.
 * The payload must be strict base64url (padding optional) of a JSON object whose strings
 * are valid Unicode (invalid UTF-8 or a lone surrogate escape is BadJson: two claims
 * differing only there must not read alike). The signature is NOT verified (see the file comment). Allocates the
 * decoded payload and the claims; never traps.
 */
export function decodeJwtClaims(token: string): JwtClaims {
  const n = token.length;
  if (n == 0) return failed(IdentityFailure.MalformedToken);
  if (n > MAX_TOKEN_LENGTH) return failed(IdentityFailure.TooLarge);
  const base = changetype<usize>(token);
  let dot1 = -1;
  let dot2 = -1;
  for (let i = 0; i < n; i++) {
    if (load<u16>(base + (<usize>i << 1)) == 46) {
      if (dot1 < 0) dot1 = i;
      else if (dot2 < 0) dot2 = i;
      else return failed(IdentityFailure.MalformedToken); // JWE (5 parts) or junk
    }
  }
  if (dot1 <= 0 || dot2 <= dot1 + 1) return failed(IdentityFailure.MalformedToken);
  const payload = decodeBase64Url(token, dot1 + 1, dot2);
  if (payload === null) return failed(IdentityFailure.BadBase64);
  const parsed = parseJsonBuffer(payload, MAX_CLAIMS_DEPTH, MAX_TOKEN_LENGTH, true);
  const value = parsed.value;
  if (!parsed.ok() || value === null) return failed(IdentityFailure.BadJson);
  if (value.kind != Kind.Map || value.map === null) return failed(IdentityFailure.NotObject);
  const out = new JwtClaims();
  out.claims = value;
  return out;
}
