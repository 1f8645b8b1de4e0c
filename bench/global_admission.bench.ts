// What a request costs the filter when its budget is global and admission is `cached`,
// against the local backend, both in the lean host (lean_host.ts), same run, interleaved
// rounds, medians.
//
//   global-admission-cached   the example policy's full path (as request-cost-full) with
//                             counters.backend "envoy-rls" in cached mode, against the same
//                             path with the local backend. The rate-limit service is answered
//                             in process (with the real protobuf code) and costs nothing here;
//                             its refreshes and batched reports are counted in (a tick per
//                             simulated second), so the figure is the hot path plus their share.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import {
  RateLimitRequestSchema, RateLimitResponseSchema, RateLimitResponse_Code, RateLimitResponse_RateLimit_Unit,
} from "../proto/gen/envoy/service/ratelimit/v3/rls_pb.ts";
import { LeanHost, PreparedScenario } from "./lean_host.ts";
import { EXAMPLE_POLICY } from "../fixtures/llm.ts";
import { median } from "./measure.ts";
import { DAY_MS, START, scenarios } from "./request_cost.bench.ts";

const ROUNDS = 11;
const PER_ROUND = 2000;
const FILTER_WASM = process.env.BENCH_FILTER_WASM ?? "build/tokenlimit.wasm";
const CLUSTER = "ratelimit";
/** Simulated time between requests: 100 requests a second on this worker. */
const STEP_MS = 10;

/** The service's answer to a ShouldRateLimit: every descriptor OK with most of its budget left. */
function serviceAnswer(_service: string, method: string, message: Uint8Array): Uint8Array {
  if (method !== "ShouldRateLimit") throw new Error(`global-admission: unexpected call ${method}`);
  const req = fromBinary(RateLimitRequestSchema, message);
  return toBinary(RateLimitResponseSchema, create(RateLimitResponseSchema, {
    overallCode: RateLimitResponse_Code.OK,
    statuses: req.descriptors.map(() => ({
      code: RateLimitResponse_Code.OK,
      currentLimit: { requestsPerUnit: 200_000, unit: RateLimitResponse_RateLimit_Unit.DAY },
      limitRemaining: 199_000,
      durationUntilReset: create(DurationSchema, { seconds: 3600n }),
    })),
  }));
}

/** Microseconds per request of `n` exchanges; time moves STEP_MS a request, a tick every second, a new day every 150. */
function batch(h: LeanHost, s: PreparedScenario, n: number): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    if (i % 150 === 0) h.nowMs += DAY_MS;
    h.nowMs += STEP_MS;
    if (i % (1000 / STEP_MS) === 0) h.tick();
    const status = h.exchange(s);
    if (status !== 200) throw new Error(`global-admission: got ${status}`);
  }
  return ((performance.now() - t) * 1000) / n;
}

export async function run(): Promise<string[]> {
  const local = await LeanHost.create(FILTER_WASM, { pluginConfig: JSON.stringify(EXAMPLE_POLICY), now: START });
  const cachedPolicy = { ...EXAMPLE_POLICY, counters: { backend: "envoy-rls", service: { cluster: CLUSTER, mode: "cached" } } };
  const cached = await LeanHost.create(FILTER_WASM, { pluginConfig: JSON.stringify(cachedPolicy), now: START, grpc: serviceAnswer });
  const s = new PreparedScenario(scenarios().full);
  batch(local, s, PER_ROUND);
  batch(cached, s, PER_ROUND);
  const callsBefore = cached.grpcCalls;
  const ours: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      ours.push(batch(cached, s, PER_ROUND));
      base.push(batch(local, s, PER_ROUND));
    } else {
      base.push(batch(local, s, PER_ROUND));
      ours.push(batch(cached, s, PER_ROUND));
    }
  }
  // Cached admission makes no call per request: only refreshes and batched reports.
  const calls = cached.grpcCalls - callsBefore;
  if (calls >= (ROUNDS * PER_ROUND) / 2) throw new Error(`global-admission: ${calls} service calls for ${ROUNDS * PER_ROUND} requests: admission is not answered from the cache`);
  return [
    `bench global-admission-cached: ${(median(ours) / median(base)).toFixed(2)}x local (${median(ours).toFixed(2)} vs ${median(base).toFixed(2)} us per request; ${calls} service calls for ${ROUNDS * PER_ROUND} requests)`,
  ];
}
