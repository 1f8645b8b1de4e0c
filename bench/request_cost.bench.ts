// What one request costs the filter, measured in the lean benchmark host (lean_host.ts),
// whose hostcalls cost almost nothing, against the pass-through module serving the same
// exchange in the same host. Interleaved rounds, medians, side by side in one run.
//
//   request-cost-full        the example policy's path: JWT identity, both predicates of
//                            both limits, admission in shared data, 1 KB JSON response read
//                            for its usage, charge
//   request-cost-unmatched   a path no limit applies to (GET /v1/models)
//   request-cost-noidentity  the limited path without a credential (no limit applies)
//   request-cost-hostcall-floor  the full scenario served by a module that makes exactly the
//                            full path's hostcalls and nothing else (assembly/hostcall_floor.ts):
//                            what those questions to the proxy cost before any decision
//   request-cost-hostcall-floor-unmatched  the same for the unmatched scenario (one read of the path)
//   memory-per-vm            Wasm memory of a configured worker VM after serving a request
//   memory-per-stream        Wasm memory per in-flight stream (16,384 open at once; garbage between collections is diluted)
import { LeanHost, PreparedScenario, type Scenario } from "./lean_host.ts";
import { EXAMPLE_POLICY, chatHeaders, CHAT_REQUEST, JSON_RESPONSE_HEADERS } from "../fixtures/llm.ts";
import { median, responseOf } from "./measure.ts";

const ROUNDS = 11;
const PER_ROUND = 2000;
// Another build can be measured the same way (an older commit's, for a before/after):
// BENCH_FILTER_WASM and BENCH_PASSTHROUGH_WASM name its two modules.
const FILTER_WASM = process.env.BENCH_FILTER_WASM ?? "build/tokenlimit.wasm";
const PASSTHROUGH_WASM = process.env.BENCH_PASSTHROUGH_WASM ?? "build/passthrough.wasm";
const FLOOR_WASM = "build/hostcall_floor.wasm";

export const DAY_MS = 86_400_000;
export const START = Date.UTC(2026, 10, 29, 9, 0, 0);
export const EXAMPLE_PLUGIN_CONFIG = JSON.stringify(EXAMPLE_POLICY);
const OPEN_STREAMS = 16384;


const RESPONSE_1KB = responseOf(1024);

/** The measured exchanges, by name. */
export function scenarios(): Record<string, Scenario> {
  const alice = chatHeaders("alice", ["free"]);
  const { authorization: _, ...anonymous } = alice;
  return {
    full: { requestHeaders: alice, requestBody: CHAT_REQUEST, responseHeaders: JSON_RESPONSE_HEADERS, responseBody: RESPONSE_1KB },
    unmatched: {
      requestHeaders: { ...chatHeaders("alice", ["free"], "/v1/models"), ":method": "GET" },
      responseHeaders: JSON_RESPONSE_HEADERS, responseBody: RESPONSE_1KB,
    },
    noidentity: { requestHeaders: anonymous, requestBody: CHAT_REQUEST, responseHeaders: JSON_RESPONSE_HEADERS, responseBody: RESPONSE_1KB },
  };
}

function host(wasm: string, pluginConfig = EXAMPLE_PLUGIN_CONFIG): Promise<LeanHost> {
  return LeanHost.create(wasm, { pluginConfig, now: START });
}

/** Microseconds per request of `n` exchanges; a new day every 150 so alice keeps budget. */
function batch(h: LeanHost, s: PreparedScenario, n: number): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    if (i % 150 === 0) h.nowMs += DAY_MS;
    const status = h.exchange(s);
    if (status !== 200) throw new Error(`request-cost: got ${status}`);
  }
  return ((performance.now() - t) * 1000) / n;
}

