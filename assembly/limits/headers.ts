// What the client sees of a decision: OpenAI-style rate-limit headers, so that official
// OpenAI and Anthropic SDKs back off by themselves.
import { Header } from "../abi/headers";
import { Decision } from "./decision";
import { ceilSeconds } from "./saturate";

/**
 * A duration in OpenAI's `x-ratelimit-reset-tokens` form: whole seconds, rounded up, as
 * Go prints durations: "0s", "1s", "59s", "6m0s", "2h3m4s", "24h0m0s" (hours are not
 * folded into days). Rounding up means a client that waits this long finds the window
 * reset. Non-positive input gives "0s".
 */
export function formatResetDuration(ms: i64): string {
  const total = ceilSeconds(ms);
  const h = total / 3600;
  const m = (total % 3600) / 60;
  const s = total % 60;
  if (h > 0) return h.toString() + "h" + m.toString() + "m" + s.toString() + "s";
  if (m > 0) return m.toString() + "m" + s.toString() + "s";
  return s.toString() + "s";
}

/** Header names; an empty name leaves that header out. Defaults are OpenAI's token headers. */
export class RateLimitHeaderNames {
  limit: string = "x-ratelimit-limit-tokens";
  remaining: string = "x-ratelimit-remaining-tokens";
  reset: string = "x-ratelimit-reset-tokens";
  retryAfter: string = "retry-after";
}

/**
 * Headers describing `d`'s governing counter: limit, remaining and reset (as
 * formatResetDuration), plus `retry-after` in whole seconds when the request was not
 * admitted. Nothing when the decision has no counter. Allocates the returned list.
 */
export function rateLimitHeaders(d: Decision, names: RateLimitHeaderNames): Header[] {
  const out = new Array<Header>(0);
  if (!d.hasCounter) return out;
  if (names.limit.length > 0) out.push(new Header(names.limit, d.limit.toString()));
  if (names.remaining.length > 0) out.push(new Header(names.remaining, d.remaining.toString()));
  if (names.reset.length > 0) out.push(new Header(names.reset, formatResetDuration(d.resetMs)));
  if (!d.admitted && names.retryAfter.length > 0) {
    const s = d.retryAfterSeconds < 1 ? 1 : d.retryAfterSeconds;
    out.push(new Header(names.retryAfter, s.toString()));
  }
  return out;
}

/**
 * Headers for the response of an admitted request: those of rateLimitHeaders, except that
 * a request a dry run let through over its budget gets no retry-after (it was not
 * refused; limit, remaining 0 and reset still say where it stands). Allocates the list.
 */
export function admittedResponseHeaders(d: Decision, names: RateLimitHeaderNames): Header[] {
  const out = rateLimitHeaders(d, names);
  if (d.admitted || names.retryAfter.length == 0) return out;
  const kept = new Array<Header>(0);
  for (let i = 0; i < out.length; i++) {
    const h = unchecked(out[i]);
    if (h.name != names.retryAfter) kept.push(h);
  }
  return kept;
}
