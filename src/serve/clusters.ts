// `--cluster name=host:port`: the clusters the filter's proxy_http_call reaches, connected to
// real HTTP/1.1 services (an alert webhook, a token service). Each call is made as Envoy's
// async client would: the filter's headers and body, its timeout enforced by the host.
// gRPC calls are not connected: they stay pending until their timeout (UNAVAILABLE).
import { request } from "node:http";
import type { HttpCallHandler, HttpCallRecord } from "../../host-test/index.ts";
import { outgoingHeaders, responsePairs, trailerPairs } from "./messages.ts";

export interface ClusterSpec {
  name: string;
  host: string;
  port: number;
}

/** Parses `name=host:port` (an IPv6 host in brackets); throws a message naming what is wrong. */
export function parseCluster(text: string): ClusterSpec {
  const m = /^([^=\s]+)=(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) throw new Error(`--cluster ${text}: expected name=host:port, e.g. ratelimit=127.0.0.1:8081`);
  return { name: m[1], host: m[2].replace(/^\[|\]$/g, ""), port };
}

/**
 * HTTP call handlers (host-test's `clusters` option) answering the filter's calls to each
 * cluster with a real request to its address. `after` runs once a response (or failure) is
 * handed to the host, so that it is delivered.
 */
export function clusterHandlers(clusters: readonly ClusterSpec[], after: () => void): Record<string, HttpCallHandler> {
  const out: Record<string, HttpCallHandler> = {};
  for (const c of clusters) {
    out[c.name] = (call) => {
      forward(c, call, after);
      return { pending: true };
    };
  }
  return out;
}

function forward(c: ClusterSpec, call: HttpCallRecord, after: () => void): void {
  const method = call.header(":method") ?? "GET";
  const req = request({
    host: c.host,
    port: c.port,
    method,
    path: call.header(":path") ?? "/",
    headers: { ...outgoingHeaders(call.headers), host: call.header(":authority") ?? c.host },
  });
  let settled = false;
  const settle = (outcome: Parameters<HttpCallRecord["respond"]>[0]): void => {
    if (settled) return;
    settled = true;
    call.respond(outcome);
    after();
  };
  // The host answers a call that outlives its timeout with a 504; drop the socket then.
  if (call.timeoutMs > 0) req.setTimeout(call.timeoutMs + 1000, () => req.destroy());
  req.on("error", (e: NodeJS.ErrnoException) => {
    settle(e.code === "ECONNREFUSED" || e.code === "EHOSTUNREACH" || e.code === "ENOTFOUND" ? { connectFailure: true } : { reset: true });
  });
  req.on("response", (res) => {
    const parts: Buffer[] = [];
    res.on("data", (b: Buffer) => parts.push(b));
    res.on("error", () => settle({ reset: true }));
    res.on("end", () => {
      const trailers = res.rawTrailers.length ? trailerPairs(res.rawTrailers) : undefined;
      settle({ headers: responsePairs(res), body: new Uint8Array(Buffer.concat(parts)), ...(trailers ? { trailers } : {}) });
    });
  });
  req.end(Buffer.from(call.body));
}
