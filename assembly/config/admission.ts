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

export class AdmissionConfig {
  mode: AdmissionMode = AdmissionMode.Reserve;
  /** Tokens reserved when the request does not say max_tokens (or its body is not read). */
  defaultReservation: i64 = 1000;
  /** Cap of any reservation. */
  maxReservation: i64 = 32000;
  /** Buffer the request body (up to maxRequestBodyBytes) to read max_tokens and stream. */
  readRequestBody: bool = true;
  maxRequestBodyBytes: i32 = 1048576;
  /**
   * How long a reservation counts when its request never settles (its VM trapped): it
   * expires after one to two of these. Longer than any request the route lets run.
   */
  reservationTtl: string = "10m";
  reservationTtlMs: i64 = DEFAULT_RESERVATION_TTL_MS;
}

const ADMISSION_FIELDS: Array<string> = ["mode", "defaultReservation", "maxReservation", "readRequestBody", "maxRequestBodyBytes", "reservationTtl"];

/** Reads `admission` (absent: all defaults). */
export function readAdmission(r: ConfigReader, v: Value | null, path: string): AdmissionConfig {
  const out = new AdmissionConfig();
  if (v === null) return out;
  const obj = r.object(v, path, ADMISSION_FIELDS);
  if (obj === null) return out;
  out.mode = <AdmissionMode>r.oneOf(obj, "mode", path, ADMISSION_MODE_NAMES, AdmissionMode.Reserve);
  out.defaultReservation = r.integer(obj, "defaultReservation", path, out.defaultReservation, 0, MAX_SAFE_INTEGER);
  out.maxReservation = r.integer(obj, "maxReservation", path, out.maxReservation, 1, MAX_SAFE_INTEGER);
  out.readRequestBody = r.boolean(obj, "readRequestBody", path, out.readRequestBody);
  out.maxRequestBodyBytes = <i32>r.integer(obj, "maxRequestBodyBytes", path, out.maxRequestBodyBytes, 0, MAX_REQUEST_BODY_BYTES);
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
