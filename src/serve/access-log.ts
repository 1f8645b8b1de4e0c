// One line per request, written when the stream completes: who called, what the filter
// decided for each limit, what it charged, and what the client got. Decisions are read
// from the filter's metrics (the counters a stream's callbacks moved are that stream's:
// host-test runs one callback at a time); the counters' state after the charge from the
// filter state the filter writes for Envoy's access log (`wasm.tokenlimit.charge`).
import type { Host } from "../../host-test/index.ts";
import { limitMetricName } from "./metric-names.ts";

/** The filter state key of each request's charge (`%FILTER_STATE(wasm.tokenlimit.charge:PLAIN)%` in Envoy). */
export const CHARGE_FILTER_STATE = "wasm.tokenlimit.charge";

/** The JSON the filter writes there (docs/observability.md). */
export interface ChargeRecord {
  decision: "admitted" | "limited" | "dry_run_limited" | "failed_open";
  tokens?: { input: number; output: number; total: number };
  charged: number;
  limits: Array<{ name: string; counter: string[]; soft?: boolean; rates: Array<{ window: string; limit: number; charged?: number; used?: number }> }>;
}

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
    for (const l of limitNames) this.names.push(limitMetricName(l, "requests_admitted"), limitMetricName(l, "requests_limited"));
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
  /** What the filter wrote for the access log, when it wrote anything. */
  charge?: ChargeRecord;
}

/** The charge record in `text` (the filter state's bytes), or undefined when absent or not JSON. */
export function parseCharge(text: string | undefined): ChargeRecord | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as ChargeRecord;
  } catch {
    return undefined;
  }
}

/** `used=free:5100/20000,gold:...`: each counter after the charge, of its limit (first rate shown per limit). */
function usedText(c: ChargeRecord): string | undefined {
  const parts: string[] = [];
  for (const l of c.limits) for (const r of l.rates) if (r.used !== undefined) parts.push(`${l.name}:${r.used}/${r.limit}`);
  return parts.length ? `used=${parts.join(",")}` : undefined;
}

/**
 * `caller=alice POST /v1/chat/completions 200 limits=free:admitted tokens=5002 usage=2+5000=5002 used=free:5002/20000 remaining=14998 worker=0 12ms`
 * (`usage` input+output=total as the response reported it, `used` each counter after the charge);
 * a stream reset before its response ended shows `reset` (and `aborted` once the filter counted it).
 */
export function formatLog(r: RequestLog, endMs: number): string {
  const limits = Object.entries(r.outcome.limits).map(([l, d]) => `${l}:${d}`).join(",") || "-";
  const parts = [`caller=${r.caller}`, r.method, r.path, r.reset ? "reset" : String(r.status), `limits=${limits}`, `tokens=${r.outcome.tokens}`];
  const c = r.charge;
  if (c?.tokens) parts.push(`usage=${c.tokens.input}+${c.tokens.output}=${c.tokens.total}`);
  const used = c ? usedText(c) : undefined;
  if (used) parts.push(used);
  if (r.remaining !== undefined) parts.push(`remaining=${r.remaining}`);
  if (r.retryAfter !== undefined) parts.push(`retry-after=${r.retryAfter}`);
  if (r.outcome.aborted) parts.push("aborted");
  parts.push(`worker=${r.worker}`, `${Math.max(0, Math.round(endMs - r.startMs))}ms`);
  return parts.join(" ");
}
