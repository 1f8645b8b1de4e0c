// What a limited client receives: a JSON error shaped like the API that was called
// (OpenAI's, Anthropic's or Gemini's, so that each official SDK parses it) and the headers
// official OpenAI and Anthropic SDKs read to back off (`retry-after`, `x-ratelimit-*-tokens`).

import { Header } from "../abi/headers";
import { ErrorFormat } from "../config/response";
import { PluginConfig } from "../config/plugin";
import { Selection } from "./selection";
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
 * The body shape for a request to `path` under the configured `format`: `Auto` picks
 * Anthropic's on a path ending in `/messages`, Gemini's on `:generateContent` or
 * `:streamGenerateContent`, OpenAI's elsewhere (the query string is ignored). Does not
 * allocate; called only when a local reply is sent.
 */
export function errorFormatFor(path: string, format: ErrorFormat): ErrorFormat {
  if (format != ErrorFormat.Auto) return format;
  let end = path.indexOf("?");
  if (end < 0) end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) == 0x2f) end--; // trailing '/'
  if (endsAt(path, end, ":generateContent") || endsAt(path, end, ":streamGenerateContent")) return ErrorFormat.Gemini;
  if (endsAt(path, end, "/messages")) return ErrorFormat.Anthropic;
  return ErrorFormat.OpenAI;
}

function endsAt(s: string, end: i32, suffix: string): bool {
  const n = suffix.length;
  if (end < n) return false;
  const start = end - n;
  for (let i = 0; i < n; i++) if (s.charCodeAt(start + i) != suffix.charCodeAt(i)) return false;
  return true;
}

/**
 * Builds the 429 for `d` in `format` (OpenAI: `{"error":{"message":..., "type":"tokens",
 * "param":null, "code":"rate_limit_exceeded"}}`; Anthropic: `{"type":"error","error":
 * {"type":"rate_limit_error","message":...}}`; Gemini: `{"error":{"code":429,"message":...,
 * "status":"RESOURCE_EXHAUSTED"}}`) plus the rate-limit headers. `message` is the
 * configured prefix. Allocates.
 */
export function limitedResponse(d: Decision, status: u32, message: string, names: RateLimitHeaderNames,
  format: ErrorFormat = ErrorFormat.OpenAI): LimitedResponse {
  const out = new LimitedResponse();
  out.status = status;
  let text = message;
  if (d.hasCounter) {
    text += " on limit " + d.limitName + ": limit " + d.limit.toString() + ", remaining " + d.remaining.toString() +
      ". Please try again in " + formatResetDuration(d.resetMs) + ".";
  } else {
    text += ".";
  }
  out.body = errorBody(format, status, text, "tokens", "rate_limit_exceeded");
  out.headers.push(new Header("content-type", "application/json"));
  const rl = rateLimitHeaders(d, names);
  for (let i = 0; i < rl.length; i++) out.headers.push(unchecked(rl[i]));
  return out;
}

/**
 * The reply when the counter of limit `limitName` cannot be determined for a request the
 * limit applies to and policy says reject: names the limit and the counter expression
 * (`expressionPath`: its JSON path, `expression`: its source) that had no value.
 */
export function unidentifiedResponse(status: u32, limitName: string, expressionPath: string, expression: string,
  format: ErrorFormat = ErrorFormat.OpenAI): LimitedResponse {
  const out = new LimitedResponse();
  out.status = status;
  out.details = "token_rate_limit_no_identity";
  out.body = errorBody(format, status, "Request rejected: limit " + limitName + " applies, but its counter " +
    expressionPath + " (" + expression + ") has no value for this request (no identity?)", "tokens", "rate_limit_unidentified");
  out.headers.push(new Header("content-type", "application/json"));
  return out;
}

/**
 * The reply to a request whose credential is present but unusable (`reason`, a metric
 * name such as "bad_base64") when a limit needed its identity: `status` (403 by default).
 */
export function invalidCredentialResponse(status: u32, reason: string, format: ErrorFormat = ErrorFormat.OpenAI): LimitedResponse {
  const out = new LimitedResponse();
  out.status = status;
  out.details = "token_rate_limit_invalid_credential";
  out.body = errorBody(format, status, "Request rejected: a token rate limit applies, but the credential presented " +
    "cannot identify the caller (" + reason + ")", "tokens", "rate_limit_invalid_credential");
  out.headers.push(new Header("content-type", "application/json"));
  return out;
}

/**
 * The 403 for a request whose `selection` could not determine a counter, to `path`, under
 * `config` (the limit and expression come from the configuration, checked, not trusted).
 * Allocates; only on refusal.
 */
