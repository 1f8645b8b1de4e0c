// Parser for the regular-expression subset `matches` accepts (RE2 syntax, without the
// features that need backtracking). See regex.ts for the supported syntax. Produces a
// small tree that regex.ts compiles to instructions. Nesting is bounded, errors are
// returned (never thrown) with a message.

import { MAX_REGEX_PATTERN } from "./limits";

export enum RK { Empty, Lit, Any, Class, Cat, Alt, Repeat, Assert }

/** Assertion kinds (RK.Assert). */
export enum AK { LineStart, LineEnd, TextStart, TextEnd, WordBoundary, NotWordBoundary }

export class RNode {
  kind: RK;
  cp: u32 = 0;
  /** Class: sorted-or-not [lo, hi] pairs; `negate` inverts. */
  ranges: Array<u32> = new Array<u32>(0);
  negate: bool = false;
  children: Array<RNode> = new Array<RNode>(0);
  min: i32 = 0;
  /** -1 = unbounded */
  max: i32 = -1;
  /** Any: also matches "\n" ((?s) flag). */
  dotNL: bool = false;
  assert: AK = AK.TextStart;

  constructor(kind: RK) { this.kind = kind; }
}

const MAX_GROUP_DEPTH = 64;
const MAX_REPEAT = 1000;

export class RegexParser {
  // pattern as code points
  cps: Array<u32> = new Array<u32>();
  pos: i32 = 0;
  error: string = "";
  depth: i32 = 0;
  foldCase: bool = false;
  dotNL: bool = false;
  multiLine: bool = false;

