// HTTP/1.1 messages (node:http) to and from the header pairs host-test streams carry:
// pseudo-headers in, connection-specific headers out, as Envoy's HTTP/1 codec does.
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";

export type Pairs = Array<[string, string]>;

/** Headers that describe one HTTP/1.1 connection, never forwarded (RFC 9110 7.6.1). */
const CONNECTION_HEADERS = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

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

/** Response headers from the upstream as pairs, `:status` first. */
export function responsePairs(res: IncomingMessage): Pairs {
  const out: Pairs = [[":status", String(res.statusCode ?? 502)]];
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (!CONNECTION_HEADERS.has(name)) out.push([name, raw[i + 1]]);
  }
  return out;
}

/** Whether a response ends with its headers (HEAD, 1xx/204/304, content-length 0). */
export function responseEndsAtHeaders(method: string, res: IncomingMessage): boolean {
  const status = res.statusCode ?? 0;
  return method === "HEAD" || status === 204 || status === 304 || res.headers["content-length"] === "0";
}

/** Pairs to node's outgoing headers, without pseudo-headers and connection headers; repeated names become lists. */
export function outgoingHeaders(pairs: Pairs): OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of pairs) {
    if (k.startsWith(":") || CONNECTION_HEADERS.has(k)) continue;
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** The value of a pseudo-header or header (first one). */
export function pairValue(pairs: Pairs, name: string): string | undefined {
  return pairs.find(([k]) => k === name)?.[1];
}

/** Trailers as node reports them, to pairs. */
export function trailerPairs(raw: string[]): Pairs {
  const out: Pairs = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
}
