// Regular expressions for CEL's `matches`: a safe, linear-time subset of RE2 syntax,
// compiled to a small instruction program and run as a Thompson NFA (Pike VM without
// captures): all threads advance together one character at a time, so matching costs
// O(text length x program size) and never backtracks. `matches` is a search (the
// pattern may match anywhere, as RE2's partial match); anchor with ^ and $.
//
// Supported syntax (see also assembly/cel/README.md):
//   literals (any code point), escaped punctuation (\. \* \\ ...), \t \n \r \f \v \a,
//   \xHH, \x{HHHH}, \0
//   .  (any character but newline; with (?s) also newline)
//   [abc] [^abc] [a-z] with escapes, \d \w \s \D \W \S inside, [[:alpha:]] POSIX names
//   \d \w \s \D \W \S (ASCII classes, as RE2)
//   ^ $ (text start/end; line start/end with (?m)), \A \z, \b \B
//   ( ), (?: ), (?P<name> ), (?<name> ); alternation |
//   * + ? {n} {n,} {n,m} (counts up to 1000), and their non-greedy forms (*? ...)
//   flags (?i) (?s) (?m) (?U) and (?flags:re); (?i) folds simple letter case
// Not supported, reported as a compile error for constant patterns and an evaluation
// error otherwise: backreferences (\1), lookahead/lookbehind ((?=, (?!, (?<=, (?<!),
// Unicode classes (\pL, \p{Greek}), and anything else outside the list above.
// Limits: MAX_REGEX_PATTERN code units of pattern, MAX_REGEX_INSTRUCTIONS instructions
// after expanding counted repetitions, and MAX_REGEX_STEPS steps per match (a match
// that would take longer is an evaluation error, not a hang).

import { RegexParser, RNode, RK, AK, sortPairs, isWordChar } from "./regex_syntax";
import { MAX_REGEX_INSTRUCTIONS } from "./limits";

/** Work budget per match (thread steps); far above what header-sized inputs need. */
export const MAX_REGEX_STEPS: i32 = 20000000;

const OP_CHAR = 0, OP_ANY = 1, OP_ANYNL = 2, OP_CLASS = 3, OP_SPLIT = 4, OP_JMP = 5, OP_MATCH = 6, OP_ASSERT = 7;

export class RegexCompileResult {
  regex: Regex | null = null;
  error: string = "";
}

/** Compiles `pattern`. Never traps; unsupported or invalid syntax is an error. */
export function compileRegex(pattern: string): RegexCompileResult {
  const r = new RegexCompileResult();
  const p = new RegexParser(pattern);
  const tree = p.parse();
  if (p.error.length > 0) { r.error = p.error; return r; }
  const re = new Regex();
  re.emit(tree);
  re.add(OP_MATCH, 0, 0);
  if (re.tooBig) { r.error = "regular expression too large (limit " + MAX_REGEX_INSTRUCTIONS.toString() + " instructions)"; return r; }
  re.prepare();
  r.regex = re;
  return r;
}

export class Regex {
  op: Array<i32> = new Array<i32>();
  x: Array<i32> = new Array<i32>();
  y: Array<i32> = new Array<i32>();
  classRanges: Array<u32> = new Array<u32>();
  classStart: Array<i32> = new Array<i32>();
  classEnd: Array<i32> = new Array<i32>();
  classNeg: Array<bool> = new Array<bool>();
  tooBig: bool = false;
  private emits: i32 = 0;
  // Matching scratch, sized once in prepare().
  private clist: Int32Array = new Int32Array(0);
  private nlist: Int32Array = new Int32Array(0);
  private mark: Int32Array = new Int32Array(0);
  private stack: Int32Array = new Int32Array(0);
  private gen: i32 = 0;
  private steps: i32 = 0;

  add(op: i32, x: i32, y: i32): i32 {
    if (this.op.length >= MAX_REGEX_INSTRUCTIONS) { this.tooBig = true; return this.op.length; }
    this.op.push(op);
    this.x.push(x);
    this.y.push(y);
    return this.op.length - 1;
  }

  patch(pc: i32, x: i32, y: i32): void {
    if (pc < this.op.length) { unchecked(this.x[pc] = x); unchecked(this.y[pc] = y); }
  }

