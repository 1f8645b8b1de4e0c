// Local replies as Envoy builds them (source/common/http/utility.cc prepareLocalReply):
// `:status`, then the filter's additional headers (addCopy), then for a body content-length
// and (if absent) content-type text/plain, else no content-length/content-type. gRPC
// requests get a trailers-only answer: :status 200, content-type application/grpc,
// grpc-status (given, or mapped from the HTTP code) and a percent-encoded grpc-message.
import { HeaderMap } from "./headers.ts";
import type { Pair } from "./pairs.ts";

/** A prepared local reply: headers, body, and whether headers end the stream. */
export interface PreparedLocalReply {
  headers: HeaderMap;
  body: Uint8Array;
  headersOnly: boolean;
}

/** Grpc::Utility::httpToGrpcStatus. */
export function httpToGrpcStatus(code: number): number {
  switch (code) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429:
    case 502:
    case 503:
    case 504: return 14;
    default: return 2;
  }
}

/** Http::Utility::PercentEncoding::encode as used for grpc-message. */
function percentEncode(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c < 0x20 || c > 0x7e || c === 0x25 ? "%" + c.toString(16).toUpperCase().padStart(2, "0") : s[i];
  }
  return out;
}

/**
 * Builds the reply. `body` and header pairs are byte strings; `grpcStatus` null means the
 * filter passed no valid gRPC status (-1 or out of 0..16).
 */
export function prepareLocalReply(code: number, body: string, additional: Pair[], grpcStatus: number | null, isGrpc: boolean, isHead: boolean): PreparedLocalReply {
  const h = new HeaderMap();
  h.add(":status", String(code));
  for (const [k, v] of additional) h.add(k, v);
  if (isGrpc) {
    h.set(":status", "200");
    h.set("content-type", "application/grpc");
    if (h.get("grpc-status") === undefined) h.set("grpc-status", String(grpcStatus ?? httpToGrpcStatus(code)));
    if (body && !isHead) h.set("grpc-message", percentEncode(body));
    h.remove("content-length");
    return { headers: h, body: new Uint8Array(0), headersOnly: true };
  }
  if (body) {
    h.set("content-length", String(body.length));
    if (h.get("content-type") === undefined) h.set("content-type", "text/plain");
  } else {
    h.remove("content-length");
    h.remove("content-type");
  }
  const bytes = Uint8Array.from(body, (c) => c.charCodeAt(0));
  return { headers: h, body: isHead ? new Uint8Array(0) : bytes, headersOnly: isHead || bytes.length === 0 };
}
