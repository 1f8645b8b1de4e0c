// Limitador's limits file (YAML: a list of limits with namespace, max_value, seconds, name,
// conditions, variables), read as limitador-server does (serde_yaml into limitador's Limit),
// with the subset of its CEL (limitador/src/limit/cel.rs) that tokenlimit renders:
//   conditions: descriptors[N]['key'] == 'value'   (or !=; either side; .key also accepted)
//   variables:  descriptors[N]['key']
// Strings are CEL string literals: single or double quotes, backslash escapes. Anything else
// is refused with the expression in the message, so a limit is never silently ignored.
// Semantics (Limit::applies, Predicate::test, Expression::eval at Kuadrant/limitador
// 2981b2bd389d42cf668519f9aa981a53541c4278): a condition whose key is absent is false; a
// limit applies when every condition holds and every variable resolves.
import { parse } from "yaml";

/** A reference to one descriptor entry: descriptors[index][key]. */
export interface EntryRef {
  index: number;
  key: string;
}

export interface Condition {
  source: string;
  ref: EntryRef;
  op: "==" | "!=";
  value: string;
}

export interface LimitadorLimit {
  namespace: string;
  maxValue: number;
  seconds: number;
  name: string | null;
  conditions: Condition[];
  variables: Array<{ source: string; ref: EntryRef }>;
  /** The limit's identity (namespace, seconds, conditions, variables), as Limitador hashes it. */
  identity: string;
}

type Descriptors = ReadonlyArray<ReadonlyMap<string, string>>;

class Lexer {
  pos = 0;
  constructor(readonly src: string) {}
  fail(what: string): never {
    throw new Error(`${JSON.stringify(this.src)}: ${what} at ${this.pos} (the test rate-limit service reads descriptors[N]['key'] == 'value' and descriptors[N]['key'] only)`);
  }
  ws(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos++;
  }
  eat(s: string): boolean {
    this.ws();
    if (this.src.startsWith(s, this.pos)) {
      this.pos += s.length;
      return true;
    }
    return false;
  }
  expect(s: string): void {
    if (!this.eat(s)) this.fail(`expected ${s}`);
  }
  done(): boolean {
    this.ws();
    return this.pos >= this.src.length;
  }
  int(): number {
    this.ws();
    const m = /^\d+/.exec(this.src.slice(this.pos));
    if (!m) this.fail("expected an index");
    this.pos += m[0].length;
    return Number(m[0]);
  }
  ident(): string {
    this.ws();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos));
    if (!m) this.fail("expected a name");
    this.pos += m[0].length;
    return m[0];
  }
  /** A CEL string literal (no raw or triple-quoted forms). */
  string(): string {
    this.ws();
    const q = this.src[this.pos];
    if (q !== "'" && q !== '"') this.fail("expected a string literal");
    this.pos++;
    let out = "";
    for (;;) {
      if (this.pos >= this.src.length) this.fail("unterminated string");
      const c = this.src[this.pos++];
      if (c === q) return out;
      if (c === "\n") this.fail("newline in string");
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = this.src[this.pos++];
      const simple: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', "`": "`", "?": "?", n: "\n", r: "\r", t: "\t", a: "\x07", b: "\b", f: "\f", v: "\v" };
      if (e in simple) out += simple[e];
      else if (e === "x" || e === "u" || e === "U") {
        const n = e === "x" ? 2 : e === "u" ? 4 : 8;
        const hex = this.src.slice(this.pos, this.pos + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) this.fail("bad escape");
        this.pos += n;
        out += String.fromCodePoint(parseInt(hex, 16));
      } else if (/[0-3]/.test(e)) {
        const oct = e + this.src.slice(this.pos, this.pos + 2);
        if (!/^[0-3][0-7]{2}$/.test(oct)) this.fail("bad escape");
        this.pos += 2;
        out += String.fromCharCode(parseInt(oct, 8));
      } else this.fail("bad escape");
    }
  }
}

