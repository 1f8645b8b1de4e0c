// HTTP/1.1 messages (node:http) to and from the header pairs host-test streams carry:
// pseudo-headers in, connection-specific headers out, as Envoy's HTTP/1 codec does.
// The hop-by-hop rules and the response/trailer conversions are host-test's (its real
// clusters make the same HTTP/1.1 calls).
import type { IncomingMessage } from "node:http";
import { CONNECTION_HEADERS, outgoingHeaders, responsePairs, trailerPairs, type Pairs } from "../../host-test/index.ts";

export { outgoingHeaders, responsePairs, trailerPairs, type Pairs };

/** Request headers as Envoy's codec hands them to the filter chain: `:method`, `:path`, `:authority`, `:scheme`, then the rest in order. */
export function requestPairs(req: IncomingMessage): Pairs {
  const out: Pairs = [
    [":method", req.method ?? "GET"],
    [":path", req.url ?? "/"],
    [":authority", req.headers.host ?? ""],
    [":scheme", "http"],
  ];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name === "host" || CONNECTION_HEADERS.has(name)) continue;
    out.push([name, raw[i + 1]]);
  }
  return out;
}

/** Whether a request has a body to come (HTTP/1.1: content-length > 0 or transfer-encoding). */
export function requestHasBody(req: IncomingMessage): boolean {
  if (req.headers["transfer-encoding"] !== undefined) return true;
  const n = Number(req.headers["content-length"] ?? "0");
  return Number.isFinite(n) && n > 0;
}

/** Whether a response ends with its headers (HEAD, 1xx/204/304, content-length 0). */
export function responseEndsAtHeaders(method: string, res: IncomingMessage): boolean {
  const status = res.statusCode ?? 0;
  return method === "HEAD" || status === 204 || status === 304 || res.headers["content-length"] === "0";
}

/** The value of a pseudo-header or header (first one). */
export function pairValue(pairs: Pairs, name: string): string | undefined {
  return pairs.find(([k]) => k === name)?.[1];
}

