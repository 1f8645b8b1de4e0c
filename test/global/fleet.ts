// Several gateway replicas counting in one rate-limit service: each a host-test Host (its
// own shared data, `workers` worker VMs) whose counters cluster is mapped to the test
// rate-limit service on a real Redis, reached over real gRPC. `spend` drives one user's
// traffic through all of them at once, round after round, until every request is refused.
import { Host, type HttpStream } from "../../host-test/index.ts";
import { chatHeaders, chatResponse, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { chatRequest, NINE_AM } from "../filter/helpers.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";
import { startRateLimitService, type RateLimitTestService } from "../support/ratelimit/server.ts";

export const FILTER_WASM = "build/tokenlimit.wasm";
export const CLUSTER = "outbound|8081||limitador.kuadrant-system.svc.cluster.local";

export type Backend = "envoy-rls" | "limitador";

/** One limit, `free`: `limit` tokens a day per user of the free group, counted in `backend`. */
export function freePolicy(backend: Backend, limit: number, service: Record<string, unknown> = {}): object {
  return {
    limits: {
      free: {
        rates: [{ limit, window: "24h" }],
        when: [
          { predicate: 'request.url_path == "/v1/chat/completions"' },
          { predicate: 'request.auth.identity.metadata.annotations["kuadrant.io/groups"].split(",").exists(g, g == "free")' },
        ],
        counters: [{ expression: "auth.identity.userid" }],
      },
    },
    counters: { backend, service: { cluster: CLUSTER, ...service } },
  };
}

/** The engine's limits for `freePolicy` (what `tokenlimit render` writes for it). */
export function engineLimits(backend: Backend, limit: number): { envoyConfig?: Array<{ name: string; text: string }>; limitadorLimits?: string } {
  if (backend === "envoy-rls") {
    return {
      envoyConfig: [{
        name: "ratelimit-config.yaml",
        text: [
          "domain: tokenlimit",
          "descriptors:",
          "  - key: tokenlimit_limit",
          "    value: free",
          "    descriptors:",
          "      - key: tokenlimit_window",
          '        value: "86400"',
          "        descriptors:",
          "          - key: tokenlimit_counter_0",
          `            rate_limit: { unit: day, requests_per_unit: ${limit} }`,
        ].join("\n"),
      }],
    };
  }
  return {
    limitadorLimits: [
      "- namespace: tokenlimit",
      "  name: free.rates[0]",
      `  max_value: ${limit}`,
      "  seconds: 86400",
      "  conditions: [\"descriptors[0]['tokenlimit_limit'] == 'free'\"]",
      "  variables: [\"descriptors[0]['tokenlimit_counter_0']\"]",
    ].join("\n"),
  };
}

export interface Fleet {
  readonly hosts: Host[];
  readonly redis: RedisServer;
  readonly service: RateLimitTestService;
  readonly workers: number;
  close(): Promise<void>;
}

/** `replicas` hosts of `workers` workers each, configured with `policy`, and the service with `limits` on a fresh Redis. */
export async function startFleet(o: { backend: Backend; policy: object; limit: number; replicas?: number; workers?: number; trace?: boolean }): Promise<Fleet> {
  const redis = await startRedis();
  const service = await startRateLimitService({
    engine: o.backend === "envoy-rls" ? "envoy-ratelimit" : "limitador",
    redisUrl: redis.url,
    nowMs: () => NINE_AM,
    ...engineLimits(o.backend, o.limit),
  });
  const workers = o.workers ?? 2;
  const hosts: Host[] = [];
  for (let i = 0; i < (o.replicas ?? 3); i++) {
    const host = await Host.create({
      wasm: FILTER_WASM, pluginConfig: o.policy, workers, now: NINE_AM, trace: o.trace ?? false,
      clusters: { [CLUSTER]: { address: service.address } },
    });
    if (!host.accepted) throw new Error(`replica ${i} refused the policy: ${host.rejection}`);
    hosts.push(host);
  }
  return {
    hosts, redis, service, workers,
    close: async () => {
      for (const h of hosts) h.close();
      await service.close();
      await redis.stop();
    },
  };
}

/** Waits until no host has a call to the service in flight (answers delivered). */
export async function settle(hosts: readonly Host[]): Promise<void> {
  for (let i = 0; i < 3; i++) await Promise.all(hosts.map((h) => h.whenRemoteIdle()));
}

/**
 * Moves every replica's clock by `ms`, stopping at each task that falls due (a tick that
 * flushes or refreshes) to let the service answer what it sent before time goes on: the
 * service answers in real time, and one big step would run past the calls' timeouts
 * before their answers could arrive.
 */
export async function advance(hosts: readonly Host[], ms: number): Promise<void> {
  let left = ms;
  while (left > 0) {
    const due = Math.min(left, ...hosts.map((h) => h.clock.nextDueIn() ?? left));
    const step = Math.max(due, 1);
    for (const h of hosts) h.clock.advance(step);
    await settle(hosts);
    left -= step;
  }
}

export interface SpendResult {
  /** Tokens charged: the usage of every admitted request. */
  charged: number;
  admitted: number;
  refused: number;
  /** Other outcomes (503 ...), by status. */
  other: Record<number, number>;
  rounds: number;
}

/**
 * One user spends across every replica and worker at once: each round starts one request per
 * worker of every replica (all admissions in flight together), then every admitted request
 * gets its response, costing `cost` tokens, and its report settles. Stops after a round that
 * admits nothing (or `maxRounds`). `roundMs`: simulated time every replica's clock moves after
 * each round (ticks: cached mode's refreshes and batched reports), default 0.
 */
export async function spend(fleet: Fleet, o: { user: string; maxTokens: number; cost: number; maxRounds?: number; roundMs?: number }): Promise<SpendResult> {
  const res: SpendResult = { charged: 0, admitted: 0, refused: 0, other: {}, rounds: 0 };
  for (let round = 0; round < (o.maxRounds ?? 100); round++) {
    res.rounds++;
    const streams: HttpStream[] = [];
    for (const host of fleet.hosts) {
      for (let w = 0; w < fleet.workers; w++) {
        const s = host.newStream({ worker: w });
        s.sendRequestHeaders(chatHeaders(o.user, ["free"]));
        s.sendRequestBody(chatRequest(o.maxTokens), true);
        streams.push(s);
      }
    }
    await settle(fleet.hosts);
    let admittedThisRound = 0;
    for (const s of streams) {
      if (s.upstreamRequest?.ended) {
        admittedThisRound++;
        s.sendResponseHeaders(JSON_RESPONSE_HEADERS);
        s.sendResponseBody(chatResponse(o.cost), true);
        res.charged += o.cost;
      } else if (s.localResponse?.status === 429) res.refused++;
      else {
        const status = s.localResponse?.status ?? 0;
        res.other[status] = (res.other[status] ?? 0) + 1;
      }
    }
    res.admitted += admittedThisRound;
    await settle(fleet.hosts);
    if (o.roundMs) await advance(fleet.hosts, o.roundMs);
    if (admittedThisRound === 0) break;
  }
  return res;
}