  emit(n: RNode): void {
    if (this.tooBig) return;
    // Parts that emit nothing (`()`) do not grow the program, so its size alone cannot
    // bound compile work: `((){1000}){1000}` would loop a million times. Count the calls.
    if (++this.emits > MAX_REGEX_INSTRUCTIONS * 4) { this.tooBig = true; return; }
    switch (n.kind) {
      case RK.Empty: return;
      case RK.Lit: this.add(OP_CHAR, <i32>n.cp, 0); return;
      case RK.Any: this.add(n.dotNL ? OP_ANYNL : OP_ANY, 0, 0); return;
      case RK.Assert: this.add(OP_ASSERT, <i32>n.assert, 0); return;
      case RK.Class: this.add(OP_CLASS, this.addClass(n), 0); return;
      case RK.Cat: {
        for (let i = 0; i < n.children.length; i++) this.emit(unchecked(n.children[i]));
        return;
      }
      case RK.Alt: {
        const jumps = new Array<i32>();
        const m = n.children.length;
        for (let i = 0; i < m; i++) {
          if (i < m - 1) {
            const split = this.add(OP_SPLIT, 0, 0);
            this.emit(unchecked(n.children[i]));
            jumps.push(this.add(OP_JMP, 0, 0));
            this.patch(split, split + 1, this.op.length);
          } else {
            this.emit(unchecked(n.children[i]));
          }
        }
        const end = this.op.length;
        for (let i = 0; i < jumps.length; i++) this.patch(unchecked(jumps[i]), end, 0);
        return;
      }
      case RK.Repeat: {
        if (n.children.length == 0) return;
        const child = unchecked(n.children[0]);
        for (let i = 0; i < n.min && !this.tooBig; i++) this.emit(child);
        if (n.max < 0) {
          const loop = this.add(OP_SPLIT, 0, 0);
          this.emit(child);
          this.add(OP_JMP, loop, 0);
          this.patch(loop, loop + 1, this.op.length);
          return;
        }
        const splits = new Array<i32>();
        for (let i = n.min; i < n.max && !this.tooBig; i++) {
          splits.push(this.add(OP_SPLIT, 0, 0));
          this.emit(child);
        }
        const end = this.op.length;
        for (let i = 0; i < splits.length; i++) {
          const s = unchecked(splits[i]);
          this.patch(s, s + 1, end);
        }
        return;
      }
    }
  }

