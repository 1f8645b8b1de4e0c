// Shared by the budget alert tests: a policy with alerts and a webhook, and the webhook's
// calls decoded.
import type { HttpCallRecord } from "../../host-test/index.ts";

export const CHAT_ONLY = [{ predicate: 'request.url_path == "/v1/chat/completions"' }];
export const PER_USER = [{ expression: "auth.identity.userid" }];

/** A policy with one limit `name` per user, alerting at `alerts`, sending to cluster `alerts`. */
export function alertPolicy(opts: { name?: string; limit?: number; window?: string; alerts?: Array<string | number>; soft?: boolean;
  webhook?: Record<string, unknown> | null } = {}): object {
  const name = opts.name ?? "team-daily";
  const webhook = opts.webhook === null ? undefined : { cluster: "alerts", path: "/hooks/budget", authority: "alerts.example", timeout: "2s", ...(opts.webhook ?? {}) };
  return {
    limits: {
      [name]: {
        rates: [{ limit: opts.limit ?? 1000, window: opts.window ?? "24h" }],
        when: CHAT_ONLY,
        counters: PER_USER,
        alerts: (opts.alerts ?? ["80%", "100%", 600]).map((at) => ({ at })),
        ...(opts.soft ? { soft: true } : {}),
      },
    },
    ...(webhook ? { alerts: { webhook } } : {}),
  };
}

export interface AlertBody {
  type: string;
  limit: string;
  rate: number;
  window: string;
  counter: string[];
  threshold: string;
  threshold_tokens: number;
  used: number;
  used_before: number;
  limit_tokens: number;
  window_start: string;
  window_start_epoch: number;
  reset: string;
  reset_epoch: number;
  sent_at: string;
  sent_at_epoch: number;
}

export function alertBody(call: HttpCallRecord): AlertBody {
  return JSON.parse(new TextDecoder().decode(call.body)) as AlertBody;
}
