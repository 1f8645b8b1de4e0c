// The whole test run: build, the trap check, the AssemblyScript unit tests (as-pect) and
// the Node test suites (host-test integration, CEL conformance, ...). Ends with one line
// "N passed, N failed" adding up both runners, and exits non-zero on any failure.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ANSI = /\x1b\[[0-9;]*m/g;
let passed = 0;
let failed = 0;

function run(cmd, args, { capture = false } = {}) {
  const r = spawnSync(cmd, args, { stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit", encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
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

// 3. as-pect unit tests. Its summary line reads "[Tests]: P / T".
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

// 4. Node test suites, reported as TAP so the counts can be read.
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
if (nodeFiles.length > 0) {
  const nt = run(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", "--test-reporter-destination=stdout",
    "--test-reporter=tap", "--test-reporter-destination=build/node-tests.tap", ...nodeFiles]);
  let tap = "";
  try { tap = readFileSync("build/node-tests.tap", "utf8"); } catch {}
  const p = /^# pass (\d+)$/m.exec(tap);
  const f = /^# fail (\d+)$/m.exec(tap);
  const c = /^# cancelled (\d+)$/m.exec(tap);
  if (p) passed += Number(p[1]);
  if (f) failed += Number(f[1]);
  if (c) failed += Number(c[1]);
  if (!p || (nt.status !== 0 && !(f && Number(f[1]) > 0))) {
    failed++;
    console.error("FAILED: node test run" + (p ? ` (exit ${nt.status})` : " (no summary)"));
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
