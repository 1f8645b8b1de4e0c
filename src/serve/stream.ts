// One request through the proxy: the client's HTTP/1.1 exchange, a host-test stream running
// the filter, and the upstream request, joined part by part as each arrives. Nothing is
// buffered here: a part the filter lets through is written on at once, and a side that
// cannot take more (write() returned false) pauses the side that feeds it until it drains,
// as Envoy's watermarks do. What the filter holds, host-test holds, within Envoy's limits.
import { request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Host, HttpStream, StreamSink } from "../../host-test/index.ts";
import { type Meter, type RequestLog, CHARGE_FILTER_STATE, callerOf, parseCharge } from "./access-log.ts";
import { type Pairs, outgoingHeaders, pairValue, requestHasBody, requestPairs, responseEndsAtHeaders, responsePairs, trailerPairs } from "./messages.ts";

/** What every stream of one proxy shares. */
export interface ProxyContext {
  host: Host;
  upstream: URL;
  meter: Meter;
  /** Runs what became due and re-arms the clock (after every part handed to the host). */
  pump(): void;
  workerFor(req: IncomingMessage): number;
  /** Called once per request when its stream is done. */
  log(record: RequestLog): void;
  /** Notes how many bytes a client's response holds unsent (the largest is reported). */
  noteBuffered(bytes: number): void;
}

const EMPTY = new Uint8Array(0);

/** Proxies `req` to the upstream through the filter and answers on `res`. */
export function proxyStream(p: ProxyContext, req: IncomingMessage, res: ServerResponse): void {
  const worker = p.workerFor(req);
  const requestHeaders = requestPairs(req);
  const address = `${req.socket.remoteAddress ?? "0.0.0.0"}:${req.socket.remotePort ?? 0}`;
  const record: RequestLog = {
    startMs: performance.now(),
    caller: callerOf(pairValue(requestHeaders, "authorization"), address),
    method: req.method ?? "GET",
    path: (req.url ?? "/").split("?")[0],
    worker,
    status: 0,
    reset: false,
    outcome: { limits: {}, tokens: 0, aborted: false },
  };
  let upstreamReq: ClientRequest | null = null;
  let upstreamRes: IncomingMessage | null = null;
  let upstreamCancelled = false;
  let logged = false;

  const sink: StreamSink = {
    upstreamHeaders(headers, eos) {
      upstreamReq = openUpstream(p.upstream, headers);
      upstreamReq.on("response", (r) => onUpstreamResponse(r));
      upstreamReq.on("error", () => {
        if (!upstreamCancelled) drive(() => stream.resetUpstream(upstreamRes ? "connection termination" : "connection failure"));
      });
      if (eos) upstreamReq.end();
    },
    upstreamData(chunk, eos) {
      const u = upstreamReq!;
      if (chunk.length > 0 && !u.write(chunk)) {
        req.pause();
        u.once("drain", () => req.resume());
      }
      if (eos) u.end();
    },
    upstreamTrailers() {
      upstreamReq!.end();
    },
    upstreamReset() {
      upstreamCancelled = true;
      upstreamReq?.destroy();
      upstreamRes?.destroy();
    },
    downstreamHeaders(headers, eos) {
      record.status = Number(pairValue(headers, ":status") ?? 0);
      record.remaining = pairValue(headers, "x-ratelimit-remaining-tokens");
      record.retryAfter = pairValue(headers, "retry-after");
      res.writeHead(record.status, outgoingHeaders(headers));
      if (eos) res.end();
    },
    downstreamData(chunk, eos) {
      if (chunk.length > 0 && !res.write(chunk) && upstreamRes && !upstreamRes.isPaused()) {
        const from = upstreamRes;
        from.pause();
        res.once("drain", () => from.resume());
      }
      p.noteBuffered(res.writableLength);
      if (eos) res.end();
    },
    downstreamTrailers(trailers) {
      if (trailers.length) res.addTrailers(outgoingHeaders(trailers));
      res.end();
    },
    downstreamReset() {
      record.reset = true;
      res.destroy();
    },
    completed() {
      // Logged after the callback that completed it returns, so that its charge is counted.
      setImmediate(finish);
    },
  };

  const stream: HttpStream = p.host.newStream({
    worker,
    forward: guarded(sink, (e) => {
      // A part node refuses (e.g. a header value it cannot write): the stream cannot go on.
      process.emitWarning(`tokenlimit serve: ${(e as Error).message}`);
      upstreamCancelled = true;
      upstreamReq?.destroy();
      res.destroy();
    }),
    keepBodies: false,
    attributes: {
      "source.address": address,
      "destination.address": `${req.socket.localAddress ?? "127.0.0.1"}:${req.socket.localPort ?? 0}`,
      "destination.port": req.socket.localPort ?? 0,
    },
  });

  /** Hands one part to the host, counting what the filter did on the way. */
  function drive(part: () => unknown): void {
    if (stream.closed) return;
    const before = p.meter.read();
    try {
      part();
    } catch (e) {
      // The host refused a part (a sequence it says cannot happen): end the exchange on both sides.
      process.emitWarning(`tokenlimit serve: ${(e as Error).message}`);
      upstreamCancelled = true;
      upstreamReq?.destroy();
      res.destroy();
    } finally {
      p.meter.addSince(before, record.outcome);
      p.pump();
    }
  }

  function finish(): void {
    if (logged) return;
    logged = true;
    record.charge = parseCharge(stream.filterState(CHARGE_FILTER_STATE));
    p.log(record);
  }

  function onUpstreamResponse(r: IncomingMessage): void {
    upstreamRes = r;
    if (stream.closed) {
      r.destroy();
      return;
    }
    const eos = responseEndsAtHeaders(record.method, r);
    drive(() => stream.sendResponseHeaders(responsePairs(r), eos));
    if (eos) {
      r.resume();
      return;
    }
    r.on("data", (b: Buffer) => drive(() => stream.sendResponseBody(new Uint8Array(b.buffer, b.byteOffset, b.length), false)));
    r.on("end", () => {
      if (r.rawTrailers.length) drive(() => stream.sendResponseTrailers(trailerPairs(r.rawTrailers)));
      else drive(() => stream.sendResponseBody(EMPTY, true));
    });
    r.on("aborted", () => drive(() => stream.resetUpstream("connection termination")));
    r.on("error", () => drive(() => stream.resetUpstream("connection termination")));
  }

  // A client that goes away before its response ended resets the stream (Envoy: downstream
  // remote reset), which resets the upstream request.
  res.on("close", () => {
    if (!res.writableFinished) {
      record.reset = true;
      drive(() => stream.reset());
      setImmediate(finish);
    }
  });

  const hasBody = requestHasBody(req);
  drive(() => stream.sendRequestHeaders(requestHeaders, !hasBody));
  if (!hasBody) {
    req.resume();
    return;
  }
  req.on("data", (b: Buffer) => drive(() => stream.sendRequestBody(new Uint8Array(b.buffer, b.byteOffset, b.length), false)));
  req.on("end", () => {
    if (req.rawTrailers.length) drive(() => stream.sendRequestTrailers(trailerPairs(req.rawTrailers)));
    else drive(() => stream.sendRequestBody(EMPTY, true));
  });
}

