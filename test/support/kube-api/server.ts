// An in-process stand-in for the Kubernetes API server, for tests: the REST semantics the
// controller and kubectl rely on, over plain HTTP on a loopback port. What it does not
// implement is listed in docs/controller.md ("The test API server").
//
//   discovery   GET /version, /api, /api/v1, /apis, /apis/<group>/<version>
//   list        GET .../<plural>[?labelSelector=a=b,c=d&fieldSelector=metadata.name=x]
//   watch       GET ...?watch=true[&resourceVersion=N][&timeoutSeconds=S]; 410 (an ERROR
//               event) when N is older than the compacted history
//   get/create/update/delete, PUT/PATCH .../<name>/status, 409 on a stale resourceVersion
//   patch       application/merge-patch+json (415 for any other patch type)
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { mergePatch } from "./merge-patch.ts";
import { RESOURCES, type ResourceType, apiVersionOf, groupList, resourceList } from "./resources.ts";
import { type Obj, Store, StoreError, type WatchEvent } from "./store.ts";

export interface Request {
  method: string;
  path: string;
  contentType?: string;
}

export class KubeApiServer {
  readonly store: Store;
  /** Every request, in order (method, path with query, content type). */
  readonly requests: Request[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<ServerResponse>();
  /** Answers the next requests matching a method and path with an error instead (for tests of retries). */
  private readonly faults: { method: string; pathPrefix: string; code: number; times: number }[] = [];

  constructor(options: { now?: () => Date; historyLimit?: number } = {}) {
    this.store = new Store(options.now ?? (() => new Date()), options.historyLimit);
  }

  /** Starts listening on 127.0.0.1 (an ephemeral port unless given); resolves to the base URL. */
  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return this.url;
  }

