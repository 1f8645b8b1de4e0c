// Builds every Wasm module of the project:
//   build/tokenlimit.wasm (release), build/tokenlimit.debug.wasm (+ source map),
//   build/passthrough.wasm (benchmark baseline),
//   build/hostcall_floor.wasm (the full path's hostcalls and nothing else, for the benchmarks),
//   build/tokenlimit.prof.wasm (release with names, for bench/profile.ts; only with --only profile),
//   build/testing/<name>.js|.wasm for each assembly/**/testing/<name>.entry.ts
//     (pure modules exposed to Node tests with ESM bindings),
//   build/modules/<name>.wasm for each test/modules/<name>.ts (host-test fixtures).
// Usage: node scripts/build.mjs [--only <substring>]
import asc from "assemblyscript/asc";
import { readdirSync, statSync, mkdirSync } from "node:fs";
import { join, basename } from "node:path";

const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : null;

function walk(dir, pred, out = []) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

// Jobs other than the filter's own targets must not inherit asconfig.json's entries.
const bare = ["--config", "scripts/asconfig.bare.json"];
const filterFlags = [...bare, "--lib", "compat", "--use", "abort=abort_proc_exit", "--exportStart", "_initialize", "--runtime", "minimal"];

const jobs = [
  ["release", ["assembly/index.ts", "--target", "release"]],
  ["debug", ["assembly/index.ts", "--target", "debug"]],
  ["passthrough", ["assembly/passthrough.ts", ...filterFlags, "-O3", "--noAssert", "--outFile", "build/passthrough.wasm"]],
  ["hostcall-floor", ["assembly/hostcall_floor.ts", ...filterFlags, "-O3", "--noAssert", "--outFile", "build/hostcall_floor.wasm"]],
];
// The release build with function names, for bench/profile.ts; built only when asked for.
const onDemand = [
  ["profile", ["assembly/index.ts", "--target", "release", "--debug", "--outFile", "build/tokenlimit.prof.wasm", "--textFile", "build/tokenlimit.prof.wat"]],
];
if (only) jobs.push(...onDemand);
for (const entry of walk("assembly", (p) => p.endsWith(".entry.ts") && p.includes("/testing/"))) {
  const name = basename(entry, ".entry.ts");
  jobs.push([`testing/${name}`, [entry, ...bare, "-O3", "--runtime", "incremental", "--bindings", "esm", "--exportRuntime",
    "--outFile", `build/testing/${name}.wasm`]]);
}
for (const mod of walk("test/modules", (p) => p.endsWith(".ts") && !p.endsWith(".d.ts"))) {
  const name = basename(mod, ".ts");
  jobs.push([`modules/${name}`, [mod, ...filterFlags, "-O1", "--outFile", `build/modules/${name}.wasm`]]);
}

mkdirSync("build/testing", { recursive: true });
mkdirSync("build/modules", { recursive: true });
let failed = 0;
for (const [name, args] of jobs) {
  if (only && !name.includes(only)) continue;
  const { error, stderr } = await asc.main(args, {});
  if (error) {
    failed++;
    console.error(`build ${name}: FAILED\n${stderr.toString()}`);
  } else {
    console.log(`build ${name}: ok`);
  }
}
process.exit(failed ? 1 : 0);