  constructor(pattern: string) {
    const n = pattern.length;
    for (let i = 0; i < n; i++) {
      const c = <u32>pattern.charCodeAt(i);
      if (c - 0xd800 < 0x400 && i + 1 < n) {
        const d = <u32>pattern.charCodeAt(i + 1);
        if (d - 0xdc00 < 0x400) {
          this.cps.push(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00));
          i++;
          continue;
        }
      }
      this.cps.push(c);
    }
  }

  fail(msg: string): RNode {
    if (this.error.length == 0) this.error = msg + " at offset " + this.pos.toString();
    return new RNode(RK.Empty);
  }

  @inline more(): bool { return this.pos < this.cps.length; }
  @inline peek(): u32 { return this.pos < this.cps.length ? unchecked(this.cps[this.pos]) : 0xffffffff; }
  @inline peekAt(k: i32): u32 { const i = this.pos + k; return i < this.cps.length ? unchecked(this.cps[i]) : 0xffffffff; }

  parse(): RNode {
    if (this.cps.length > MAX_REGEX_PATTERN) return this.fail("pattern too long");
    const n = this.parseAlt();
    if (this.error.length == 0 && this.more()) return this.fail("unexpected ')'");
    return n;
  }

  parseAlt(): RNode {
    const first = this.parseCat();
    if (this.peek() != 0x7c) return first;
    const alt = new RNode(RK.Alt);
    alt.children.push(first);
    while (this.error.length == 0 && this.peek() == 0x7c) {
      this.pos++;
      alt.children.push(this.parseCat());
    }
    return alt;
  }

  parseCat(): RNode {
    const cat = new RNode(RK.Cat);
    while (this.error.length == 0 && this.more()) {
      const c = this.peek();
      if (c == 0x7c || c == 0x29) break;
      const atom = this.parseAtom();
      if (this.error.length > 0) break;
      if (atom === null) continue; // a flag group like (?i)
      cat.children.push(this.parseRepeat(atom));
    }
    if (cat.children.length == 1) return unchecked(cat.children[0]);
    return cat;
  }

  parseRepeat(atom: RNode): RNode {
    let node = atom;
    let repeated = false;
    while (this.error.length == 0) {
      const c = this.peek();
      let min = 0, max = -1;
      if (c == 0x2a) { this.pos++; }
      else if (c == 0x2b) { this.pos++; min = 1; }
      else if (c == 0x3f) { this.pos++; max = 1; }
      else if (c == 0x7b) {
        const save = this.pos;
        if (!this.parseCounts()) { this.pos = save; break; } // literal '{'
        min = this.cmin; max = this.cmax;
      } else break;
      if (repeated) return this.fail("invalid nested repetition operator");
      if (node.kind == RK.Empty || node.kind == RK.Assert) return this.fail("missing argument to repetition operator");
      // a trailing '?' makes it non-greedy, which does not change whether it matches
      if (this.peek() == 0x3f) this.pos++;
      const r = new RNode(RK.Repeat);
      r.min = min;
      r.max = max;
      r.children.push(node);
      node = r;
      repeated = true;
    }
    return node;
  }

  cmin: i32 = 0;
  cmax: i32 = 0;

  // {n}, {n,}, {n,m}; false when the brace does not start a count (then it is literal).
  parseCounts(): bool {
    this.pos++; // '{'
    const a = this.parseInt();
    if (a < 0) return false;
    let b = a;
    if (this.peek() == 0x2c) {
      this.pos++;
      if (this.peek() == 0x7d) b = -1;
      else { b = this.parseInt(); if (b < 0) return false; }
    }
    if (this.peek() != 0x7d) return false;
    this.pos++;
    if (a > MAX_REPEAT || b > MAX_REPEAT || (b >= 0 && b < a)) { this.fail("invalid repeat count"); return true; }
    this.cmin = a;
    this.cmax = b;
    return true;
  }

  parseInt(): i32 {
    let v = 0, digits = 0;
    while (this.peek() - 0x30 < 10) {
      v = v * 10 + <i32>(this.peek() - 0x30);
      if (v > 100000) v = 100000;
      this.pos++;
      digits++;
    }
    return digits == 0 ? -1 : v;
  }

  lit(cp: u32): RNode {
    if (this.foldCase) {
      const other = otherCase(cp);
      if (other != cp) {
        const cls = new RNode(RK.Class);
        cls.ranges.push(cp); cls.ranges.push(cp);
        cls.ranges.push(other); cls.ranges.push(other);
        return cls;
      }
    }
    const n = new RNode(RK.Lit);
    n.cp = cp;
    return n;
  }

  parseAtom(): RNode | null {
    const c = this.peek();
    switch (c) {
      case 0x28: return this.parseGroup();
      case 0x5b: return this.parseClass();
      case 0x2e: {
        this.pos++;
        const n = new RNode(RK.Any);
        n.dotNL = this.dotNL;
        return n;
      }
      case 0x5e: {
        this.pos++;
        const n = new RNode(RK.Assert);
        n.assert = this.multiLine ? AK.LineStart : AK.TextStart;
        return n;
      }
      case 0x24: {
        this.pos++;
        const n = new RNode(RK.Assert);
        n.assert = this.multiLine ? AK.LineEnd : AK.TextEnd;
        return n;
      }
      case 0x2a: case 0x2b: case 0x3f:
        return this.fail("missing argument to repetition operator");
      case 0x5c: return this.parseEscape();
    }
    this.pos++;
    return this.lit(c);
  }

  parseGroup(): RNode | null {
    this.pos++; // '('
    if (++this.depth > MAX_GROUP_DEPTH) return this.fail("regular expression nested too deeply");
    const saveFold = this.foldCase, saveDot = this.dotNL, saveMulti = this.multiLine;
    if (this.peek() == 0x3f) {
      this.pos++;
      const c = this.peek();
      if (c == 0x50 || c == 0x3c) {
        // named group (?P<name>re) or (?<name>re)
        if (c == 0x50) this.pos++;
        if (this.peek() != 0x3c) return this.fail("invalid named group");
        if (this.peekAt(1) == 0x3d || this.peekAt(1) == 0x21) return this.fail("lookbehind is not supported");
        this.pos++;
        let len = 0;
        while (this.more() && this.peek() != 0x3e) {
          const k = this.peek();
          if (!(isWordChar(k))) return this.fail("invalid group name");
          this.pos++;
          len++;
        }
        if (!this.more() || len == 0) return this.fail("invalid named group");
        this.pos++;
      } else if (c == 0x3d || c == 0x21) {
        return this.fail("lookahead is not supported");
      } else {
        // flags: (?flags) or (?flags:re)
        let neg = false;
        let any = false;
        while (this.more()) {
          const f = this.peek();
          if (f == 0x69) { this.foldCase = !neg; }
          else if (f == 0x73) { this.dotNL = !neg; }
          else if (f == 0x6d) { this.multiLine = !neg; }
          else if (f == 0x55) { /* ungreedy: no effect on whether it matches */ }
          else if (f == 0x2d && !neg) { neg = true; this.pos++; continue; }
          else break;
          any = true;
          this.pos++;
        }
        const end = this.peek();
        if (end == 0x29) {
          if (!any) return this.fail("missing flags in group");
          this.pos++;
          this.depth--;
          return null; // flags apply to the rest of the enclosing group
        }
        if (end != 0x3a) return this.fail("invalid or unsupported group syntax");
        this.pos++;
      }
    }
    const inner = this.parseAlt();
    if (this.error.length > 0) return inner;
    if (this.peek() != 0x29) return this.fail("missing closing )");
    this.pos++;
    this.depth--;
    this.foldCase = saveFold; this.dotNL = saveDot; this.multiLine = saveMulti;
    return inner;
  }

  // Escapes outside classes.
  parseEscape(): RNode {
    this.pos++; // backslash
    if (!this.more()) return this.fail("trailing backslash");
    const c = this.peek();
    if (c == 0x62 || c == 0x42 || c == 0x41 || c == 0x7a) {
      this.pos++;
      const n = new RNode(RK.Assert);
      n.assert = c == 0x62 ? AK.WordBoundary : c == 0x42 ? AK.NotWordBoundary : c == 0x41 ? AK.TextStart : AK.TextEnd;
      return n;
    }
    const cls = new RNode(RK.Class);
    if (this.perlClass(c, cls)) { this.pos++; return cls; }
    const cp = this.escapeCode();
    if (this.error.length > 0) return new RNode(RK.Empty);
    return this.lit(cp);
  }

  // \d \w \s and negations into `cls`; false when `c` is not one of them.
  perlClass(c: u32, cls: RNode): bool {
    const lower = c | 0x20;
    if (lower != 0x64 && lower != 0x77 && lower != 0x73) return false;
    if (lower == 0x64) { cls.ranges.push(0x30); cls.ranges.push(0x39); }
    else if (lower == 0x77) {
      cls.ranges.push(0x30); cls.ranges.push(0x39);
      cls.ranges.push(0x41); cls.ranges.push(0x5a);
      cls.ranges.push(0x5f); cls.ranges.push(0x5f);
      cls.ranges.push(0x61); cls.ranges.push(0x7a);
    } else {
      cls.ranges.push(0x09); cls.ranges.push(0x0a);
      cls.ranges.push(0x0c); cls.ranges.push(0x0d);
      cls.ranges.push(0x20); cls.ranges.push(0x20);
    }
    cls.negate = c != lower; // upper-case letter: negated
    return true;
  }

  // A single-code-point escape (after the backslash); reports unsupported ones.
  escapeCode(): u32 {
    const c = this.peek();
    this.pos++;
    switch (c) {
      case 0x74: return 0x09;
      case 0x6e: return 0x0a;
      case 0x72: return 0x0d;
      case 0x66: return 0x0c;
      case 0x76: return 0x0b;
      case 0x61: return 0x07;
      case 0x78: {
        if (this.peek() == 0x7b) {
          this.pos++;
          let v: u32 = 0, digits = 0;
          while (this.more() && this.peek() != 0x7d) {
            const h = hexDigit(this.peek());
            if (h < 0 || v > 0x10ffff) { this.fail("invalid \\x{...} escape"); return 0; }
            v = (v << 4) | <u32>h;
            this.pos++;
            digits++;
          }
          if (!this.more() || digits == 0 || v > 0x10ffff) { this.fail("invalid \\x{...} escape"); return 0; }
          this.pos++;
          return v;
        }
        const h = hexDigit(this.peek()), l = hexDigit(this.peekAt(1));
        if (h < 0 || l < 0) { this.fail("invalid \\x escape"); return 0; }
        this.pos += 2;
        return <u32>(h * 16 + l);
      }
    }
    if (c - 0x31 < 9) { this.fail("backreferences are not supported"); return 0; }
    if (c == 0x30) return 0;
    if (c == 0x70 || c == 0x50) { this.fail("Unicode classes (\\p) are not supported"); return 0; }
    // Any other punctuation escapes itself; an escaped letter is unknown.
    if (c < 0x80 && !isWordChar(c)) return c;
    this.fail("invalid or unsupported escape sequence");
    return 0;
  }

  parseClass(): RNode {
    this.pos++; // '['
    const cls = new RNode(RK.Class);
    if (this.peek() == 0x5e) { cls.negate = true; this.pos++; }
    let first = true;
    while (this.error.length == 0) {
      if (!this.more()) return this.fail("missing closing ]");
      let c = this.peek();
      if (c == 0x5d && !first) { this.pos++; break; }
      first = false;
      if (c == 0x5b && this.peekAt(1) == 0x3a) {
        if (this.posixClass(cls)) continue;
        if (this.error.length > 0) break;
      }
      let lo: u32;
      if (c == 0x5c) {
        this.pos++;
        const e = this.peek();
        if (this.perlClass(e, tmpClass)) {
          this.pos++;
          appendClass(cls, tmpClass);
          tmpClass.ranges.length = 0;
          tmpClass.negate = false;
          continue;
        }
        lo = this.escapeCode();
      } else {
        this.pos++;
        lo = c;
      }
      let hi = lo;
      if (this.peek() == 0x2d && this.peekAt(1) != 0x5d && this.peekAt(1) != 0xffffffff) {
        this.pos++;
        const d = this.peek();
        if (d == 0x5c) { this.pos++; hi = this.escapeCode(); }
        else { this.pos++; hi = d; }
        if (hi < lo) return this.fail("invalid character class range");
      }
      this.addRange(cls, lo, hi);
    }
    return cls;
  }

  addRange(cls: RNode, lo: u32, hi: u32): void {
    cls.ranges.push(lo);
    cls.ranges.push(hi);
    if (this.foldCase && hi - lo < 512) {
      for (let c = lo; c <= hi; c++) {
        const o = otherCase(c);
        if (o != c) { cls.ranges.push(o); cls.ranges.push(o); }
      }
    }
  }

  // [:name:] inside a class; returns false (without consuming) if it is not one.
  posixClass(cls: RNode): bool {
    let end = this.pos + 2;
    while (end < this.cps.length && unchecked(this.cps[end]) != 0x3a) end++;
    if (end + 1 >= this.cps.length || unchecked(this.cps[end + 1]) != 0x5d) return false;
    let name = "";
    let neg = false;
    let k = this.pos + 2;
    if (k < end && unchecked(this.cps[k]) == 0x5e) { neg = true; k++; }
    // Every known name has at most 6 letters; a longer one is not copied (which would make a
    // pattern of many long [:...:] quadratic), it is simply unknown.
    if (end - k <= 6) {
      for (; k < end; k++) name += String.fromCharCode(<i32>unchecked(this.cps[k]));
    }
    const r = new RNode(RK.Class);
    const ranges = r.ranges;
    if (name == "alpha") { ranges.push(0x41); ranges.push(0x5a); ranges.push(0x61); ranges.push(0x7a); }
    else if (name == "digit") { ranges.push(0x30); ranges.push(0x39); }
    else if (name == "alnum") { ranges.push(0x30); ranges.push(0x39); ranges.push(0x41); ranges.push(0x5a); ranges.push(0x61); ranges.push(0x7a); }
    else if (name == "upper") { ranges.push(0x41); ranges.push(0x5a); }
    else if (name == "lower") { ranges.push(0x61); ranges.push(0x7a); }
    else if (name == "space") { ranges.push(0x09); ranges.push(0x0d); ranges.push(0x20); ranges.push(0x20); }
    else if (name == "xdigit") { ranges.push(0x30); ranges.push(0x39); ranges.push(0x41); ranges.push(0x46); ranges.push(0x61); ranges.push(0x66); }
    else if (name == "word") { ranges.push(0x30); ranges.push(0x39); ranges.push(0x41); ranges.push(0x5a); ranges.push(0x5f); ranges.push(0x5f); ranges.push(0x61); ranges.push(0x7a); }
    else if (name == "punct") { ranges.push(0x21); ranges.push(0x2f); ranges.push(0x3a); ranges.push(0x40); ranges.push(0x5b); ranges.push(0x60); ranges.push(0x7b); ranges.push(0x7e); }
    else if (name == "blank") { ranges.push(0x09); ranges.push(0x09); ranges.push(0x20); ranges.push(0x20); }
    else if (name == "cntrl") { ranges.push(0x00); ranges.push(0x1f); ranges.push(0x7f); ranges.push(0x7f); }
    else if (name == "print") { ranges.push(0x20); ranges.push(0x7e); }
    else if (name == "graph") { ranges.push(0x21); ranges.push(0x7e); }
    else if (name == "ascii") { ranges.push(0x00); ranges.push(0x7f); }
    else { this.fail("invalid character class name"); return false; }
    r.negate = neg;
    appendClass(cls, r);
    this.pos = end + 2;
    return true;
  }
}