export function unidentifiedResponseFor(config: PluginConfig, selection: Selection, path: string): LimitedResponse {
  let exprPath = "counters";
  let source = "?";
  const li = selection.counterErrorLimitIndex;
  if (li >= 0 && li < config.limits.length) {
    const counters = unchecked(config.limits[li]).counters;
    const ei = selection.counterErrorExpression;
    if (ei >= 0 && ei < counters.length) {
      const e = unchecked(counters[ei]);
      exprPath = e.path;
      source = e.source;
    }
  }
  return unidentifiedResponse(403, selection.counterErrorLimit, exprPath, source, errorFormatFor(path, config.response.format));
}

/**
 * The reply to a request whose body a policy's expressions read (`requestBodyJSON`) but
 * cannot: 413 when it is larger than `admission.maxRequestBodyBytes`, 400 when it is not
 * a JSON object. Letting it through would let a caller escape a limit that depends on
 * the body by sending one the filter cannot read.
 */
export function unreadableBodyResponse(tooLarge: bool, format: ErrorFormat): LimitedResponse {
  const out = new LimitedResponse();
  out.status = tooLarge ? 413 : 400;
  out.details = tooLarge ? "token_rate_limit_body_too_large" : "token_rate_limit_body_not_json";
  const message = tooLarge
    ? "Request body is larger than the token rate limiter reads (admission.maxRequestBodyBytes)"
    : "Request body is not a JSON object, and the token rate limit depends on it";
  out.body = errorBody(format, out.status, message, "invalid_request_error", tooLarge ? "request_too_large" : "invalid_json");
  out.headers.push(new Header("content-type", "application/json"));
  return out;
}

/**
 * The reply when the counters cannot be consulted and the failure mode is deny: 503 with
 * a one-second retry-after under the configured name (none when that name is "").
 */
export function unavailableResponse(names: RateLimitHeaderNames, format: ErrorFormat = ErrorFormat.OpenAI, cause: string = ""): LimitedResponse {
  const out = new LimitedResponse();
  out.status = 503;
  out.details = "token_rate_limit_unavailable";
  // The cause (a rate-limit service's unavailable, timeout, bad_answer) tells the operator where to look.
  const message = cause.length == 0 ? "Token budget could not be checked; try again later"
    : "Token budget could not be checked (rate-limit service: " + cause + "); try again later";
  out.body = errorBody(format, 503, message, "server_error", "rate_limit_unavailable");
  out.headers.push(new Header("content-type", "application/json"));
  if (names.retryAfter.length > 0) out.headers.push(new Header(names.retryAfter, "1"));
  return out;
}

/**
 * The JSON error body in `format`. OpenAI's error object carries `type` and `code`
 * (platform.openai.com/docs/guides/error-codes); Anthropic's is
 * `{"type":"error","error":{"type","message"}}` with a type per status
 * (docs.anthropic.com/en/api/errors); Gemini's is Google's `{"error":{"code","message",
 * "status"}}` with the canonical status name of the HTTP code (ai.google.dev/gemini-api/docs/troubleshooting).
 */
export function errorBody(format: ErrorFormat, status: u32, message: string, type: string, code: string): string {
  if (format == ErrorFormat.Anthropic) {
    return "{\"type\":\"error\",\"error\":{\"type\":" + quoteJson(anthropicErrorType(status)) +
      ",\"message\":" + quoteJson(message) + "}}";
  }
  if (format == ErrorFormat.Gemini) {
    return "{\"error\":{\"code\":" + status.toString() + ",\"message\":" + quoteJson(message) +
      ",\"status\":" + quoteJson(googleStatus(status)) + "}}";
  }
  return "{\"error\":{\"message\":" + quoteJson(message) + ",\"type\":" + quoteJson(type) +
    ",\"param\":null,\"code\":" + quoteJson(code) + "}}";
}

/** Anthropic's error `type` for an HTTP status (a limited reply with another 4xx status stays a rate-limit error). */
export function anthropicErrorType(status: u32): string {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 529: return "overloaded_error";
    default: return status >= 500 ? "api_error" : "rate_limit_error";
  }
}

/** Google's canonical status name for an HTTP status, as Gemini reports it. */
export function googleStatus(status: u32): string {
  switch (status) {
    case 400: return "INVALID_ARGUMENT";
    case 401: return "UNAUTHENTICATED";
    case 403: return "PERMISSION_DENIED";
    case 404: return "NOT_FOUND";
    case 409: return "ABORTED";
    case 429: return "RESOURCE_EXHAUSTED";
    case 499: return "CANCELLED";
    case 501: return "UNIMPLEMENTED";
    case 503: return "UNAVAILABLE";
    case 504: return "DEADLINE_EXCEEDED";
    default: return status >= 500 ? "INTERNAL" : "RESOURCE_EXHAUSTED";
  }
}
