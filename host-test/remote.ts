// Clusters connected to real services (`clusters: { name: { address: "host:port" } }`):
// the filter's HTTP calls go out over real HTTP/1.1 and its unary gRPC calls over real
// HTTP/2 (@grpc/grpc-js, raw-bytes codecs: the filter's bytes go on the wire as they are).
// Answers are handed back as call outcomes, so the host delivers them through its own loop
// exactly as it delivers a test handler's. The call's timeout stays the host's (its clock);
// a call the host gives up on (timeout, cancel, root context gone) is aborted on the wire.
//
// Status mapping, from Envoy's async clients (see README.md, "Real clusters"):
// - cannot connect, or the connection drops or the stream is reset before response headers:
//   HTTP gets the router's 503 "upstream connect error or disconnect/reset before headers.
//   reset reason: ..." (connection failure, connection termination, remote reset),
//   gRPC gets that reply converted (UNAVAILABLE, 14, with that text);
// - reset after response headers: HTTP is a reset (BROKEN_CONNECTION), gRPC INTERNAL (13) "";
// - gRPC answer without grpc-status and HTTP status not 200: CANCELLED (1) "";
// - gRPC OK without a message: INTERNAL (13) "";
// - any other gRPC status is the server's, with its message.
import { Agent, request } from "node:http";
import { Client, Metadata, credentials, status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { outgoingHeaders, responsePairs, trailerPairs } from "./http1.ts";
import type { GrpcCallOutcome, HttpCallOutcome, HttpCallRecord, GrpcCallRecord } from "./types.ts";

/** Envoy's router reply text when the upstream cannot be reached or drops before headers. */
export function connectFailureBody(reason: "connection failure" | "connection termination" | "remote reset" | "remote refused stream reset"): string {
  return `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`;
}

/** Parses `host:port` or `[v6]:port`; null when malformed. */
export function parseAddress(text: string): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) return null;
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

const identity = (b: Buffer): Buffer => b;

