// Global counters (counters.backend "envoy-rls" / "limitador"), measured end to end: three
// host-test replicas of two workers each, the test rate-limit service on a real Redis
// (redis-server must be installed), real gRPC.
//
//   global-overshoot   tokens charged / the limit when one user spends across every replica
//                      and worker at once until refused (limit 2,500 a day; each request
//                      reserves 300 tokens with max_tokens and costs 250; in cached mode, with
//                      ttl and flushInterval 1 s, a round of requests every 250 ms): the worst
//                      of the backends and modes measured, each listed after it.
import { freePolicy, spend, startFleet, type Backend } from "../test/global/fleet.ts";

const LIMIT = 2500;

const CACHED = { mode: "cached", cache: { ttl: "1s", flushInterval: "1s" } };

async function overshoot(backend: Backend, cached: boolean): Promise<number> {
  const fleet = await startFleet({ backend, policy: freePolicy(backend, LIMIT, cached ? CACHED : {}), limit: LIMIT });
  try {
    const r = await spend(fleet, { user: "alice", maxTokens: 300, cost: 250, roundMs: cached ? 250 : 0 });
    if (Object.keys(r.other).length) throw new Error(`${backend}: unexpected answers ${JSON.stringify(r.other)}`);
    return r.charged / LIMIT;
  } finally {
    await fleet.close();
  }
}

export async function run(): Promise<string[]> {
  const measured: Array<[string, number]> = [];
  for (const backend of ["envoy-rls", "limitador"] as const) {
    measured.push([`${backend} direct`, await overshoot(backend, false)]);
    measured.push([`${backend} cached`, await overshoot(backend, true)]);
  }
  const worst = Math.max(...measured.map(([, x]) => x));
  return [`bench global-overshoot: ${worst.toFixed(2)}x limit (${measured.map(([n, x]) => `${n} ${x.toFixed(2)}x`).join(", ")}; 3 replicas x 2 workers)`];
}
