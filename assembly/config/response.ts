// `response`: what a limited client receives (status, headers, OpenAI-style message)
// and whether admitted responses carry the budget headers. Defaults are the headers
// official OpenAI and Anthropic SDKs read to back off.

import { Value } from "../cel/value";
import { pathKey } from "../json/path";
import { ConfigReader, headerName } from "./reader";

/** Response header names; "" turns a header off. Lower case. */
export class ResponseHeaderNames {
  limit: string = "x-ratelimit-limit-tokens";
  remaining: string = "x-ratelimit-remaining-tokens";
  reset: string = "x-ratelimit-reset-tokens";
  retryAfter: string = "retry-after";
}

/**
 * The shape of the JSON error body of a local reply: like the API that was called
 * (`Auto`: Anthropic's on `.../messages`, Gemini's on `...:generateContent`, OpenAI's
 * elsewhere), or always one of them.
 */
export enum ErrorFormat { Auto = 0, OpenAI = 1, Anthropic = 2, Gemini = 3 }
export const ERROR_FORMAT_NAMES: Array<string> = ["auto", "openai", "anthropic", "gemini"];

export class ResponseConfig {
  /** Status of a limited response, 400..599. */
  status: i32 = 429;
  headers: ResponseHeaderNames = new ResponseHeaderNames();
  /** Add the limit/remaining/reset headers to admitted responses. */
  admittedHeaders: bool = true;
  /** Start of the error message in the JSON body. */
  message: string = "Rate limit reached for tokens";
  /** Shape of the JSON error body. */
  format: ErrorFormat = ErrorFormat.Auto;
}

export const MAX_MESSAGE_LENGTH: i32 = 1024;

const RESPONSE_FIELDS: Array<string> = ["status", "headers", "admittedHeaders", "message", "format"];
const HEADER_FIELDS: Array<string> = ["limit", "remaining", "reset", "retryAfter"];

/** Reads `response` (absent: all defaults). */
export function readResponse(r: ConfigReader, v: Value | null, path: string): ResponseConfig {
  const out = new ResponseConfig();
  if (v === null) return out;
  const obj = r.object(v, path, RESPONSE_FIELDS);
  if (obj === null) return out;
  out.status = <i32>r.integer(obj, "status", path, out.status, 400, 599);
  const headers = r.member(obj, "headers");
  if (headers !== null) {
    const hPath = pathKey(path, "headers");
    const h = r.object(headers, hPath, HEADER_FIELDS);
    if (h !== null) {
      const names = out.headers;
      names.limit = headerName(r, r.string(h, "limit", hPath, names.limit), pathKey(hPath, "limit"), true);
      names.remaining = headerName(r, r.string(h, "remaining", hPath, names.remaining), pathKey(hPath, "remaining"), true);
      names.reset = headerName(r, r.string(h, "reset", hPath, names.reset), pathKey(hPath, "reset"), true);
      names.retryAfter = headerName(r, r.string(h, "retryAfter", hPath, names.retryAfter), pathKey(hPath, "retryAfter"), true);
    }
  }
  out.admittedHeaders = r.boolean(obj, "admittedHeaders", path, out.admittedHeaders);
  out.message = r.nonEmptyString(obj, "message", path, out.message);
  if (out.message.length > MAX_MESSAGE_LENGTH) {
    r.error(pathKey(path, "message"), "must be at most " + MAX_MESSAGE_LENGTH.toString() + " characters, got " + out.message.length.toString());
  }
  out.format = <ErrorFormat>r.oneOf(obj, "format", path, ERROR_FORMAT_NAMES, ErrorFormat.Auto);
  return out;
}