/** What an HTTP/2 :authority may hold (RFC 3986 authority characters, as nghttp2 checks them). */
const VALID_AUTHORITY = /^[A-Za-z0-9\-._~!$&'()*+,;=:@[\]%]+$/;

/** Metadata names HTTP/2 or gRPC reserve: the transport sets them, the filter's copies are dropped. */
function reservedMetadata(name: string): boolean {
  return name.startsWith(":") || name.startsWith("grpc-") || name === "content-type" || name === "te" || name === "user-agent" || name === "host" || name === "connection";
}

/** grpc-js's own statuses (the call failed in the client or transport), by their text. */
const TRANSPORT_FAILURE = /^(No connection established|Connection dropped|Stream refused by server|Received RST_STREAM|.*ECONNRESET|.*ECONNREFUSED)/;

/** Envoy's view of how a real gRPC call ended, from what grpc-js reports. */
export function envoyGrpcStatus(err: Pick<ServiceError, "code" | "details">, gotHeaders: boolean): { status: number; statusMessage: string } {
  const details = err.details ?? "";
  if (/^Received HTTP status code \d+/.test(details)) return { status: GrpcStatus.CANCELLED, statusMessage: "" };
  if (details === "No message received") return { status: GrpcStatus.INTERNAL, statusMessage: "" };
  if (TRANSPORT_FAILURE.test(details)) {
    if (gotHeaders) return { status: GrpcStatus.INTERNAL, statusMessage: "" };
    // Envoy's reset reasons (Http::Utility::resetReasonToString).
    const reason = details.startsWith("No connection established") || /ECONNREFUSED/.test(details) ? "connection failure"
      : details.startsWith("Stream refused") ? "remote refused stream reset"
      : details.startsWith("Received RST_STREAM") ? "remote reset"
      : "connection termination";
    return { status: GrpcStatus.UNAVAILABLE, statusMessage: connectFailureBody(reason) };
  }
  return { status: err.code, statusMessage: details };
}

/** One cluster's real address, with its HTTP/1.1 connection pool and its gRPC channel. */
export class RemoteCluster {
  readonly host: string;
  readonly port: number;
  private readonly agent = new Agent({ keepAlive: true });
  private grpc: Client | null = null;
  private closed = false;

  constructor(readonly name: string, address: string) {
    const a = parseAddress(address);
    if (!a) throw new Error(`host-test: cluster ${name}: address ${JSON.stringify(address)} is not host:port`);
    this.host = a.host;
    this.port = a.port;
  }

  private get authority(): string {
    return this.host.includes(":") ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  /**
   * Makes the filter's HTTP call for real; `deliver` gets the outcome once (unless aborted).
   * Returns the abort function (the host gave up on the call: the request is dropped).
   */
  http(call: HttpCallRecord, deliver: (o: HttpCallOutcome) => void): () => void {
    let settled = false;
    const settle = (o: HttpCallOutcome): void => {
      if (settled) return;
      settled = true;
      deliver(o);
    };
    const req = request({
      host: this.host,
      port: this.port,
      agent: this.agent,
      method: call.header(":method") ?? "GET",
      path: call.header(":path") ?? "/",
      headers: { ...outgoingHeaders(call.headers), host: call.header(":authority") ?? this.authority },
    });
    let gotHeaders = false;
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (gotHeaders) settle({ reset: true });
      else settle(e.code === "ECONNREFUSED" || e.code === "EHOSTUNREACH" || e.code === "ENOTFOUND" ? { connectFailure: true } : { status: 503, headers: { "content-type": "text/plain" }, body: connectFailureBody("connection termination") });
    });
    req.on("response", (res) => {
      gotHeaders = true;
      const parts: Buffer[] = [];
      res.on("data", (b: Buffer) => parts.push(b));
      res.on("error", () => settle({ reset: true }));
      res.on("aborted", () => settle({ reset: true }));
      res.on("end", () => {
        if (!res.complete) return settle({ reset: true });
        const trailers = res.rawTrailers.length ? trailerPairs(res.rawTrailers) : undefined;
        settle({ headers: responsePairs(res), body: new Uint8Array(Buffer.concat(parts)), ...(trailers ? { trailers } : {}) });
      });
    });
    req.end(Buffer.from(call.body));
    return () => {
      settled = true;
      req.destroy();
    };
  }

  /**
   * Makes the filter's unary gRPC call for real over HTTP/2, the message as raw bytes.
   * Returns the abort function (Envoy resets the stream: the server sees a cancel).
   */
  grpcCall(call: GrpcCallRecord, deliver: (o: GrpcCallOutcome) => void): () => void {
    if (this.closed) {
      const t = setImmediate(() => deliver({ status: GrpcStatus.UNAVAILABLE, statusMessage: connectFailureBody("connection failure") }));
      return () => clearImmediate(t);
    }
    const client = this.grpcClient();
    const md = new Metadata();
    for (const [k, v] of call.initialMetadata) {
      if (reservedMetadata(k)) continue;
      try {
        if (k.endsWith("-bin")) md.add(k, Buffer.from(v, "latin1"));
        else md.add(k, v);
      } catch {
        // A name or value HTTP/2 cannot carry: Envoy's codec would refuse it too; drop it.
      }
    }
    let settled = false;
    let gotHeaders = false;
    const rpc = client.makeUnaryRequest<Buffer, Buffer>(
      `/${call.serviceName}/${call.method}`,
      identity,
      identity,
      Buffer.from(call.message),
      md,
      {},
      (err, value) => {
        if (settled) return;
        settled = true;
        if (!err) {
          deliver({ message: new Uint8Array(value ?? Buffer.alloc(0)) });
          return;
        }
        const mapped = envoyGrpcStatus(err, gotHeaders);
        // Envoy's pool makes a new connection for the next call after a failed one;
        // grpc-js would wait out its reconnect backoff, so start over with a new channel.
        if (mapped.status === GrpcStatus.UNAVAILABLE && !gotHeaders) this.dropGrpcClient(client);
        deliver(mapped);
      },
    );
    rpc.on("metadata", () => {
      gotHeaders = true;
    });
    return () => {
      settled = true;
      rpc.cancel();
    };
  }

  private grpcClient(): Client {
    this.grpc ??= new Client(this.authority, credentials.createInsecure(), {
      // Envoy sends the cluster name as :authority for envoy_grpc services. Istio's names
      // (outbound|8081||host) are not valid authorities and an HTTP/2 server in Node resets
      // such a stream, so those go with the address instead.
      "grpc.default_authority": VALID_AUTHORITY.test(this.name) ? this.name : this.authority,
      "grpc.enable_retries": 0,
    });
    return this.grpc;
  }

  private dropGrpcClient(client: Client): void {
    if (this.grpc === client) this.grpc = null;
    client.close();
  }

  /** Closes the connections (the host shuts down). */
  close(): void {
    this.closed = true;
    this.grpc?.close();
    this.grpc = null;
    this.agent.destroy();
  }
}