  addClass(n: RNode): i32 {
    const pairs = n.ranges.slice(0);
    sortPairs(pairs);
    const start = this.classRanges.length;
    // merge overlapping ranges so that matching can stop early
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const lo = unchecked(pairs[i]), hi = unchecked(pairs[i + 1]);
      const len = this.classRanges.length;
      if (len > start && lo <= unchecked(this.classRanges[len - 1]) + 1) {
        if (hi > unchecked(this.classRanges[len - 1])) unchecked(this.classRanges[len - 1] = hi);
      } else {
        this.classRanges.push(lo);
        this.classRanges.push(hi);
      }
    }
    this.classStart.push(start);
    this.classEnd.push(this.classRanges.length);
    this.classNeg.push(n.negate);
    return this.classStart.length - 1;
  }

  prepare(): void {
    const n = this.op.length;
    this.clist = new Int32Array(n);
    this.nlist = new Int32Array(n);
    this.mark = new Int32Array(n);
    this.stack = new Int32Array(n + 1);
  }

  private inClass(k: i32, c: u32): bool {
    if (<u32>k >= <u32>this.classStart.length) return false;
    const start = unchecked(this.classStart[k]), end = unchecked(this.classEnd[k]);
    let inside = false;
    for (let i = start; i + 1 < end; i += 2) {
      if (c < unchecked(this.classRanges[i])) break;
      if (c <= unchecked(this.classRanges[i + 1])) { inside = true; break; }
    }
    return inside != unchecked(this.classNeg[k]);
  }

  // Adds the thread at `pc` and everything reachable from it without consuming input
  // to `list` (of `count` entries). Returns the new count, or -1 when MATCH is reached.
  private addThread(list: Int32Array, count: i32, pc0: i32, pos: i32, n: i32, prev: i32, next: i32): i32 {
    const stack = this.stack;
    const mark = this.mark;
    const gen = this.gen;
    const ninst = this.op.length;
    let sp = 0;
    if (<u32>pc0 >= <u32>ninst) return count;
    unchecked(stack[sp++] = pc0);
    while (sp > 0) {
      const pc = unchecked(stack[--sp]);
      if (<u32>pc >= <u32>ninst || unchecked(mark[pc]) == gen) continue;
      unchecked(mark[pc] = gen);
      this.steps++;
      const op = unchecked(this.op[pc]);
      if (op == OP_JMP) {
        if (sp < stack.length) unchecked(stack[sp++] = unchecked(this.x[pc]));
      } else if (op == OP_SPLIT) {
        // each target is pushed at most once per generation, so the stack cannot overflow
        if (sp < stack.length) unchecked(stack[sp++] = unchecked(this.y[pc]));
        if (sp < stack.length) unchecked(stack[sp++] = unchecked(this.x[pc]));
      } else if (op == OP_ASSERT) {
        if (assertHolds(unchecked(this.x[pc]), pos, n, prev, next) && sp < stack.length) unchecked(stack[sp++] = pc + 1);
      } else if (op == OP_MATCH) {
        return -1;
      } else {
        if (count < list.length) unchecked(list[count++] = pc);
      }
    }
    return count;
  }

  /**
   * Whether the pattern matches anywhere in `s`: 1 yes, 0 no, -1 when the work budget
   * (MAX_REGEX_STEPS) ran out.
   */
  matches(s: string): i32 {
    const n = s.length;
    this.steps = 0;
    let clist = this.clist, nlist = this.nlist;
    const sp = changetype<usize>(s);
    let ccount = 0;
    let pos = 0;
    let prev = -1;
    if (this.gen > 0x3fffffff) { this.mark.fill(0); this.gen = 0; }
    this.gen++;
    while (true) {
      // decode the code point at pos
      let c: i32 = -1;
      let w = 0;
      if (pos < n) {
        c = <i32>load<u16>(sp + (<usize>pos << 1));
        w = 1;
        if (<u32>(c - 0xd800) < 0x400 && pos + 1 < n) {
          const d = <i32>load<u16>(sp + (<usize>(pos + 1) << 1));
          if (<u32>(d - 0xdc00) < 0x400) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); w = 2; }
        }
      }
      // a new thread starts at every position (unanchored search)
      ccount = this.addThread(clist, ccount, 0, pos, n, prev, c);
      if (ccount < 0) return 1;
      if (this.steps > MAX_REGEX_STEPS) return -1;
      if (pos >= n) return 0;
      // advance every thread over c
      this.gen++;
      let ncount = 0;
      const npos = pos + w;
      let nnext: i32 = -1;
      if (npos < n) {
        nnext = <i32>load<u16>(sp + (<usize>npos << 1));
        if (<u32>(nnext - 0xd800) < 0x400 && npos + 1 < n) {
          const d = <i32>load<u16>(sp + (<usize>(npos + 1) << 1));
          if (<u32>(d - 0xdc00) < 0x400) nnext = 0x10000 + ((nnext - 0xd800) << 10) + (d - 0xdc00);
        }
      }
      for (let i = 0; i < ccount; i++) {
        const pc = unchecked(clist[i]);
        const op = unchecked(this.op[pc]);
        let ok = false;
        if (op == OP_CHAR) ok = unchecked(this.x[pc]) == c;
        else if (op == OP_ANY) ok = c != 0x0a;
        else if (op == OP_ANYNL) ok = true;
        else if (op == OP_CLASS) ok = this.inClass(unchecked(this.x[pc]), <u32>c);
        if (ok) {
          ncount = this.addThread(nlist, ncount, pc + 1, npos, n, c, nnext);
          if (ncount < 0) return 1;
        }
      }
      if (this.steps > MAX_REGEX_STEPS) return -1;
      const t = clist; clist = nlist; nlist = t;
      ccount = ncount;
      prev = c;
      pos = npos;
    }
    return 0;
  }
}

function assertHolds(kind: i32, pos: i32, n: i32, prev: i32, next: i32): bool {
  switch (kind) {
    case AK.TextStart: return pos == 0;
    case AK.TextEnd: return pos == n;
    case AK.LineStart: return pos == 0 || prev == 0x0a;
    case AK.LineEnd: return pos == n || next == 0x0a;
    case AK.WordBoundary: return isWord(prev) != isWord(next);
    case AK.NotWordBoundary: return isWord(prev) == isWord(next);
  }
  return false;
}

@inline function isWord(c: i32): bool { return c >= 0 && isWordChar(<u32>c); }
