// HTTP/1.1 messages (node:http) to and from the header pairs host-test carries: connection
// headers never cross a hop, as Envoy's HTTP/1 codec drops them. Used by the real clusters
// (remote.ts) and by `tokenlimit serve`.
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";

export type Pairs = Array<[string, string]>;

/** Headers that describe one HTTP/1.1 connection, never forwarded (RFC 9110 7.6.1). */
export const CONNECTION_HEADERS: ReadonlySet<string> = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

/** Response headers as pairs, `:status` first. */
export function responsePairs(res: IncomingMessage): Pairs {
  const out: Pairs = [[":status", String(res.statusCode ?? 502)]];
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (!CONNECTION_HEADERS.has(name)) out.push([name, raw[i + 1]]);
  }
  return out;
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

/** Trailers as node reports them (`rawTrailers`), to pairs. */
export function trailerPairs(raw: string[]): Pairs {
  const out: Pairs = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
}
