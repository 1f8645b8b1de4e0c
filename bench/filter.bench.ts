// The token limiter in the simulated host (no call tracing), measured side by side in one
// run: interleaved rounds, medians.
//
//   request-overhead       cost of one whole request (request headers and body, the example
//                          policy's CEL, JWT identity, admission in shared data, a 1 KB JSON
//                          response read for its usage, charge) by build/tokenlimit.wasm for a
//                          free user with budget, as a ratio to build/passthrough.wasm (the same
//                          SDK glue, doing nothing) serving the same exchange. Both pay the
//                          host's own work (header maps, buffer copies, callbacks).
//   memory-10MB-vs-1KB     Wasm memory after serving a 10 MB chat completion (usage at the
//                          end, 64 KB chunks) vs after a 1 KB one, each on a fresh host. Memory
//                          never shrinks, so the final size is the peak (1.00x: flat).
import { Host } from "../host-test/index.ts";
import { EXAMPLE_POLICY, chatHeaders, CHAT_REQUEST, JSON_RESPONSE_HEADERS } from "../fixtures/llm.ts";
import { median, responseOf } from "./measure.ts";

const ROUNDS = 9;
const PER_ROUND = 600;
const DAY_MS = 86_400_000;
const START = Date.UTC(2026, 10, 29, 9, 0, 0);


function host(wasm: string): Promise<Host> {
  return Host.create({ wasm, pluginConfig: EXAMPLE_POLICY, now: START, trace: false });
}

async function requestOverhead(): Promise<string> {
  const filter = await host("build/tokenlimit.wasm");
  const pass = await host("build/passthrough.wasm");
  const headers = chatHeaders("alice", ["free"]);
  const body = responseOf(1024);
  let servedByFilter = 0;
  const batch = (h: Host): number => {
    const t = performance.now();
    for (let i = 0; i < PER_ROUND; i++) {
      // A new day every 150 requests: alice (free, 20,000 a day at 100 each) always has budget.
      if (i % 150 === 0) h.clock.advance(DAY_MS);
      const r = h.exchange({ request: { headers, body: CHAT_REQUEST }, response: { headers: JSON_RESPONSE_HEADERS, body } });
      if (r.status !== 200) throw new Error(`request-overhead: got ${r.status}`);
    }
    if (h === filter) servedByFilter += PER_ROUND;
    return performance.now() - t;
  };
  batch(filter);
  batch(pass);
  const ours: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which goes first so neither always runs on a warmer (or hotter) machine.
    if (r % 2 === 0) {
      ours.push(batch(filter));
      base.push(batch(pass));
    } else {
      base.push(batch(pass));
      ours.push(batch(filter));
    }
  }
  if ((filter.metric("tokenlimit.requests_admitted") ?? 0) !== servedByFilter) throw new Error("request-overhead: the filter did not admit every request");
  return `bench request-overhead: ${(median(ours) / median(base)).toFixed(2)}x pass-through`;
}

async function memoryAfter(size: number): Promise<number> {
  const h = await host("build/tokenlimit.wasm");
  const body = responseOf(size);
  const r = h.exchange({
    request: { headers: chatHeaders("bob", ["gold"]), body: CHAT_REQUEST },
    response: { headers: JSON_RESPONSE_HEADERS, body, chunkSize: 64 * 1024 },
  });
  if (r.status !== 200 || h.metric("tokenlimit.tokens_charged") !== 100) throw new Error(`memory: ${size} bytes not charged 100 tokens`);
  return h.memoryBytes();
}

async function memory(): Promise<string> {
  const small = await memoryAfter(1024);
  const big = await memoryAfter(10 << 20);
  return `bench memory-10MB-vs-1KB: ${(big / small).toFixed(2)}x`;
}

export async function run(): Promise<string[]> {
  return [await requestOverhead(), await memory()];
}
