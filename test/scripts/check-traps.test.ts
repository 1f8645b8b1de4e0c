import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function check(files: Record<string, string>): { status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "traps-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const r = spawnSync(process.execPath, ["scripts/check-traps.mjs", dir], { encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

test("a throw in filter code fails the check and names the line", () => {
  const r = check({ "a.ts": "export function f(): void {\n  throw new Error(\"x\");\n}\n" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /a\.ts:2: throw in filter code/);
});

test("unreachable() and abort( are caught too", () => {
  const r = check({ "b.ts": "unreachable();\nabort(\"m\");\n" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /b\.ts:1: unreachable\(\)/);
  assert.match(r.stderr, /b\.ts:2: abort\(/);
});

test("comments, strings, tests and test-only entries are ignored", () => {
  const r = check({
    "c.ts": "// never throw here\nconst s = \"throw abort(\";\n/* unreachable() */\nabort_proc_exit(null, null, 0, 0);\n",
    "__tests__/d.spec.ts": "throw new Error();\n",
    "x/testing/e.entry.ts": "throw new Error();\n",
  });
  assert.equal(r.status, 0, r.stderr);
});
