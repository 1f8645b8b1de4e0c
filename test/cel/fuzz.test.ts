// Fuzzes the CEL lexer, parser, planner and evaluator inside the Wasm: every input must
// end in a compile error or a value (possibly an Error value), never a trap.
//   node scripts/build.mjs --only testing/cel && node --import tsx --test test/cel/fuzz.test.ts
// CEL_FUZZ_CASES=N runs N cases (default 100000); CEL_FUZZ_SEED=S changes the seed.
// Prints `cel fuzz: N cases, T traps`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { CelModule, isTrap } from "./module.ts";

const CASES = Number(process.env.CEL_FUZZ_CASES ?? 100000);
const SEED = Number(process.env.CEL_FUZZ_SEED ?? 20240601);

// xorshift32: deterministic across runs
let state = SEED >>> 0 || 1;
function rnd(): number {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state / 4294967296;
}
const int = (n: number): number => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];

// Attributes the generated expressions can reach (wire-encoded map name -> value).
function s(t: string): string { return `s${t.length}:${t}`; }
const BINDINGS = "m6:" +
  s("request.path") + s("/v1/chat/completions") +
  s("request.headers") + "m3:" + s("x-tier") + s("gold") + s("content-type") + s("application/json") + s("x-n") + s("42") +
  s("auth.identity") + "m3:" + s("userid") + s("alice") + s("groups") + "l3:" + s("free") + s("paid") + s("a,b") +
    s("metadata") + "m1:" + s("annotations") + "m1:" + s("kuadrant.io/groups") + s("free,paid,gold") +
  s("x") + "i123;" +
  s("a") + "m2:" + s("b") + "m1:" + s("c") + s("yeah") + s("n") + "l4:i1;i2;i3;d3ff8000000000000" +
  s("big") + "l3:" + s("🐱😀") + "b3:00ff41" + "u18446744073709551615;";

const SEEDS = [
  'request.path == "/v1/chat/completions"',
  'auth.identity.metadata.annotations["kuadrant.io/groups"].split(",").exists(g, g == "free")',
  "auth.identity.userid",
  "request.auth.identity.groups.all(g, g.size() > 2)",
  "has(request.headers.x) || request.headers['x-tier'] in ['gold', 'silver']",
  "x + 1 > 100 ? 'big' : 'small'",
  "[1, 2u, 3.0, 'four', b'five', null, true, [6], {7: 8}].map(v, type(v))",
  "{'a': 1, 'b': [1, 2, {'c': 'd'}]}.b[2].c.startsWith('d')",
  "a.b.c.matches('^y(e|a)+h$') && 'x'.repeatless(1) == 2",
  "'%s %d %.3f %e %x %b'.format(['s', 1, 2.5, 3.25, 255, 5])",
  "strings.quote('\\n\\t\"') + 'tacocat'.substring(1, 4).upperAscii().reverse()",
  "int('12') * uint(3) / double('4.5') % 0",
  "9223372036854775807 + 1 || -9223372036854775808 - 1 > 0",
  "a.n.filter(x, x > 1).exists_one(y, y == 2) && a.n.transformList(i, v, v * i).size() == 4",
  "{'k': 'v'}.transformMap(k, v, k + v)['k'] == 'kv'",
  "big[0].charAt(1) + big[0].indexOf('😀').string() + string(big[1])",
  "r'\\d+' + '''tri\nple''' + \"\\u270c\\U0001f431\\x41\\101\"",
  "request.headers['x-n'].matches('^[0-9]{1,3}$') && int(request.headers['x-n']) >= 42",
  "[[1, 2], [3]].all(l, l.exists(e, e % 2 == 0 || e == 3))",
  "dyn(x) == 123.0 && 123u == x && !(x < 122)",
  "size(request.path.split('/')) == 4 && request.path.split('/', 2)[1] == 'v1'",
  "'a,b,,c'.split(',').join('-').replace('-', '+', 1).lastIndexOf('+')",
  "bytes('abc') + b'\\xff' < b'abd' && bool('true') && double('-Inf') < 0.0",
];

const FRAGMENTS = [
  "(", ")", "[", "]", "{", "}", ".", ",", ":", "?", "+", "-", "*", "/", "%", "!", "==", "!=", "<", "<=", ">", ">=",
  "&&", "||", " in ", "true", "false", "null", "x", "a", "request", "auth", "identity", "path", "headers",
  "0", "1", "-1", "1u", "0x7fffffffffffffff", "9223372036854775808", "18446744073709551616u", "1.5", "1e308", "1e-320",
  "'s'", "\"d\"", "r'r'", "b'b'", "'''t'''", "'\\u0000'", "'\\xff'", "'\\", "`q`", "//c\n",
  ".map(v, v)", ".filter(v, v)", ".all(v, v)", ".exists(v, v)", ".exists_one(v, v)", ".size()", ".split(',')",
  ".matches('a*')", ".matches('(a|b)*c{2,3}[^x]\\\\d$')", ".matches('(')", ".matches('\\\\1')", ".format([1])",
  "size(", "int(", "uint(", "double(", "string(", "bytes(", "bool(", "type(", "dyn(", "has(", "🐱", "é", "\t", "\n",
];

