// Helpers of the token limiter's integration tests: a host running build/tokenlimit.wasm,
// a chat exchange, the stored counters decoded from shared data, metrics, a seeded PRNG.
import { Host, type HostOptions, type ExchangeResult, type HttpStream } from "../../host-test/index.ts";
import { EXAMPLE_POLICY, chatHeaders, CHAT_REQUEST, CHAT_RESPONSE, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
export { decodeCounter, encodeCounter, counterKey, counterOf, counterEntries, counterIdentities, counterWithIdentity, counterSlotKey, homeSlotKey, identityOf, usedBy, type StoredCounter } from "../support/counters.ts";

export const FILTER_WASM = "build/tokenlimit.wasm";

/** 2026-11-29 09:00:00 UTC: 15 hours before the daily windows reset. */
export const NINE_AM = Date.UTC(2026, 10, 29, 9, 0, 0);
/** 00:00 UTC of the next day. */
export const NEXT_MIDNIGHT = Date.UTC(2026, 10, 30, 0, 0, 0);

/** A host running the token limiter (the example policy, 09:00 UTC, no call tracing unless asked). */
export function filterHost(opts: Partial<HostOptions> = {}): Promise<Host> {
  return Host.create({ wasm: FILTER_WASM, pluginConfig: EXAMPLE_POLICY, now: NINE_AM, trace: false, ...opts });
}

export interface ChatOptions {
  /** Response body (default: the example response, 100 tokens). */
  response?: string | Uint8Array;
  responseHeaders?: Record<string, string>;
  responseChunkSize?: number | number[];
  /** Request body (default: the example request, no max_tokens). */
  body?: string;
  path?: string;
  /** Extra or replaced request headers. */
  headers?: Record<string, string>;
  worker?: number;
}

/** One chat completion by `user` in `groups`, answered with `opts.response`. */
export function chat(host: Host, user: string, groups: string[], opts: ChatOptions = {}): ExchangeResult {
  return host.exchange({
    worker: opts.worker,
    request: { headers: { ...chatHeaders(user, groups, opts.path), ...(opts.headers ?? {}) }, body: opts.body ?? CHAT_REQUEST },
    response: { headers: opts.responseHeaders ?? JSON_RESPONSE_HEADERS, body: opts.response ?? CHAT_RESPONSE, chunkSize: opts.responseChunkSize },
  });
}

/** A chat request body asking for at most `maxTokens` generated tokens. */
/**
 * The input estimate of every fixture chat request's prompt (`"user"`, `"Hello!"`): 10
 * bytes of text at 4 bytes a token. Reservations and fallback charges include it.
 */
export const HELLO_INPUT = 3;

export function chatRequest(maxTokens?: number, field = "max_tokens"): string {
  const req: Record<string, unknown> = { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello!" }] };
  if (maxTokens !== undefined) req[field] = maxTokens;
  return JSON.stringify(req);
}

/** A filter metric (0 when not defined yet). */
export function metric(host: Host, name: string): number {
  return host.metric(`tokenlimit.${name}`) ?? 0;
}

/** The tokenlimit_* sample lines of the Prometheus page (no comments). */
export function tokenlimitSamples(host: Host): string[] {
  return host.prometheus().split("\n").filter((l) => l.startsWith("tokenlimit_"));
}

/** The x-ratelimit-* and retry-after headers of a response, in order. */
export function rateLimitHeaders(r: { headerPairs: Array<[string, string]> }): Array<[string, string]> {
  return r.headerPairs.filter(([k]) => k.startsWith("x-ratelimit-") || k === "retry-after");
}

/** Seeded PRNG (mulberry32): deterministic runs. */
export function prng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T; shuffle<T>(xs: T[]): T[] } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(xs: readonly T[]) => xs[int(xs.length)],
    shuffle<T>(xs: T[]): T[] {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [xs[i], xs[j]] = [xs[j], xs[i]];
      }
      return xs;
    },
  };
}

/** Sends a whole response on an open stream whose request reached the upstream. */
export function sendResponse(s: HttpStream, body: string, headers: Record<string, string> = JSON_RESPONSE_HEADERS): void {
  s.sendResponseHeaders(headers, body.length === 0);
  if (body.length > 0 && !s.closed) s.sendResponseBody(body, true);
}
