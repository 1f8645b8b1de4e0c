// `--cluster name=host:port`: the clusters the filter's calls reach, connected to real
// services (the rate-limit service, an alert webhook). host-test makes the calls as Envoy's
// async clients would: HTTP calls over HTTP/1.1, gRPC calls over HTTP/2, each with the
// filter's timeout and Envoy's status mapping (host-test/README.md, "Real clusters").

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

/** host-test's `clusters` option for these specs: each name mapped to its real address. */
export function clusterAddresses(clusters: readonly ClusterSpec[]): Record<string, { address: string }> {
  const out: Record<string, { address: string }> = {};
  for (const c of clusters) out[c.name] = { address: c.host.includes(":") ? `[${c.host}]:${c.port}` : `${c.host}:${c.port}` };
  return out;
}
