// host.exchange: one whole stream driven the way a client and an upstream would, letting
// simulated time run while the filter holds it (e.g. waiting for a call to answer).
import type { AttrInput } from "./properties.ts";
import { bodyBytes } from "./pairs.ts";
import type { BodyInput, HeaderInput, HttpStream, LocalResponse, Message } from "./types.ts";

/** Input of `host.exchange`. */
export interface ExchangeOptions {
  request: { headers: HeaderInput; body?: BodyInput; chunkSize?: number | number[]; trailers?: HeaderInput };
  /** The upstream's answer (or a function of the request it received). Default 200 with no body. */
  response?: ExchangeResponse | ((upstreamRequest: Message) => ExchangeResponse);
  worker?: number;
  attributes?: Record<string, AttrInput>;
  /** How long to let simulated time run while the filter holds the stream. Default 60 s. */
  maxWaitMs?: number;
}

export interface ExchangeResponse {
  headers: HeaderInput;
  body?: BodyInput;
  chunkSize?: number | number[];
  trailers?: HeaderInput;
}

/** Result of `host.exchange`: what the client got, and what happened on the way. */
export interface ExchangeResult {
  status: number;
  headers: Record<string, string>;
  headerPairs: Array<[string, string]>;
  body: string;
  bodyBytes: Uint8Array;
  trailers: Record<string, string> | null;
  /** The filter (or the host, e.g. fail closed) answered locally. */
  localReply: boolean;
  localResponse: LocalResponse | null;
  /** What the upstream received (null when the request never got there). */
  upstreamRequest: Message | null;
  /** The stream was reset. */
  reset: boolean;
  stream: HttpStream;
}

/** Simulated time, as far as an exchange waits on it. */
export interface SimulatedTime {
  /** Milliseconds until the next scheduled task, or undefined when nothing is pending. */
  nextDueIn(): number | undefined;
  /** Moves time forward, running what falls due. */
  advance(ms: number): void;
}

function chunks(body: Uint8Array, size: number | number[] | undefined): Uint8Array[] {
  if (body.length === 0) return [];
  if (size === undefined) return [body];
  const sizes = Array.isArray(size) ? size : [];
  const out: Uint8Array[] = [];
  let p = 0;
  let i = 0;
  while (p < body.length) {
    const n = Array.isArray(size) ? (i < sizes.length ? sizes[i++] : body.length - p) : size;
    if (!(n > 0)) throw new RangeError("chunk sizes must be > 0");
    out.push(body.subarray(p, p + n));
    p += n;
  }
  return out;
}

/**
 * Drives one whole exchange: request (chunked as asked), waiting in simulated time while the
 * filter holds the request (e.g. for a call), then the upstream response unless the filter
 * answered locally, then completion. Throws if the filter holds the stream with nothing pending.
 */
export function runExchange(s: HttpStream, time: SimulatedTime, o: ExchangeOptions): ExchangeResult {
  const maxWait = o.maxWaitMs ?? 60_000;
  const reqBody = chunks(bodyBytes(o.request.body), o.request.chunkSize);
  s.sendRequestHeaders(o.request.headers, reqBody.length === 0 && !o.request.trailers);
  reqBody.forEach((c, i) => {
    if (!s.closed && !s.answeredLocally) s.sendRequestBody(c, i === reqBody.length - 1 && !o.request.trailers);
  });
  if (o.request.trailers && !s.closed && !s.answeredLocally) s.sendRequestTrailers(o.request.trailers);
  waitFor(time, () => s.closed || s.answeredLocally || s.responseComplete || (s.upstreamRequest?.ended ?? false), maxWait, "the request");
  if (!s.closed && !s.answeredLocally && !s.responseComplete) {
    const up = s.upstreamRequest!;
    const r: ExchangeResponse = typeof o.response === "function" ? o.response(up) : o.response ?? { headers: { ":status": "200" } };
    const body = chunks(bodyBytes(r.body), r.chunkSize);
    s.sendResponseHeaders(r.headers, body.length === 0 && !r.trailers);
    body.forEach((c, i) => {
      if (!s.closed && !s.responseComplete) s.sendResponseBody(c, i === body.length - 1 && !r.trailers);
    });
    if (r.trailers && !s.closed && !s.responseComplete) s.sendResponseTrailers(r.trailers);
  }
  waitFor(time, () => s.closed || s.responseComplete, maxWait, "the response");
  if (!s.completed && s.responseComplete) s.complete();
  const d = s.downstreamResponse;
  return {
    status: d?.status ?? 0,
    headers: d?.headers ?? {},
    headerPairs: d?.headerPairs ?? [],
    body: d?.body ?? "",
    bodyBytes: d?.bodyBytes ?? new Uint8Array(0),
    trailers: d?.trailers ?? null,
    localReply: s.localResponse !== null,
    localResponse: s.localResponse,
    upstreamRequest: s.upstreamRequest,
    reset: s.isReset,
    stream: s,
  };
}

function waitFor(time: SimulatedTime, done: () => boolean, maxWaitMs: number, what: string): void {
  let waited = 0;
  while (!done()) {
    const due = time.nextDueIn();
    if (due === undefined || waited + due > maxWaitMs) {
      throw new Error(`host-test: the filter holds ${what} and nothing is pending that could resume it (waited ${waited} ms)`);
    }
    time.advance(due);
    waited += due;
  }
}