function literal(): string {
  switch (int(10)) {
    case 0: return String(int(1000) - 500);
    case 1: return `${int(100)}u`;
    case 2: return (rnd() * 1000 - 500).toFixed(int(4));
    case 3: return JSON.stringify(pick(["", "a", "free", "a,b,c", "🐱x", "\n", "%d %s"]));
    case 4: return pick(["b'abc'", "b'\\xff\\x00'", "b''"]);
    case 5: return pick(["true", "false", "null"]);
    case 6: return pick(["9223372036854775807", "-9223372036854775808", "18446744073709551615u", "1e308", "-0.0"]);
    case 7: return pick(["int", "uint", "string", "list", "map", "type", "null_type", "bool", "double", "bytes"]);
    default: return pick(["x", "a", "a.b", "a.b.c", "a.n", "request.path", "request.headers", "auth.identity",
      "auth.identity.userid", "request.auth.identity.groups", "missing", "a.missing", "big", ".x"]);
  }
}

const VARS = ["v", "w", "k"];

// Random expression from the grammar (mostly well-formed, often ill-typed).
function gen(depth: number, vars: string[]): string {
  if (depth <= 0 || rnd() < 0.2) return vars.length && rnd() < 0.4 ? pick(vars) : literal();
  const d = depth - 1;
  switch (int(16)) {
    case 0: return `${gen(d, vars)} ${pick(["+", "-", "*", "/", "%"])} ${gen(d, vars)}`;
    case 1: return `${gen(d, vars)} ${pick(["==", "!=", "<", "<=", ">", ">=", "in"])} ${gen(d, vars)}`;
    case 2: return `${gen(d, vars)} ${pick(["&&", "||"])} ${gen(d, vars)}`;
    case 3: return `${gen(d, vars)} ? ${gen(d, vars)} : ${gen(d, vars)}`;
    case 4: return `${pick(["!", "-", "!!", "--"])}${gen(d, vars)}`;
    case 5: return `(${gen(d, vars)})`;
    case 6: return `[${Array.from({ length: int(4) }, () => gen(d, vars)).join(", ")}]`;
    case 7: return `{${Array.from({ length: int(3) }, () => `${gen(d, vars)}: ${gen(d, vars)}`).join(", ")}}`;
    case 8: return `${gen(d, vars)}[${gen(d, vars)}]`;
    case 9: return `${gen(d, vars)}.${pick(["b", "c", "path", "userid", "`x-n`", "size", "as"])}`;
    case 10: {
      const f = pick(["size", "int", "uint", "double", "string", "bytes", "bool", "type", "dyn", "matches", "has"]);
      return `${f}(${Array.from({ length: 1 + int(2) }, () => gen(d, vars)).join(", ")})`;
    }
    case 11: {
      const f = pick(["contains", "startsWith", "endsWith", "matches", "split", "join", "lowerAscii", "upperAscii",
        "trim", "replace", "substring", "charAt", "indexOf", "lastIndexOf", "reverse", "format", "size"]);
      return `${gen(d, vars)}.${f}(${Array.from({ length: int(4) }, () => gen(d, vars)).join(", ")})`;
    }
    case 12: case 13: {
      const v = pick(VARS);
      const m = pick(["all", "exists", "exists_one", "map", "filter"]);
      const inner = [...vars, v];
      const extra = m === "map" && rnd() < 0.3 ? `, ${gen(d, inner)}` : "";
      return `${gen(d, vars)}.${m}(${v}, ${gen(d, inner)}${extra})`;
    }
    case 14: {
      const m = pick(["all", "exists", "existsOne", "transformList", "transformMap"]);
      const inner = [...vars, "i", "e"];
      return `${gen(d, vars)}.${m}(i, e, ${gen(d, inner)})`;
    }
    default: return `'${pick(["a", "%s", "x,y", "🐱", ""])}'.${pick(["format([" + gen(d, vars) + "])", "split(" + gen(d, vars) + ")", "matches(" + gen(d, vars) + ")"])}`;
  }
}

