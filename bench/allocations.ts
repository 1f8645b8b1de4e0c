// Managed allocations per request, by the function that asked for them: runs one scenario
// of request_cost.bench.ts in the lean host with a copy of the profiling build whose
// allocator entries (`__new`, `__renew`) first call an import that counts them. Needs the
// build with function names: `node scripts/build.mjs --only profile`.
//
//   node --import tsx bench/allocations.ts [full|unmatched|noidentity] [wasm]
//
// Prints one line per calling function (allocations per request) and the total.
import { readFileSync } from "node:fs";
import binaryen from "binaryen";
import { LeanHost, PreparedScenario } from "./lean_host.ts";
import { scenarios, EXAMPLE_PLUGIN_CONFIG, START, DAY_MS } from "./request_cost.bench.ts";

const ALLOCATORS = ["~lib/rt/tcms/__new", "~lib/rt/tcms/__renew"];
const WARM_UP = 300;
const COUNTED = 100;

/** `wasm` with a call to the import `count.allocation` at the entry of each allocator. */
function instrumented(wasm: string): Uint8Array {
  binaryen.setDebugInfo(true);
  const mod = binaryen.readBinary(readFileSync(wasm));
  mod.addFunctionImport("count_allocation", "count", "allocation", binaryen.none, binaryen.none);
  for (const name of ALLOCATORS) {
    const fn = mod.getFunction(name);
    if (fn === 0) throw new Error(`${wasm} has no function ${name}: build it with names (node scripts/build.mjs --only profile)`);
    const info = binaryen.getFunctionInfo(fn);
    mod.removeFunction(name);
    const body = mod.block(null, [mod.call("count_allocation", [], binaryen.none), info.body], info.results);
    mod.addFunction(name, info.params, info.results, info.vars, body);
  }
  const out = mod.emitBinary();
  mod.dispose();
  return out;
}

/** The Wasm function that called the allocator, from a stack trace taken in the import. */
function callerOf(stack: string): string {
  const frames = stack.split("\n").slice(2).map((l) => l.trim().replace(/^at /, "").replace(/ \(.*$/, ""));
  // Skip the allocator and the standard library's wrappers around it.
  const own = frames.find((f) => !f.startsWith("~lib/") && !f.startsWith("wasm-function"));
  return own ?? frames[1] ?? "?";
}

async function main(): Promise<void> {
  const which = process.argv[2] ?? "full";
  const wasm = process.argv[3] ?? "build/tokenlimit.prof.wasm";
  const scenario = scenarios()[which];
  if (!scenario) throw new Error(`no scenario ${which}`);
  let counting = false;
  const byCaller = new Map<string, number>();
  Error.stackTraceLimit = 16;
  const count = () => {
    if (!counting) return;
    const caller = callerOf(new Error().stack ?? "");
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + 1);
  };
  const bytes = instrumented(wasm);
  const path = `${process.env.TMPDIR ?? "/tmp"}/tokenlimit.allocations.wasm`;
  (await import("node:fs")).writeFileSync(path, bytes);
  const host = await LeanHost.create(path, { pluginConfig: EXAMPLE_PLUGIN_CONFIG, now: START, extraImports: { count: { allocation: count } } });
  const s = new PreparedScenario(scenario);
  for (let i = 0; i < WARM_UP; i++) {
    if (i % 150 === 0) host.nowMs += DAY_MS;
    host.exchange(s);
  }
  // A new day, so that every counted request is admitted (a refusal allocates otherwise).
  host.nowMs += DAY_MS;
  counting = true;
  for (let i = 0; i < COUNTED; i++) {
    const status = host.exchange(s);
    if (status !== 200) throw new Error(`allocations: got ${status}`);
  }
  counting = false;
  let total = 0;
  for (const [caller, n] of [...byCaller].sort((a, b) => b[1] - a[1])) {
    total += n;
    console.log(`${(n / COUNTED).toFixed(2).padStart(6)}  ${caller}`);
  }
  console.log(`${which}: ${(total / COUNTED).toFixed(2)} managed allocations per request (${wasm})`);
}

await main();
