// host-test's module structure: its files import each other without cycles, types.ts is a
// leaf, and the rest of the project reaches host-test only through its API (index.ts);
// internal.ts is for host-test's own tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const HOST_TEST = join(ROOT, "host-test");

/** The module specifiers a source file imports or re-exports (static and dynamic). */
function specifiers(file: string): string[] {
  const src = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const m of src.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm)) out.push(m[1]);
  for (const m of src.matchAll(/^\s*import\s*["']([^"']+)["']/gm)) out.push(m[1]);
  for (const m of src.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1]);
  return out;
}

/** Relative imports of `file`, resolved to absolute paths. */
function localImports(file: string): string[] {
  return specifiers(file).filter((s) => s.startsWith(".")).map((s) => resolve(dirname(file), s));
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === "node_modules" || name === "build") continue;
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** host-test's import graph: file name -> the host-test files it imports. */
function hostGraph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const name of readdirSync(HOST_TEST).filter((n) => n.endsWith(".ts"))) {
    const deps = localImports(join(HOST_TEST, name)).filter((p) => dirname(p) === HOST_TEST).map((p) => relative(HOST_TEST, p));
    g.set(name, [...new Set(deps)]);
  }
  return g;
}

/** A cycle in `g` as a path of names (first = last), or null when there is none. */
function findCycle(g: Map<string, string[]>): string[] | null {
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === "done") return null;
    if (state.get(n) === "visiting") return [...path.slice(path.indexOf(n)), n];
    state.set(n, "visiting");
    path.push(n);
    for (const d of g.get(n) ?? []) {
      const c = visit(d);
      if (c) return c;
    }
    path.pop();
    state.set(n, "done");
    return null;
  };
  for (const n of g.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return null;
}

test("the cycle finder finds a cycle and accepts a graph without one", () => {
  assert.deepEqual(findCycle(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]])), ["a", "b", "c", "a"]);
  assert.equal(findCycle(new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]])), null);
});

test("host-test's files import each other without a cycle", () => {
  const g = hostGraph();
  assert.ok(g.size > 20 && g.has("host.ts") && g.has("vm.ts"), "the graph was read");
  assert.equal(findCycle(g), null);
});

test("host-test/types.ts imports nothing from host-test", () => {
  assert.deepEqual(hostGraph().get("types.ts"), []);
});

test("no host-test file imports the API entry points (index.ts, internal.ts)", () => {
  const offenders = [...hostGraph()].filter(([, deps]) => deps.includes("index.ts") || deps.includes("internal.ts")).map(([n]) => n);
  assert.deepEqual(offenders, []);
});

test("outside host-test, files import host-test only through index.ts, and only host-test's own tests use internal.ts", () => {
  const files = ["src", "bench", "test", "fixtures", "scripts"].flatMap((d) => sourceFiles(join(ROOT, d)));
  assert.ok(files.some((f) => f.endsWith(join("test", "filter", "helpers.ts"))), "the project's sources were read");
  const allowedInternal = join(ROOT, "test", "host") + sep;
  const bad: string[] = [];
  for (const file of files) {
    for (const target of localImports(file)) {
      if (dirname(target) !== HOST_TEST) continue;
      const name = relative(HOST_TEST, target);
      if (name === "index.ts") continue;
      if (name === "internal.ts" && file.startsWith(allowedInternal)) continue;
      bad.push(`${relative(ROOT, file)} imports host-test/${name}`);
    }
  }
  assert.deepEqual(bad, []);
});
