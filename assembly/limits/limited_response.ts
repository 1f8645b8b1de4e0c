// What a limited client receives: an OpenAI-style JSON error and the headers official
// OpenAI and Anthropic SDKs read to back off (`retry-after`, `x-ratelimit-*-tokens`).

import { Header } from "../abi/headers";
import { quoteJson } from "../json/path";
import { Decision } from "./decision";
import { RateLimitHeaderNames, rateLimitHeaders, formatResetDuration } from "./headers";

/** The local reply for a rejected request. */
export class LimitedResponse {
  status: u32 = 429;
  headers: Array<Header> = new Array<Header>();
  body: string = "";
  /** Envoy's response code details (shown in access logs). */
  details: string = "token_rate_limited";
}

/**
 * Builds the 429 for `d`: `{"error":{"message":..., "type":"tokens", "param":null,
 * "code":"rate_limit_exceeded"}}` plus the rate-limit headers. `message` is the
 * configured prefix. Allocates.
 */
export function limitedResponse(d: Decision, status: u32, message: string, names: RateLimitHeaderNames): LimitedResponse {
  const out = new LimitedResponse();
  out.status = status;
  let text = message;
  if (d.hasCounter) {
    text += " on limit " + d.limitName + ": limit " + d.limit.toString() + ", remaining " + d.remaining.toString() +
      ". Please try again in " + formatResetDuration(d.resetMs) + ".";
  } else {
    text += ".";
  }
  out.body = errorBody(text, "tokens", "rate_limit_exceeded");
  out.headers.push(new Header("content-type", "application/json"));
  const rl = rateLimitHeaders(d, names);
  for (let i = 0; i < rl.length; i++) out.headers.push(unchecked(rl[i]));
  return out;
}

/** The reply when the caller's counter cannot be determined and policy says reject. */
export function unidentifiedResponse(status: u32, limitName: string): LimitedResponse {
  const out = new LimitedResponse();
  out.status = status;
  out.details = "token_rate_limit_no_identity";
  out.body = errorBody("Request rejected: the counter of limit " + limitName +
    " could not be determined (no identity?)", "tokens", "rate_limit_unidentified");
  out.headers.push(new Header("content-type", "application/json"));
  return out;
}

/**
 * The reply when the counters cannot be consulted and the failure mode is deny: 503 with
 * a one-second retry-after under the configured name (none when that name is "").
 */
export function unavailableResponse(names: RateLimitHeaderNames): LimitedResponse {
  const out = new LimitedResponse();
  out.status = 503;
  out.details = "token_rate_limit_unavailable";
  out.body = errorBody("Token budget could not be checked; try again later", "server_error", "rate_limit_unavailable");
  out.headers.push(new Header("content-type", "application/json"));
  if (names.retryAfter.length > 0) out.headers.push(new Header(names.retryAfter, "1"));
  return out;
}

function errorBody(message: string, type: string, code: string): string {
  return "{\"error\":{\"message\":" + quoteJson(message) + ",\"type\":" + quoteJson(type) +
    ",\"param\":null,\"code\":" + quoteJson(code) + "}}";
}