export async function requestCost(): Promise<string[]> {
  const filter = await host(FILTER_WASM);
  const pass = await host(PASSTHROUGH_WASM);
  const floor = await host(FLOOR_WASM);
  const floorUnmatched = await host(FLOOR_WASM, "unmatched");
  const names = ["full", "unmatched", "noidentity"];
  const all = scenarios();
  const prepared = names.map((n) => new PreparedScenario(all[n]));
  const ours: number[][] = names.map(() => []);
  const base: number[][] = names.map(() => []);
  // The floors: the full and unmatched scenarios' hostcalls alone, each with the pass-through beside it.
  const floorUs: number[][] = [[], []];
  const floorBase: number[][] = [[], []];
  const floors = [floor, floorUnmatched];
  // Warm both modules up to the optimising tier before measuring.
  for (const s of prepared) {
    batch(filter, s, PER_ROUND);
    batch(pass, s, PER_ROUND);
  }
  for (let f = 0; f < floors.length; f++) batch(floors[f], prepared[f], PER_ROUND);
  const admittedBefore = filter.metric("tokenlimit.requests_admitted") ?? 0;
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < prepared.length; i++) {
      // Alternate which goes first so neither always runs on a warmer (or hotter) machine.
      if (r % 2 === 0) {
        ours[i].push(batch(filter, prepared[i], PER_ROUND));
        base[i].push(batch(pass, prepared[i], PER_ROUND));
      } else {
        base[i].push(batch(pass, prepared[i], PER_ROUND));
        ours[i].push(batch(filter, prepared[i], PER_ROUND));
      }
    }
    for (let f = 0; f < floors.length; f++) {
      floorUs[f].push(batch(floors[f], prepared[f], PER_ROUND));
      floorBase[f].push(batch(pass, prepared[f], PER_ROUND));
    }
  }
  // Only the full scenario is limited: the others must not have been admitted or charged.
  const admitted = (filter.metric("tokenlimit.requests_admitted") ?? 0) - admittedBefore;
  if (admitted !== ROUNDS * PER_ROUND) throw new Error(`request-cost: ${admitted} requests admitted, expected ${ROUNDS * PER_ROUND} (the full scenario only)`);
  const lines: string[] = [];
  const passUs = median(base.flat());
  for (let i = 0; i < names.length; i++) {
    lines.push(`bench request-cost-${names[i]}: ${(median(ours[i]) / median(base[i])).toFixed(2)}x pass-through`);
  }
  lines.push(`bench request-cost-hostcall-floor: ${(median(floorUs[0]) / median(floorBase[0])).toFixed(2)}x pass-through (the full path's hostcalls alone)`);
  lines.push(`bench request-cost-hostcall-floor-unmatched: ${(median(floorUs[1]) / median(floorBase[1])).toFixed(2)}x pass-through (the unmatched path's hostcall alone)`);
  for (let i = 0; i < names.length; i++) lines.push(`bench request-cost-${names[i]}-us: ${median(ours[i]).toFixed(2)} us per request`);
  lines.push(`bench request-cost-hostcall-floor-us: ${median(floorUs[0]).toFixed(2)} us per request`);
  lines.push(`bench request-cost-hostcall-floor-unmatched-us: ${median(floorUs[1]).toFixed(2)} us per request`);
  lines.push(`bench request-cost-pass-through-us: ${passUs.toFixed(2)} us per request`);
  return lines;
}

async function memory(): Promise<string[]> {
  const h = await host(FILTER_WASM);
  const s = new PreparedScenario(scenarios().full);
  h.exchange(s);
  const perVm = h.memoryBytes();
  // Streams open side by side, each admitted and waiting for its response.
  const before = h.memoryBytes();
  const open = [];
  for (let i = 0; i < OPEN_STREAMS; i++) open.push(h.open(s));
  const during = h.memoryBytes();
  for (const stream of open) h.finish(stream);
  return [
    `bench memory-per-vm: ${perVm} bytes`,
    `bench memory-per-stream: ${Math.round((during - before) / OPEN_STREAMS)} bytes`,
  ];
}

export async function run(): Promise<string[]> {
  return [...(await requestCost()), ...(await memory())];
}
