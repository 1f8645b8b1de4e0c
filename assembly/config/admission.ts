// `admission`: how a request is let in before its cost is known. "reserve" holds an
// estimate against the counters (max_tokens, or a default) and settles it when usage
// arrives, so concurrent requests cannot overshoot; "check" only checks the budget left.

import { Value } from "../cel/value";
import { pathKey } from "../json/path";
import { ConfigReader, MAX_SAFE_INTEGER } from "./reader";
import { AdmissionMode, ADMISSION_MODE_NAMES, DEFAULT_RESERVATION_TTL_MS } from "../limits/decision";
import { Kind } from "../cel/value";
import { describe } from "./reader";
import { parseDuration, DURATION_EXAMPLES } from "./duration";
import { quoteJson } from "../json/path";

/** Shortest reservation TTL accepted. */
const MIN_RESERVATION_TTL_MS: i64 = 1000;

export { AdmissionMode };

/** Largest request body the filter will buffer: 64 MiB. */
export const MAX_REQUEST_BODY_BYTES: i64 = 64 << 20;

/**
 * What happens to a request whose limits depend on its body (`requestBodyJSON` in a `when`
 * or `counters`) when that body cannot be read (over the bound, not JSON).
 */
export enum OnUnreadableBody {
  /** Refuse it: 413 (too large) or 400 (not JSON), so no body escapes a limit. */
  Reject = 0,
  /** Evaluate as Kuadrant does: requestBodyJSON is an error (a predicate false, a counter without value). */
  Evaluate = 1,
}
export const ON_UNREADABLE_BODY_NAMES: Array<string> = ["reject", "evaluate"];

/** Largest bytesPerToken accepted: a bigger ratio would make every prompt nearly free. */
export const MAX_BYTES_PER_TOKEN: i64 = 64;

export class AdmissionConfig {
  mode: AdmissionMode = AdmissionMode.Reserve;
  /** Output tokens reserved (per output) when the request does not say max_tokens (or its body is not read). */
  defaultReservation: i64 = 1000;
  /** Cap of the output part of any reservation (the input estimate is added to it). */
  maxReservation: i64 = 32000;
  /** Bytes of prompt text taken as one token when estimating a request's input. */
  bytesPerToken: i32 = 4;
  /** Buffer the request body (up to maxRequestBodyBytes) to read max_tokens and stream. */
  readRequestBody: bool = true;
  maxRequestBodyBytes: i32 = 1048576;
  /** A body the selection needs but cannot read: refused, or evaluated (the function is an error). */
  onUnreadableBody: OnUnreadableBody = OnUnreadableBody.Reject;
  /**
   * How long a reservation counts when its request never settles (its VM trapped): it
   * expires after one to two of these. Longer than any request the route lets run.
   */
  reservationTtl: string = "10m";
  reservationTtlMs: i64 = DEFAULT_RESERVATION_TTL_MS;
}

const ADMISSION_FIELDS: Array<string> = [
  "mode", "defaultReservation", "maxReservation", "bytesPerToken", "readRequestBody", "maxRequestBodyBytes", "onUnreadableBody", "reservationTtl",
];

/** Reads `admission` (absent: all defaults). */
export function readAdmission(r: ConfigReader, v: Value | null, path: string): AdmissionConfig {
  const out = new AdmissionConfig();
  if (v === null) return out;
  const obj = r.object(v, path, ADMISSION_FIELDS);
  if (obj === null) return out;
  out.mode = <AdmissionMode>r.oneOf(obj, "mode", path, ADMISSION_MODE_NAMES, AdmissionMode.Reserve);
  out.defaultReservation = r.integer(obj, "defaultReservation", path, out.defaultReservation, 0, MAX_SAFE_INTEGER);
  out.maxReservation = r.integer(obj, "maxReservation", path, out.maxReservation, 1, MAX_SAFE_INTEGER);
  out.bytesPerToken = <i32>r.integer(obj, "bytesPerToken", path, out.bytesPerToken, 1, MAX_BYTES_PER_TOKEN);
  out.readRequestBody = r.boolean(obj, "readRequestBody", path, out.readRequestBody);
  out.maxRequestBodyBytes = <i32>r.integer(obj, "maxRequestBodyBytes", path, out.maxRequestBodyBytes, 0, MAX_REQUEST_BODY_BYTES);
  out.onUnreadableBody = <OnUnreadableBody>r.oneOf(obj, "onUnreadableBody", path, ON_UNREADABLE_BODY_NAMES, OnUnreadableBody.Reject);
  const ttl = r.member(obj, "reservationTtl");
  if (ttl !== null) {
    const ttlPath = pathKey(path, "reservationTtl");
    if (ttl.kind != Kind.String) {
      r.error(ttlPath, "expected a duration string (" + DURATION_EXAMPLES + "), got " + describe(ttl));
    } else {
      const d = parseDuration(ttl.str);
      if (d.error.length > 0) r.error(ttlPath, d.error);
      else if (d.ms < MIN_RESERVATION_TTL_MS) r.error(ttlPath, "must be at least 1s (a reservation must outlive its request), got " + quoteJson(ttl.str));
      else {
        out.reservationTtl = ttl.str;
        out.reservationTtlMs = d.ms;
      }
    }
  }
  if (out.defaultReservation > out.maxReservation) {
    r.error(pathKey(path, "defaultReservation"), "must not exceed admission.maxReservation (" +
      out.maxReservation.toString() + "), got " + out.defaultReservation.toString());
  }
  return out;
}
