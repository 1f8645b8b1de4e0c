// The whole test run: build, the trap check, the type check (tsc, strict), the
// AssemblyScript unit tests (as-pect) and the Node test suites (host-test integration, CEL conformance, ...). Ends with one line
// "N passed, N failed" adding up both runners, and exits non-zero on any failure.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, readFileSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

// Run from the repository root whatever the caller's directory.
process.chdir(join(dirname(fileURLToPath(import.meta.url)), ".."));

const ANSI = /\x1b\[[0-9;]*m/g;
let passed = 0;
let failed = 0;

// The whole suite always: a subset selector left in the shell must not shrink it.
const env = { ...process.env };
delete env.ASPECT_ENTRIES;

function run(cmd, args, { capture = false } = {}) {
  const r = spawnSync(cmd, args, { env, stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit", encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (capture) {
    process.stdout.write(r.stdout ?? "");
    process.stderr.write(r.stderr ?? "");
  }
  return r;
}

function step(name, ok) {
  if (ok) passed++; else { failed++; console.error(`FAILED: ${name}`); }
}

// 1. Build every module; nothing else can run without it.
const build = run(process.execPath, ["scripts/build.mjs"]);
step("build", build.status === 0);
if (build.status !== 0) {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(1);
}

// 2. No trap paths in filter code.
step("check-traps", run(process.execPath, ["scripts/check-traps.mjs"]).status === 0);

// 3. The TypeScript type-checks (strict; after the build, whose .d.ts files tests import).
step("tsc", run(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json", "--noEmit"]).status === 0);

// 4. as-pect unit tests. Its summary line reads "[Tests]: P / T".
const asp = run(process.execPath, ["node_modules/@as-pect/cli/bin/asp", "-n", "--summary"], { capture: true });
const aspOut = (asp.stdout ?? "").replace(ANSI, "");
const m = /\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/.exec(aspOut);
if (m) {
  passed += Number(m[1]);
  failed += Number(m[2]) - Number(m[1]);
}
if (!m || asp.status !== 0) {
  if (!m || Number(m[1]) === Number(m[2])) failed++;
  console.error("FAILED: as-pect run" + (m ? "" : " (no summary line)"));
}

// 5. Node test suites, reported as TAP so the counts can be read.
function testFiles(dir, out = []) {
  let names = [];
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) testFiles(p, out);
    else if (p.endsWith(".test.ts")) out.push(p);
  }
  return out;
}
const nodeFiles = testFiles("test").sort();
if (nodeFiles.length === 0) step("node test files found", false);
else {
  const tapFile = "build/node-tests.tap";
  rmSync(tapFile, { force: true });
  const nt = run(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", "--test-reporter-destination=stdout",
    "--test-reporter=tap", `--test-reporter-destination=${tapFile}`, ...nodeFiles]);
  let tap = "";
  try { tap = readFileSync(tapFile, "utf8"); } catch {}
  // The runner's own summary is the last of each line (tests may print "# ..." too).
  const last = (name) => {
    const all = [...tap.matchAll(new RegExp(`^# ${name} (\\d+)$`, "gm"))];
    return all.length ? Number(all[all.length - 1][1]) : null;
  };
  const p = last("pass"), f = last("fail"), c = last("cancelled"), sk = last("skipped"), td = last("todo");
  if (p !== null) passed += p;
  if (f) failed += f;
  if (c) failed += c;
  // A skipped or todo test is a test that did not check anything: not a pass.
  if (sk) { failed += sk; console.error(`FAILED: ${sk} node test(s) skipped`); }
  if (td) { failed += td; console.error(`FAILED: ${td} node test(s) marked todo`); }
  if (p === null || (nt.status !== 0 && !f && !c)) {
    failed++;
    console.error("FAILED: node test run" + (p !== null ? ` (exit ${nt.status})` : " (no summary)"));
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
