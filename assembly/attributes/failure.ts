// Why a request has no identity. The resolver never logs; it records the reason in
// IdentityStats, which the filter extends to export each reason as a metric named with
// `identityFailureName`.

export enum IdentityFailure {
  /** An identity was found (or identity was not looked at yet). */
  None = 0,
  /** The identity source is "none". */
  Disabled = 1,
  /** The token / user header is absent or empty. */
  MissingHeader = 2,
  /** The header does not start with the configured prefix (e.g. "Basic ..."). */
  BadPrefix = 3,
  /** Not a compact JWS: not exactly three non-empty dot-separated parts. */
  MalformedToken = 4,
  /** The token is longer than MAX_TOKEN_LENGTH. */
  TooLarge = 5,
  /** The payload part is not strict base64url. */
  BadBase64 = 6,
  /** The payload is not valid JSON. */
  BadJson = 7,
  /** The payload is JSON but not an object. */
  NotObject = 8,
  /** No dynamic metadata for the jwt_authn namespace (no verified token). */
  MissingMetadata = 9,
  /** The namespace is there but holds no payload under the configured key. */
  MissingPayload = 10,
  /** The metadata bytes are not valid protobuf. */
  BadMetadata = 11,
  /** The user id claim is present but cannot name a caller ("", a bool, a list, a map, a fraction). */
  BadClaim = 12,
  /** An identity header (headers source) appears more than once. */
  DuplicateHeader = 13,
}

/**
 * True for a credential that is present but unusable (as opposed to absent): a request
 * presenting one is refused when a limit needs its identity, never treated as anonymous.
 */
export function isInvalidCredential(reason: IdentityFailure): bool {
  switch (reason) {
    case IdentityFailure.BadPrefix:
    case IdentityFailure.MalformedToken:
    case IdentityFailure.TooLarge:
    case IdentityFailure.BadBase64:
    case IdentityFailure.BadJson:
    case IdentityFailure.NotObject:
    case IdentityFailure.BadMetadata:
    case IdentityFailure.BadClaim:
    case IdentityFailure.DuplicateHeader:
      return true;
    default:
      return false;
  }
}

/** Number of IdentityFailure values (array size for per-reason counters). */
export const IDENTITY_FAILURE_COUNT: i32 = 14;

/** A metric-friendly name: "none", "missing_header", "bad_base64", ... */
export function identityFailureName(reason: IdentityFailure): string {
  switch (reason) {
    case IdentityFailure.None: return "none";
    case IdentityFailure.Disabled: return "disabled";
    case IdentityFailure.MissingHeader: return "missing_header";
    case IdentityFailure.BadPrefix: return "bad_prefix";
    case IdentityFailure.MalformedToken: return "malformed_token";
    case IdentityFailure.TooLarge: return "too_large";
    case IdentityFailure.BadBase64: return "bad_base64";
    case IdentityFailure.BadJson: return "bad_json";
    case IdentityFailure.NotObject: return "not_object";
    case IdentityFailure.MissingMetadata: return "missing_metadata";
    case IdentityFailure.MissingPayload: return "missing_payload";
    case IdentityFailure.BadMetadata: return "bad_metadata";
    case IdentityFailure.BadClaim: return "bad_claim";
    case IdentityFailure.DuplicateHeader: return "duplicate_header";
    default: return "unknown";
  }
}

/**
 * Identity outcomes counted across requests (one count per request that looked up
 * `auth.identity`). Shared by every RequestAttributes built with the same options;
 * the filter passes a subclass whose `record` also increments a metric.
 */
export class IdentityStats {
  /** Requests where an identity was found. */
  found: i64 = 0;
  private counts: StaticArray<i64> = new StaticArray<i64>(IDENTITY_FAILURE_COUNT);

  record(reason: IdentityFailure): void {
    if (reason == IdentityFailure.None) { this.found++; return; }
    const i = <i32>reason;
    if (i > 0 && i < IDENTITY_FAILURE_COUNT) unchecked(this.counts[i] = this.counts[i] + 1);
  }

  /** Requests that had no identity for `reason` (None: same as `found`). */
  failed(reason: IdentityFailure): i64 {
    if (reason == IdentityFailure.None) return this.found;
    const i = <i32>reason;
    return i > 0 && i < IDENTITY_FAILURE_COUNT ? unchecked(this.counts[i]) : 0;
  }
}