function entryRef(lx: Lexer): EntryRef {
  lx.ws();
  if (lx.ident() !== "descriptors") lx.fail("expected descriptors");
  lx.expect("[");
  const index = lx.int();
  lx.expect("]");
  if (lx.eat("[")) {
    const key = lx.string();
    lx.expect("]");
    return { index, key };
  }
  lx.expect(".");
  return { index, key: lx.ident() };
}

/** Parses a condition of the subset; throws naming the expression. */
export function parseCondition(source: string): Condition {
  const lx = new Lexer(source);
  lx.ws();
  const refFirst = lx.src.startsWith("descriptors", lx.pos);
  const ref = refFirst ? entryRef(lx) : null;
  const literal = refFirst ? null : lx.string();
  const op = lx.eat("==") ? "==" : lx.eat("!=") ? "!=" : lx.fail("expected == or !=");
  const r = refFirst ? lx.string() : null;
  const rightRef = refFirst ? null : entryRef(lx);
  if (!lx.done()) lx.fail("unexpected text");
  return { source, ref: (ref ?? rightRef)!, op, value: (literal ?? r)! };
}

/** Parses a variable of the subset; throws naming the expression. */
export function parseVariable(source: string): { source: string; ref: EntryRef } {
  const lx = new Lexer(source);
  const ref = entryRef(lx);
  if (!lx.done()) lx.fail("unexpected text");
  return { source, ref };
}

function lookup(d: Descriptors, ref: EntryRef): string | undefined {
  return d[ref.index]?.get(ref.key);
}

/** Limit::applies: every condition holds (an absent key makes it false) and every variable resolves. */
export function applies(limit: LimitadorLimit, d: Descriptors): boolean {
  for (const c of limit.conditions) {
    const v = lookup(d, c.ref);
    if (v === undefined) return false;
    if ((v === c.value) !== (c.op === "==")) return false;
  }
  return limit.variables.every((v) => lookup(d, v.ref) !== undefined);
}

/** The variables' values, by their source text (a counter's identity within its limit). */
export function variableValues(limit: LimitadorLimit, d: Descriptors): Array<[string, string]> {
  return limit.variables.map((v) => [v.source, lookup(d, v.ref) ?? ""]);
}

const FIELDS = new Set(["id", "namespace", "max_value", "seconds", "name", "conditions", "variables"]);

/** Reads a limits file; throws naming the limit (by position) and what is wrong. */
export function loadLimitadorLimits(text: string): LimitadorLimit[] {
  const doc = parse(text) as unknown;
  if (!Array.isArray(doc)) throw new Error("limits file: expected a YAML list of limits");
  return doc.map((raw, i) => {
    const where = `limits[${i}]`;
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new Error(`${where}: expected a mapping`);
    const l = raw as Record<string, unknown>;
    for (const k of Object.keys(l)) if (!FIELDS.has(k)) throw new Error(`${where}: unknown field '${k}'`);
    if (typeof l.namespace !== "string") throw new Error(`${where}.namespace: expected a string`);
    const maxValue = Number(l.max_value ?? 0);
    const seconds = Number(l.seconds);
    if (!Number.isSafeInteger(maxValue) || maxValue < 0) throw new Error(`${where}.max_value: expected an unsigned integer`);
    if (!Number.isSafeInteger(seconds) || seconds < 0) throw new Error(`${where}.seconds: expected an unsigned integer`);
    const list = (name: string): string[] => {
      const v = l[name] ?? [];
      if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new Error(`${where}.${name}: expected a list of strings`);
      return v as string[];
    };
    const conditions = list("conditions").map((c, j) => {
      try { return parseCondition(c); } catch (e) { throw new Error(`${where}.conditions[${j}]: ${(e as Error).message}`); }
    });
    const variables = list("variables").map((v, j) => {
      try { return parseVariable(v); } catch (e) { throw new Error(`${where}.variables[${j}]: ${(e as Error).message}`); }
    });
    // Limitador keeps conditions and variables in sorted sets: order does not make another limit.
    const identity = JSON.stringify([l.namespace, seconds, conditions.map((c) => c.source).sort(), variables.map((v) => v.source).sort()]);
    return { namespace: l.namespace, maxValue, seconds, name: typeof l.name === "string" ? l.name : null, conditions, variables, identity };
  });
}
