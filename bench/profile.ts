// Where a request's time goes: runs one scenario of request_cost.bench.ts in the lean host
// under V8's sampling profiler and charges every sample to the step of the filter it was
// taken in, by the innermost frame of its stack that names a step. The module must carry
// function names: `node scripts/build.mjs --only profile` builds build/tokenlimit.prof.wasm
// (the release build with a name section).
//
//   node --import tsx bench/profile.ts [full|unmatched|noidentity] [wasm]
//
// Prints a table (step, us per request, share) for docs/performance.md. Shares are of the
// whole request as the host sees it; the us column is the share of the measured time.
import { Session } from "node:inspector/promises";
import { LeanHost, PreparedScenario } from "./lean_host.ts";
import { scenarios, EXAMPLE_PLUGIN_CONFIG, START, DAY_MS } from "./request_cost.bench.ts";

/** Steps in the order they are tried on each frame, innermost frame first. */
const STEPS: Array<[string, RegExp]> = [
  ["allocation and collection (runtime)", /^~lib\/rt\/|^assembly\/filter\/collector\//],
  ["hostcalls (host side, lean host)", /lean_host\.ts|^wasm-to-js:/],
  ["identity: JWT decode and enrichment", /jwt|base64url|identity|^assembly\/json\//],
  ["CEL evaluation (predicates, counters)", /^assembly\/cel\/|^assembly\/limits\/selection/],
  ["attributes (property and header reads)", /^assembly\/attributes\/|^assembly\/abi\/(headers|properties)/],
  ["admission and charge (shared data)", /^assembly\/counters\/|^assembly\/limits\/(local_limiter|keys|window|saturate|charge)/],
  ["request body inspection", /^assembly\/usage\/request/],
  ["response usage scan", /^assembly\/usage\//],
  ["rate-limit headers", /^assembly\/limits\/headers/],
  ["metrics", /^assembly\/abi\/metrics|^assembly\/filter\/metrics/],
  ["stream glue and dispatch", /^assembly\//],
];
const OTHER = "host driver and callbacks (pass-through share)";

interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; children?: number[] }

/**
 * The runtime or the host when the sample was taken inside them; otherwise the innermost
 * frame of our own code (standard-library frames are charged to their caller).
 */
function stepOf(stack: ProfileNode[]): string {
  const leaf = stack[0].callFrame.functionName || stack[0].callFrame.url;
  for (const [step, re] of STEPS.slice(0, 2)) if (re.test(leaf)) return step;
  for (const node of stack) {
    const name = node.callFrame.functionName || node.callFrame.url;
    if (name.startsWith("~lib/")) continue;
    for (const [step, re] of STEPS.slice(2)) if (re.test(name)) return step;
    if (!name.startsWith("assembly/")) break;
  }
  return leaf.startsWith("~lib/") ? "strings and arrays (std)" : OTHER;
}

async function main(): Promise<void> {
  const which = process.argv[2] ?? "full";
  const wasm = process.argv[3] ?? "build/tokenlimit.prof.wasm";
  const scenario = scenarios()[which];
  if (!scenario) throw new Error(`no scenario ${which}`);
  const host = await LeanHost.create(wasm, { pluginConfig: EXAMPLE_PLUGIN_CONFIG, now: START });
  const s = new PreparedScenario(scenario);
  const run = (n: number): number => {
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      if (i % 150 === 0) host.nowMs += DAY_MS;
      host.exchange(s);
    }
    return ((performance.now() - t) * 1000) / n;
  };
  run(20_000);
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 50 });
  await session.post("Profiler.start");
  const us = run(100_000);
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();

  const nodes = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes as ProfileNode[]) {
    nodes.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const perStep = new Map<string, number>();
  let total = 0;
  for (const id of profile.samples as number[]) {
    const stack: ProfileNode[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(nodes.get(cur)!);
    const name = stack[0].callFrame.functionName;
    if (name === "(idle)" || name === "(program)" || name === "(garbage collector)") continue;
    const step = stepOf(stack);
    perStep.set(step, (perStep.get(step) ?? 0) + 1);
    total++;
  }
  console.log(`${which}: ${us.toFixed(2)} us per request, ${total} samples (${wasm})`);
  console.log("| step | us | share |");
  console.log("| --- | ---: | ---: |");
  for (const [step, n] of [...perStep.entries()].sort((a, b) => b[1] - a[1])) {
    console.log(`| ${step} | ${((us * n) / total).toFixed(2)} | ${((100 * n) / total).toFixed(1)}% |`);
  }
}

await main();
