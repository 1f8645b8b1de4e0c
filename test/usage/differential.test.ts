// The scanner against V8's JSON.parse on random documents: the same documents are valid,
// the same counts are read, and breaking a document makes both reject it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageModule } from "./module.ts";
import { rng } from "./bodies.ts";

const KEYS = ["id", "usage", "total_tokens", "choices", "message", "content", "a", "b", "usage ", "total", "x\u00e9", "😀"];
const SPECS = ["total=usage.total_tokens", "input=usage.prompt_tokens", "text=choices.*.message.content"];

type Gen = { text: string; total?: number };

function generator(seed: number) {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const ws = () => (r() < 0.7 ? "" : pick([" ", "\n", "\t", "\r\n  ", "  "]));
  const str = (): string => {
    let s = "\"";
    const n = Math.floor(r() * 12);
    for (let i = 0; i < n; i++) {
      const k = r();
      if (k < 0.6) s += pick(["a", "b", " ", "é", "😀", "数", "'", "/", "\u007f"]);
      else if (k < 0.8) s += pick(["\\n", "\\\"", "\\\\", "\\/", "\\t", "\\b", "\\f", "\\r"]);
      else s += pick(["\\u00e9", "\\u0041", "\\ud83d\\ude00", "\\uD800", "\\u0000", "\\uFFFF"]);
    }
    return s + "\"";
  };
  const num = (): string => pick(["0", "-0", "7", "123", "-45", "1.5", "2.0", "1e3", "-2E-2", "0.000", "12345678901234", "3.25e+2"]);
  const key = (): string => (r() < 0.8 ? JSON.stringify(pick(KEYS)) : str());
  const value = (depth: number): string => {
    const k = r();
    if (depth > 5 || k < 0.4) return k < 0.15 ? num() : k < 0.3 ? str() : pick(["true", "false", "null"]);
    if (k < 0.7) {
      const n = Math.floor(r() * 5);
      const seen = new Set<string>();
      const members: string[] = [];
      for (let i = 0; i < n; i++) {
        const kk = key();
        if (seen.has(JSON.parse(kk))) continue;
        seen.add(JSON.parse(kk));
        members.push(ws() + kk + ws() + ":" + ws() + value(depth + 1) + ws());
      }
      return "{" + members.join(",") + (members.length ? "" : ws()) + "}";
    }
    const n = Math.floor(r() * 5);
    const items: string[] = [];
    for (let i = 0; i < n; i++) items.push(ws() + value(depth + 1) + ws());
    return "[" + items.join(",") + (items.length ? "" : ws()) + "]";
  };
  // A root object that sometimes carries usage.total_tokens in one of several number forms.
  return (): Gen => {
    const members: string[] = [];
    const names = new Set<string>();
    let total: number | undefined;
    const n = Math.floor(r() * 5);
    for (let i = 0; i < n; i++) {
      const kk = key();
      const name = JSON.parse(kk);
      if (name === "usage" || names.has(name)) continue;
      names.add(name);
      members.push(ws() + kk + ws() + ":" + ws() + value(1));
    }
    if (r() < 0.7) {
      const form = r();
      let v: string;
      const t = Math.floor(r() * 100000);
      if (form < 0.5) { v = String(t); total = t; }
      else if (form < 0.6) { v = t + ".00"; total = t; }
      else v = pick(["-1", "1.5", "1e2", "\"5\"", "null", "{}", "[1]", "true"]);
      const at = Math.floor(r() * (members.length + 1));
      members.splice(at, 0, ws() + "\"usage\"" + ws() + ":" + ws() + "{" + ws() + "\"prompt_tokens\":1," + ws() +
        "\"total_tokens\"" + ws() + ":" + ws() + v + ws() + "}");
    }
    return { text: ws() + "{" + members.join(",") + "}" + ws(), total };
  };
}

function parses(text: string): boolean {
  try { JSON.parse(text); return true; } catch { return false; }
}

test("random valid documents: valid for both, same total", () => {
  const m = new UsageModule();
  const gen = generator(11);
  const r = rng(12);
  for (let i = 0; i < 1500; i++) {
    const g = gen();
    assert.ok(parses(g.text), g.text);
    const res = m.scan(g.text, { preset: "custom", specs: SPECS, contentType: "application/json", chunk: 1 + Math.floor(r() * 9) });
    assert.equal(res.status, "ok", g.text);
    if (g.total === undefined) assert.ok(!res.found.includes("total"), g.text);
    else assert.equal(res.total, g.total, g.text);
  }
});

test("random broken documents: rejected exactly when JSON.parse rejects them", () => {
  const m = new UsageModule();
  const gen = generator(21);
  const r = rng(22);
  const noise = ["", "{", "}", "[", "]", ",", ":", "\"", "\\", "1", "-", ".", "e", "t", "n", " ", "\n", "\u0001", "x", "é"];
  let rejected = 0;
  for (let i = 0; i < 3000; i++) {
    const text = gen().text;
    // Replace, insert or delete a few characters.
    let t = text;
    const edits = 1 + Math.floor(r() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(r() * (t.length + 1));
      const k = r();
      const ins = noise[Math.floor(r() * noise.length)];
      t = k < 0.33 ? t.slice(0, at) + ins + t.slice(at + 1) : k < 0.66 ? t.slice(0, at) + ins + t.slice(at) : t.slice(0, at) + t.slice(at + 1);
    }
    const ok = parses(t);
    const res = m.scan(t, { preset: "custom", specs: SPECS, contentType: "application/json", chunk: 1 + Math.floor(r() * 17) });
    assert.equal(res.status === "ok", ok, `${JSON.stringify(t)} -> ${res.status} ${res.error}`);
    if (!ok) {
      rejected++;
      if (res.status !== "empty") assert.ok(res.errorOffset >= 0 && res.errorOffset <= new TextEncoder().encode(t).length, t);
    }
  }
  assert.ok(rejected > 1000, `only ${rejected} broken documents`);
});

test("every prefix of a valid document is incomplete, never ok or a trap", () => {
  const m = new UsageModule();
  const gen = generator(31);
  for (let i = 0; i < 40; i++) {
    const text = gen().text.trim();
    const b = new TextEncoder().encode(text);
    for (let n = 1; n < b.length; n++) {
      const prefix = b.subarray(0, n);
      const res = m.scan(prefix, { preset: "custom", specs: SPECS, contentType: "application/json" });
      // A prefix that JSON.parse accepts can only be a complete root followed by blanks.
      const ok = parses(new TextDecoder().decode(prefix));
      assert.equal(res.status === "ok", ok, new TextDecoder().decode(prefix));
    }
  }
});
