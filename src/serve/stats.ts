// The admin paths `tokenlimit serve` answers itself, before the filter: the filter's
// metrics as Envoy's admin /stats/prometheus renders them, with the stats_tags of
// envoy/envoy.yaml (the limit and the alert threshold as labels).
import type { ServerResponse } from "node:http";
import type { Host } from "../../host-test/index.ts";
import { STATS_TAGS } from "./metric-names.ts";

/** The path of the Prometheus endpoint. */
export const PROMETHEUS_PATH = "/stats/prometheus";

/** Answers an admin path; false when `path` is not one. */
export function serveAdmin(host: Host, method: string, path: string, res: ServerResponse): boolean {
  if (path !== PROMETHEUS_PATH) return false;
  if (method !== "GET" && method !== "HEAD") {
    res.writeHead(405, { "content-type": "text/plain; charset=UTF-8", allow: "GET, HEAD" });
    res.end("method not allowed\n");
    return true;
  }
  const text = host.prometheus(STATS_TAGS);
  res.writeHead(200, { "content-type": "text/plain; charset=UTF-8", "content-length": Buffer.byteLength(text) });
  res.end(method === "HEAD" ? undefined : text);
  return true;
}