/**
 * The sink with each method made safe: a sink runs inside the host's callbacks, where an
 * exception would unwind through the filter's call; `failed` handles it instead.
 */
function guarded(sink: StreamSink, failed: (e: unknown) => void): StreamSink {
  const out: StreamSink = {};
  for (const [name, fn] of Object.entries(sink) as Array<[keyof StreamSink, (...a: unknown[]) => void]>) {
    (out as Record<string, (...a: unknown[]) => void>)[name] = (...args: unknown[]) => {
      try {
        fn(...args);
      } catch (e) {
        failed(e);
      }
    };
  }
  return out;
}

/** The upstream request for the headers the filter let through: the upstream's address, the filter's method, path and headers. */
function openUpstream(upstream: URL, headers: Pairs): ClientRequest {
  const base = upstream.pathname.replace(/\/$/, "");
  const out = outgoingHeaders(headers);
  // Envoy's auto_host_rewrite: the upstream sees its own name.
  out.host = upstream.host;
  const options = {
    protocol: upstream.protocol,
    hostname: upstream.hostname.replace(/^\[|\]$/g, ""),
    port: upstream.port || (upstream.protocol === "https:" ? 443 : 80),
    method: pairValue(headers, ":method") ?? "GET",
    path: base + (pairValue(headers, ":path") ?? "/"),
    headers: out,
  };
  return upstream.protocol === "https:" ? httpsRequest(options) : httpRequest(options);
}