  get url(): string {
    const a = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${a.port}`;
  }

  /** Ends every open watch (as the API server does when its watch timeout passes). */
  endWatches(): void {
    for (const w of this.watches) w.end();
    this.watches.clear();
  }

  get openWatches(): number {
    return this.watches.size;
  }

  /** Makes the next `times` requests with this method and path prefix fail with `code`. */
  fail(method: string, pathPrefix: string, code: number, times = 1): void {
    this.faults.push({ method, pathPrefix, code, times });
  }

  async stop(): Promise<void> {
    this.endWatches();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    this.requests.push({ method, path: url.pathname + url.search, ...(req.headers["content-type"] ? { contentType: req.headers["content-type"] } : {}) });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    try {
      const fault = this.faults.find((f) => f.method === method && url.pathname.startsWith(f.pathPrefix) && f.times > 0);
      if (fault) {
        fault.times--;
        throw new StoreError(fault.code, fault.code === 409 ? "Conflict" : "InternalError", `injected failure ${fault.code}`);
      }
      this.route(method, url, body, req, res);
    } catch (e) {
      if (e instanceof StoreError) return sendStatus(res, e.code, e.reason, e.message);
      sendStatus(res, 500, "InternalError", (e as Error).message);
    }
  }

  private route(method: string, url: URL, body: string, req: IncomingMessage, res: ServerResponse): void {
    const p = url.pathname.replace(/\/+$/, "");
    if (method === "GET" && p === "/version") return send(res, 200, { major: "1", minor: "32", gitVersion: "v1.32.0-tokenlimit-test", platform: "linux/amd64" });
    if (method === "GET" && p === "/api") return send(res, 200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "127.0.0.1" }] });
    if (method === "GET" && p === "/api/v1") return send(res, 200, resourceList(RESOURCES, "", "v1"));
    if (method === "GET" && p === "/apis") return send(res, 200, groupList(RESOURCES));
    // Every namespace exists (kubectl asks when an object is not found).
    const ns = /^\/api\/v1\/namespaces\/([a-z0-9-]+)$/.exec(p);
    if (method === "GET" && ns) return send(res, 200, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns[1] }, status: { phase: "Active" } });
    const parts = p.split("/").filter((s) => s !== "");
    // /apis/<group>/<version>[/namespaces/<ns>]/<plural>[/<name>[/status]]
    if (parts[0] !== "apis" || parts.length < 3) return sendStatus(res, 404, "NotFound", "the server could not find the requested resource");
    const [, group, version, ...rest] = parts;
    if (rest.length === 0) {
      if (!RESOURCES.some((t) => t.group === group && t.version === version)) return sendStatus(res, 404, "NotFound", "the server could not find the requested resource");
      return send(res, 200, resourceList(RESOURCES, group, version));
    }
    let namespace: string | undefined;
    if (rest[0] === "namespaces" && rest.length >= 3) {
      namespace = rest[1];
      rest.splice(0, 2);
    }
    const [plural, name, sub, ...extra] = rest;
    const type = RESOURCES.find((t) => t.group === group && t.version === version && t.plural === plural);
    if (type === undefined || extra.length > 0 || (sub !== undefined && !(sub === "status" && type.status))) {
      return sendStatus(res, 404, "NotFound", "the server could not find the requested resource");
    }
    const parse = (): Obj => {
      try {
        return JSON.parse(body) as Obj;
      } catch {
        throw new StoreError(400, "BadRequest", "the body of the request was in an unknown format");
      }
    };
    const q = url.searchParams;
    if (name === undefined) {
      if (method === "GET" && (q.get("watch") === "true" || q.get("watch") === "1")) return this.watch(type, namespace, q, req, res);
      if (method === "GET") {
        const items = this.store.list(type, namespace).filter(selects(q));
        return send(res, 200, { apiVersion: apiVersionOf(type), kind: `${type.kind}List`, metadata: { resourceVersion: String(this.store.resourceVersion) }, items });
      }
      if (method === "POST") return send(res, 201, this.store.create(type, namespace, parse()));
      return sendStatus(res, 405, "MethodNotAllowed", `${method} is not supported here`);
    }
    const status = sub === "status" ? "status" : undefined;
    if (method === "GET") return send(res, 200, this.store.get(type, namespace, name));
    if (method === "PUT") return send(res, 200, this.store.update(type, namespace, name, parse(), status));
    if (method === "DELETE") return send(res, 200, this.store.delete(type, namespace, name));
    if (method === "PATCH") {
      const contentType = (req.headers["content-type"] ?? "").split(";")[0].trim();
      if (contentType !== "application/merge-patch+json") {
        return sendStatus(res, 415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json`);
      }
      const current = this.store.get(type, namespace, name);
      const patch = parse();
      const patched = mergePatch(current, patch) as Obj;
      // A resourceVersion only counts when the patch itself carries one (a precondition).
      if (patch.metadata?.resourceVersion === undefined) delete patched.metadata.resourceVersion;
      return send(res, 200, this.store.update(type, namespace, name, patched, status));
    }
    return sendStatus(res, 405, "MethodNotAllowed", `${method} is not supported here`);
  }

  private watch(type: ResourceType, namespace: string | undefined, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
    const matches = (o: Obj) => (namespace === undefined || o.metadata.namespace === namespace) && selects(q)(o);
    const line = (event: string, object: unknown) => res.write(JSON.stringify({ type: event, object }) + "\n");
    const rvParam = q.get("resourceVersion");
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders(); // as the API server does: the client's watch is established before any event
    let backlog: WatchEvent[];
    if (rvParam === null || rvParam === "" || rvParam === "0") {
      for (const o of this.store.list(type, namespace).filter(matches)) line("ADDED", o);
      backlog = [];
    } else {
      const since = this.store.eventsSince(Number(rvParam));
      if (since === null) {
        line("ERROR", statusBody(410, "Expired", `too old resource version: ${rvParam} (${this.store.resourceVersion})`));
        res.end();
        return;
      }
      backlog = since;
    }
    const forward = (e: WatchEvent) => {
      if (e.type === type && matches(e.object)) line(e.event, e.object);
    };
    for (const e of backlog) forward(e);
    const unsubscribe = this.store.subscribe(forward);
    this.watches.add(res);
    const timeout = q.get("timeoutSeconds");
    const timer = timeout === null ? undefined : setTimeout(() => res.end(), Number(timeout) * 1000);
    const done = () => {
      unsubscribe();
      this.watches.delete(res);
      if (timer) clearTimeout(timer);
    };
    res.on("close", done);
    res.on("finish", done);
    req.on("close", () => res.end());
  }
}

function selects(q: URLSearchParams): (o: Obj) => boolean {
  const labels = parseSelector(q.get("labelSelector"));
  const fields = parseSelector(q.get("fieldSelector"));
  return (o) => {
    for (const [k, v] of labels) if ((o.metadata.labels ?? {})[k] !== v) return false;
    for (const [k, v] of fields) {
      const actual = k === "metadata.name" ? o.metadata.name : k === "metadata.namespace" ? o.metadata.namespace : undefined;
      if (actual !== v) return false;
    }
    return true;
  };
}

function parseSelector(text: string | null): [string, string][] {
  if (text === null || text === "") return [];
  return text.split(",").map((part) => {
    const m = /^([^=!]+)==?(.*)$/.exec(part.trim());
    if (m === null) throw new StoreError(400, "BadRequest", `unable to parse requirement: ${part} (only key=value is supported)`);
    return [m[1], m[2]];
  });
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function statusBody(code: number, reason: string, message: string): unknown {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  send(res, code, statusBody(code, reason, message));
}
