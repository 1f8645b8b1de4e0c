// `tokenlimit serve`: a real HTTP/1.1 reverse proxy that runs the filter in host-test, N
// worker VMs sharing data as in Envoy, on every request to the upstream.
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Host, type LogEntry } from "../../host-test/index.ts";
import { Meter, formatLog, limitNames, type RequestLog } from "./access-log.ts";
import { FollowingClock } from "./clock.ts";
import { type ClusterSpec, clusterAddresses } from "./clusters.ts";
import { serveAdmin } from "./stats.ts";
import { proxyStream, type ProxyContext } from "./stream.ts";
import { WorkerSelector } from "./workers.ts";

export interface ServeOptions {
  /** The compiled filter (path or bytes). */
  wasm: string | Uint8Array;
  /** The plugin configuration (a TokenRateLimitPolicy spec). */
  pluginConfig: object | string;
  /** Where requests go: `http://host:port[/base]` or `https://...`. */
  upstream: string;
  /** `host:port` to listen on (port 0: a free one). Default 127.0.0.1:8080. */
  listen?: string;
  /** Worker VMs (Envoy's --concurrency). Default 1. */
  workers?: number;
  /** Clusters the filter's HTTP and gRPC calls reach. */
  clusters?: readonly ClusterSpec[];
  /** The host's wall clock at start (default: the machine's). */
  now?: number;
  /** Keep the host's clock still (move it with `clock.set`) instead of following the machine's. */
  holdClock?: boolean;
  /** Called once per request with its record and its log line. */
  onRequest?: (record: RequestLog, line: string) => void;
  /** The filter's (and the host's) log lines at `logLevel` or above. */
  onLog?: (entry: LogEntry) => void;
  logLevel?: "trace" | "debug" | "info" | "warn" | "error" | "critical";
}

export interface Serving {
  /** `http://host:port` of the listener. */
  readonly url: string;
  readonly host: Host;
  readonly clock: FollowingClock;
  /** The most bytes one client's response held unsent at once. */
  readonly maxClientBuffered: number;
  /** Stops listening, drops open connections, shuts the filter down. */
  close(): Promise<void>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // the filter accepted it: not ours to judge
  }
}

/** Splits `host:port`, `[v6]:port` or `:port` (host 127.0.0.1). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]*):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : -1;
  if (!m || port > 65535) throw new Error(`--listen ${text}: expected host:port, e.g. 127.0.0.1:8080`);
  return { host: m[1].replace(/^\[|\]$/g, "") || "127.0.0.1", port };
}

/**
 * Loads the filter with `pluginConfig` in a host of `workers` VMs and starts the proxy.
 * Rejects when the filter refuses the configuration (the message says why).
 */
export async function startServe(o: ServeOptions): Promise<Serving> {
  const upstream = new URL(o.upstream);
  if (upstream.protocol !== "http:" && upstream.protocol !== "https:") throw new Error(`--upstream ${o.upstream}: expected an http:// or https:// URL`);
  const listen = parseListen(o.listen ?? "127.0.0.1:8080");
  // Calls may start in on_configure, before the clock exists: bound late.
  let clock: FollowingClock | null = null;
  const host = await Host.create({
    clusters: clusterAddresses(o.clusters ?? []),
    onRemoteAnswer: () => clock?.pump(),
    wasm: o.wasm,
    pluginConfig: o.pluginConfig,
    workers: o.workers ?? 1,
    now: o.now ?? Date.now(),
    logLevel: o.logLevel ?? "info",
    trace: false,
    keepRecords: false,
    onLog: o.onLog,
  });
  if (!host.accepted) throw new Error(`the filter refused the configuration: ${host.rejection}`);
  const following = new FollowingClock(host, o.holdClock ?? false);
  clock = following;
  const workers = new WorkerSelector(host.workerCount);
  const config = typeof o.pluginConfig === "string" ? parseJson(o.pluginConfig) : o.pluginConfig;
  let maxClientBuffered = 0;
  const ctx: ProxyContext = {
    host,
    upstream,
    meter: new Meter(host, limitNames(config)),
    pump: () => following.pump(),
    workerFor: (req) => workers.forConnection(req.socket),
    log: (r) => o.onRequest?.(r, formatLog(r, performance.now())),
    noteBuffered: (n) => { if (n > maxClientBuffered) maxClientBuffered = n; },
  };
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (serveAdmin(host, req.method ?? "GET", path, res)) return;
    proxyStream(ctx, req, res);
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  following.pump();
  const addr = server.address() as AddressInfo;
  const hostPart = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${hostPart}:${addr.port}`,
    host,
    clock: following,
    get maxClientBuffered() { return maxClientBuffered; },
    close: () => new Promise<void>((resolve) => {
      server.close(() => {
        following.stop();
        host.close();
        resolve();
      });
      for (const s of sockets) s.destroy();
    }),
  };
}
