// Shared drivers of the streaming and provider suites: a simple per-user policy,
// replaying a transcript through the real filter in chosen chunks, and reading what
// was charged (metrics deltas and the stored counter).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Host, type ExchangeResult, type HttpStream } from "../../host-test/index.ts";
import type { Transcript } from "../../fixtures/transcripts.ts";
import { counterOf, usedBy } from "../support/counters.ts";

export const WASM: Uint8Array = readFileSync(fileURLToPath(new URL("../../build/tokenlimit.wasm", import.meta.url)));

/** A limit far beyond anything a test charges, so that nothing is ever rejected. */
export const HUGE = 1_000_000_000_000;

/**
 * The suites' policy: one limit `user` (per `auth.identity.userid`, no path predicate),
 * identity from the `x-auth-user` header, plus `extra` top-level settings.
 */
export function policy(extra: Record<string, unknown> = {}, limits?: Record<string, unknown>): Record<string, unknown> {
  return {
    limits: limits ?? {
      user: { rates: [{ limit: HUGE, window: "24h" }], counters: [{ expression: "auth.identity.userid" }] },
    },
    identity: { source: "headers" },
    ...extra,
  };
}

/** A limit counting `tokens` ("total", "input", "output") per user. */
export function userLimit(tokens = "total", limit = HUGE): Record<string, unknown> {
  return { rates: [{ limit, window: "24h" }], counters: [{ expression: "auth.identity.userid" }], tokens };
}

export async function newHost(config: Record<string, unknown> = policy()): Promise<Host> {
  const host = await Host.create({ wasm: WASM, pluginConfig: config, trace: false });
  if (!host.accepted) throw new Error(`configuration rejected: ${host.rejection}\n${host.logs().join("\n")}`);
  return host;
}

/** Request headers of a JSON POST to `path` by `user`. */
export function requestHeaders(path: string, user = "alice", extra: Record<string, string> = {}): Record<string, string> {
  return {
    ":method": "POST",
    ":path": path,
    ":authority": "llm.example",
    ":scheme": "https",
    "content-type": "application/json",
    "x-auth-user": user,
    ...extra,
  };
}

export function metric(host: Host, name: string): number {
  return host.metric(name) ?? 0;
}

/** What `fn` changed in the counter metric `name` (default: the filter-wide tokens charged). */
export function delta(host: Host, fn: () => void, name = "tokenlimit.tokens_charged"): number {
  const before = metric(host, name);
  fn();
  return metric(host, name) - before;
}

export interface ReplayOptions {
  /** Response body (default: the transcript's). */
  body?: string | Uint8Array;
  /** Response chunk size(s), as host.exchange takes them. */
  chunkSize?: number | number[];
  user?: string;
  path?: string;
  request?: string;
  responseHeaders?: Record<string, string>;
}

/** One exchange replaying transcript `t`; returns the result and the tokens charged for it. */
export function replay(host: Host, t: Transcript, o: ReplayOptions = {}): { result: ExchangeResult; charged: number } {
  let result!: ExchangeResult;
  const charged = delta(host, () => {
    result = host.exchange({
      request: { headers: requestHeaders(o.path ?? t.path, o.user ?? "alice"), body: o.request ?? t.request },
      response: {
        headers: o.responseHeaders ?? { ":status": "200", "content-type": t.contentType },
        body: o.body ?? t.body,
        chunkSize: o.chunkSize,
      },
    });
  });
  return { result, charged };
}

/**
 * Starts a stream by hand (for resets): request sent and admitted, response headers
 * received; returns the stream so that the test can feed body chunks and reset it.
 */
export function openStream(host: Host, t: Transcript, user = "alice"): HttpStream {
  const s = host.newStream();
  s.sendRequestHeaders(requestHeaders(t.path, user), false);
  s.sendRequestBody(t.request, true);
  if (!s.upstreamRequest?.ended) throw new Error("the request did not reach the upstream");
  s.sendResponseHeaders({ ":status": "200", "content-type": t.contentType }, false);
  return s;
}

/** `used` of the stored counter of limit `limit`, rate 0, for `user`. */
export function storedUsed(host: Host, limit: string, user: string): number {
  return usedBy(host, limit, user);
}

/** `reserved` of the same stored counter. */
export function storedReserved(host: Host, limit: string, user: string): number {
  return counterOf(host, limit, user)?.reserved ?? 0;
}

/** Bytes of generated text the usage reader counts in `sse` for a JSON string key (raw bytes between the quotes). */
export function rawStringBytes(sse: string, key: RegExp): number {
  let n = 0;
  const re = new RegExp(`"${key.source}":\\s*"((?:[^"\\\\]|\\\\.)*)"`, "g");
  for (const m of sse.matchAll(re)) n += Buffer.byteLength(m[1]);
  return n;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