const tmpClass = new RNode(RK.Class);

// Adds the set of `src` (possibly negated) to `dst` as plain ranges.
function appendClass(dst: RNode, src: RNode): void {
  const r = src.ranges;
  if (!src.negate) {
    for (let i = 0; i < r.length; i++) dst.ranges.push(unchecked(r[i]));
    return;
  }
  // complement of a sorted copy
  const pairs = r.slice(0);
  sortPairs(pairs);
  let next: u32 = 0;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const lo = unchecked(pairs[i]), hi = unchecked(pairs[i + 1]);
    if (lo > next) { dst.ranges.push(next); dst.ranges.push(lo - 1); }
    if (hi + 1 > next) next = hi + 1;
  }
  if (next <= 0x10ffff) { dst.ranges.push(next); dst.ranges.push(0x10ffff); }
}

/** Sorts [lo, hi] pairs by lo (insertion sort; classes are small). */
export function sortPairs(p: Array<u32>): void {
  for (let i = 2; i + 1 < p.length; i += 2) {
    const lo = unchecked(p[i]), hi = unchecked(p[i + 1]);
    let j = i - 2;
    while (j >= 0 && unchecked(p[j]) > lo) {
      unchecked(p[j + 2] = unchecked(p[j]));
      unchecked(p[j + 3] = unchecked(p[j + 1]));
      j -= 2;
    }
    unchecked(p[j + 2] = lo);
    unchecked(p[j + 3] = hi);
  }
}

export function isWordChar(c: u32): bool {
  return (c - 0x30 < 10) || ((c | 0x20) - 0x61 < 26) || c == 0x5f;
}

function hexDigit(c: u32): i32 {
  if (c - 0x30 < 10) return <i32>(c - 0x30);
  const l = c | 0x20;
  if (l - 0x61 < 6) return <i32>(l - 0x61 + 10);
  return -1;
}

/** The other case of a letter (simple folding for ASCII and Latin-1/Greek/Cyrillic). */
export function otherCase(c: u32): u32 {
  if (c - 0x41 < 26) return c + 32;
  if (c - 0x61 < 26) return c - 32;
  if (c < 0xc0 || c > 0xffff) return c;
  const s = String.fromCharCode(<i32>c);
  const lo = s.toLowerCase();
  if (lo.length == 1 && <u32>lo.charCodeAt(0) != c) return <u32>lo.charCodeAt(0);
  const up = s.toUpperCase();
  if (up.length == 1 && <u32>up.charCodeAt(0) != c) return <u32>up.charCodeAt(0);
  return c;
}