function mutate(src: string): string {
  let s = src;
  const n = 1 + int(4);
  for (let k = 0; k < n; k++) {
    const i = int(s.length + 1);
    switch (int(6)) {
      case 0: s = s.slice(0, i) + s.slice(i + 1 + int(3)); break; // delete
      case 1: s = s.slice(0, i) + pick(FRAGMENTS) + s.slice(i); break; // insert
      case 2: s = s.slice(0, i) + String.fromCharCode(int(128)) + s.slice(i + 1); break; // replace
      case 3: { const j = int(s.length + 1); s = s.slice(0, i) + s.slice(Math.min(i, j), Math.max(i, j)) + s.slice(i); break; } // duplicate
      case 4: s = s.slice(0, i) + String.fromCodePoint(int(0x11000)) + s.slice(i); break; // unicode
      default: { const j = int(s.length + 1); s = s.slice(Math.min(i, j)) + s.slice(0, Math.min(i, j)); break; } // rotate
    }
  }
  return s;
}

function nesting(): string {
  const k = pick([10, 47, 48, 49, 64, 100, 1000, 5000]);
  switch (int(8)) {
    case 0: return "(".repeat(k) + "1" + ")".repeat(k);
    case 1: return "[".repeat(k) + "1" + "]".repeat(k);
    case 2: return "!".repeat(k) + "true";
    case 3: return "-".repeat(k) + "1";
    case 4: return "1" + " + 1".repeat(k);
    case 5: return "a" + ".b".repeat(k);
    case 6: return "x" + "[0]".repeat(k);
    default: return "true ? ".repeat(k) + "1" + " : 2".repeat(k);
  }
}

// Expressions at and around the depth limit built from the most stack-hungry shapes
// (comprehensions, calls, conditionals), so the deepest accepted evaluation is exercised.
const WRAPPERS: ((e: string) => string)[] = [
  (e) => `(${e})`, (e) => `[${e}]`, (e) => `size(${e})`, (e) => `[${e}].map(v, v)`,
  (e) => `{'k': ${e}}`, (e) => `!${e}`, (e) => `-${e}`, (e) => `${e} + 1`, (e) => `true ? 1 : ${e}`,
  (e) => `[1].exists(v, ${e} == v)`, (e) => `string(${e})`, (e) => `[${e}][0]`, (e) => `a.n.all(w, ${e})`,
  (e) => `${e}.matches('((((a|b)*c)+d)?)')`, (e) => `'%s'.format([${e}])`, (e) => `[${e}] == [1]`,
];
function deep(): string {
  let e = pick(["x", "a", "'s'", "1", "[[[[1]]]]", "a.n"]);
  const k = 15 + int(40);
  for (let i = 0; i < k; i++) e = pick(WRAPPERS)(e);
  return e;
}

function randomText(): string {
  const n = int(40);
  let s = "";
  for (let i = 0; i < n; i++) s += rnd() < 0.7 ? String.fromCharCode(32 + int(95)) : String.fromCodePoint(int(0x2000));
  return s;
}

function nextCase(i: number): string {
  const r = i % 20;
  if (r < 8) return gen(2 + int(5), []);
  if (r < 16) return mutate(rnd() < 0.5 ? pick(SEEDS) : gen(3, []));
  if (r < 18) return randomText();
  if (r < 19) return rnd() < 0.5 ? nesting() : deep();
  return pick(SEEDS);
}

test(`CEL never traps on ${CASES} random and mutated expressions`, () => {
  const cel = new CelModule();
  let traps = 0;
  const examples: string[] = [];
  const counts = { compileErrors: 0, values: 0, errorValues: 0 };
  for (let i = 0; i < CASES; i++) {
    const expr = nextCase(i);
    try {
      const r = cel.eval(expr, BINDINGS);
      if (r.startsWith("C")) counts.compileErrors++;
      else if (r.startsWith("Ve")) counts.errorValues++;
      else if (r.startsWith("V")) counts.values++;
      else throw new Error("unexpected result " + r.slice(0, 40));
    } catch (e) {
      if (!isTrap(e)) throw e;
      traps++;
      if (examples.length < 10) examples.push(`${JSON.stringify(expr).slice(0, 300)}: ${String(e).slice(0, 200)}`);
      cel.reset();
    }
  }
  for (const e of examples) console.log("  TRAP " + e);
  console.log(`  ${counts.compileErrors} compile errors, ${counts.values} values, ${counts.errorValues} error values`);
  console.log(`cel fuzz: ${CASES} cases, ${traps} traps`);
  assert.equal(traps, 0);
});

test("each nesting shape at the depth limit compiles or is rejected, and evaluates without trapping", () => {
  const cel = new CelModule();
  for (const wrap of WRAPPERS) {
    // the deepest accepted nesting of this shape
    let e = "x";
    let deepest = "";
    for (let k = 0; k < 200; k++) {
      e = wrap(e);
      if (e.length > 16000) break;
      const r = cel.compile(e);
      if (r === "") deepest = e;
      else { assert.match(r, /nested too deeply|too long|too large/, `${e.slice(0, 60)}: ${r}`); break; }
    }
    assert.notEqual(deepest, "", "no accepted depth for " + wrap("x"));
    assert.match(cel.eval(deepest, BINDINGS), /^V/);
  }
});
