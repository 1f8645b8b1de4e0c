// One line per request, written when the stream completes: who called, what the filter
// decided for each limit, what it charged, and what the client got. The filter does not
// export its decisions per request yet, so they are read from its metrics: the counters a
// stream's callbacks moved are that stream's (host-test runs one callback at a time).
import type { Host } from "../../host-test/index.ts";

/** What the filter did for one request, read from its per-limit metrics. */
export interface Outcome {
  /** limit name -> "admitted" | "limited". */
  limits: Record<string, "admitted" | "limited">;
  tokens: number;
  aborted: boolean;
}

/** Reads the filter's counters before and after a stream's callbacks, and keeps the difference. */
export class Meter {
  private readonly names: string[];

  constructor(private readonly host: Host, readonly limitNames: readonly string[]) {
    this.names = ["tokenlimit.tokens_charged", "tokenlimit.streams_aborted"];
    for (const l of limitNames) this.names.push(`tokenlimit.limit.${l}.requests_admitted`, `tokenlimit.limit.${l}.requests_limited`);
  }

  /** The counters now. */
  read(): number[] {
    return this.names.map((n) => this.host.metric(n) ?? 0);
  }

  /** Adds to `o` what moved between `before` and now. */
  addSince(before: number[], o: Outcome): void {
    const now = this.read();
    o.tokens += now[0] - before[0];
    if (now[1] > before[1]) o.aborted = true;
    this.limitNames.forEach((l, i) => {
      if (now[3 + 2 * i] > before[3 + 2 * i]) o.limits[l] = "limited";
      else if (now[2 + 2 * i] > before[2 + 2 * i]) o.limits[l] ??= "admitted";
    });
  }
}

/** The limit names of a plugin configuration (`limits`, or those of `defaults`/`overrides`). */
export function limitNames(config: unknown): string[] {
  const c = (config ?? {}) as Record<string, { limits?: unknown } | unknown>;
  const limits = (c.limits ?? (c.defaults as { limits?: unknown } | undefined)?.limits ?? (c.overrides as { limits?: unknown } | undefined)?.limits) as unknown;
  return typeof limits === "object" && limits !== null ? Object.keys(limits) : [];
}

/**
 * Who called, for the log: the `sub` of a bearer JWT (decoded, not verified, as the filter's
 * default identity source reads it), else the client's address.
 */
export function callerOf(authorization: string | undefined, address: string): string {
  const m = /^Bearer\s+[^.\s]+\.([^.\s]+)\./i.exec(authorization ?? "");
  if (m) {
    try {
      const sub = (JSON.parse(Buffer.from(m[1], "base64url").toString("utf8")) as { sub?: unknown }).sub;
      if (typeof sub === "string" && sub.length > 0) return sub;
    } catch {
      // not a JWT: fall back to the address
    }
  }
  return address;
}

/** One request's record, completed as its stream goes. */
export interface RequestLog {
  startMs: number;
  caller: string;
  method: string;
  path: string;
  worker: number;
  status: number;
  /** x-ratelimit-remaining-tokens of the response, when set. */
  remaining?: string;
  retryAfter?: string;
  reset: boolean;
  outcome: Outcome;
}

/**
 * `caller=alice POST /v1/chat/completions 200 limits=free:admitted tokens=5002 remaining=14998 worker=0 12ms`;
 * a stream reset before its response ended shows `reset` (and `aborted` once the filter counted it).
 */
export function formatLog(r: RequestLog, endMs: number): string {
  const limits = Object.entries(r.outcome.limits).map(([l, d]) => `${l}:${d}`).join(",") || "-";
  const parts = [`caller=${r.caller}`, r.method, r.path, r.reset ? "reset" : String(r.status), `limits=${limits}`, `tokens=${r.outcome.tokens}`];
  if (r.remaining !== undefined) parts.push(`remaining=${r.remaining}`);
  if (r.retryAfter !== undefined) parts.push(`retry-after=${r.retryAfter}`);
  if (r.outcome.aborted) parts.push("aborted");
  parts.push(`worker=${r.worker}`, `${Math.max(0, Math.round(endMs - r.startMs))}ms`);
  return parts.join(" ");
}
