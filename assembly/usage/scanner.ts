// UsageScanner: a streaming JSON scanner that picks configured numeric fields out of a
// document by path while the bytes pass, without buffering the document.
//
// The scanner is a resumable state machine: `feed` may end anywhere (inside a key, a
// string, an escape, a number, a literal) and the next `feed` continues. Its memory is
// fixed when it is constructed: a key buffer of MAX_KEY_BYTES, a one-bit-per-level stack
// of container kinds MAX_DEPTH deep, and trie node/array index stacks as deep as the
// longest path. Deeper nesting -> "gave up"; malformed JSON -> "invalid" with the byte
// offset. Nothing traps.
//
// Values are staged while a document is read and committed when a value directly inside
// the root completes (each member of the root object, each element of a root array) or
// the root itself completes. So a truncated or broken `usage` object is never half-used,
// `"usage": null` never clobbers an earlier count, and for a root array of chunks (Gemini
// streaming without SSE) the last complete chunk's counts win. A later value for the same
// field overwrites an earlier one (last wins).
//
// Counted values are non-negative integers. `123.0` (a zero fraction, as Python and some
// servers print floats) is accepted as 123; negative numbers, non-zero fractions and
// exponents are ignored like a string or null would be (the field stays as it was).
// Integers beyond 2^63-1 saturate to 2^63-1.
//
// Speed: string contents -- most of an LLM response -- are skipped eight bytes at a time
// (swar.ts); containers no path enters are scanned without looking at their keys; and the
// whole hot path works on an unmanaged state block (ScanCore) and the flattened trie, so
// the garbage collector's shadow-stack bookkeeping never runs per byte or per token.
// The byte-by-byte machine below is the definition; fast paths in front of it read whole
// tokens while they lie complete in the feed -- an object's members (`members`), an
// array's scalar elements (`elements`), a string without escapes, a number
// (`wholeNumber`), a literal -- and hand over to the machine, in the very state it would
// be in, at anything else (an escape, a token the feed cuts, an error). Keys are looked up
// where they lie, behind a one-word filter per trie node. test/usage/scan_equivalence
// compares all of this with the machine alone, after every feed.

import { UsagePaths, MAX_KEY_BYTES, trieMayHaveKey, trieFields, trieText, trieHasKeyKids, trieHasIndexKids, trieLookupKey } from "./paths";
import { FIELD_COUNT, I64_MAX } from "./fields";
import { findStringSpecial, findEol, hexValue, isSimpleEscape, simpleEscapeValue, isHex4 } from "./swar";
import { SCAN_OK, SCAN_EMPTY, SCAN_INCOMPLETE, SCAN_INVALID, SCAN_GAVE_UP } from "./usage";
import {
  ScanCore, BLOCK_BYTES, KEY_AT, KINDS_AT, NODES_AT, INDEXES_AT, VALS_AT, PEND_AT, LIT_TRUE, LIT_FALSE, LIT_NULL, NEWLINE,
  S_VALUE, S_ARR_FIRST, S_OBJ_FIRST, S_OBJ_KEY, S_COLON, S_AFTER, S_DONE, S_STR, S_ESC, S_HEX, S_NUM, S_LIT,
  S_INVALID, S_GAVE_UP, STR_VALUE, STR_TEXT, STR_KEY_SKIP, STR_KEY_TRACK,
  N_MINUS, N_ZERO, N_INT, N_DOT, N_FRAC, N_EXP, N_EXP_SIGN, N_EXP_DIGIT, NUM_MORE, NUM_DONE, NUM_BAD,
  E_CONTROL, E_ESCAPE, E_HEX, E_NUMBER, E_LITERAL, E_VALUE, E_KEY, E_COLON, E_OBJECT_NEXT, E_ARRAY_NEXT, E_TRAILING,
  E_TRUNCATED, errorMessage, coreReset, coreResetDocument, keyBytes, keyUnit, valueNode, topIsObject, push, pop,
  nextIndex, valueDone, stage, fail, gaveUp,
} from "./scan_core";

// true, null and (after the f) alse as little-endian words, for reading a literal in one load.
// @ts-ignore: decorator
@inline const TRUE_WORD: u32 = 0x65757274;
// @ts-ignore: decorator
@inline const NULL_WORD: u32 = 0x6C6C756E;
// @ts-ignore: decorator
@inline const ALSE_WORD: u32 = 0x65736C61;

export { ScanCore, MAX_DEPTH, errorMessage, coreReset, coreResetDocument } from "./scan_core";

/** Streaming JSON usage scanner. See the file comment for the contract. */
export class UsageScanner {
  paths: UsagePaths;
  private block: StaticArray<u8>;
  /** The state; valid while this scanner lives (its memory is `block`). */
  core: ScanCore;

  constructor(paths: UsagePaths) {
    const block = new StaticArray<u8>(BLOCK_BYTES);
    const base = changetype<usize>(block);
    const c = changetype<ScanCore>(base);
    c.keyBuf = base + <usize>KEY_AT;
    c.kinds = base + <usize>KINDS_AT;
    c.nodeStack = base + <usize>NODES_AT;
    c.indexStack = base + <usize>INDEXES_AT;
    c.vals = base + <usize>VALS_AT;
    c.pend = base + <usize>PEND_AT;
    this.paths = paths;
    this.block = block;
    this.core = c;
    this.refreshPaths();
    this.reset();
  }

  /** Accept several root values separated by whitespace (NDJSON / JSON lines). */
  get multiDoc(): bool { return this.core.multiDoc != 0; }
  set multiDoc(v: bool) { this.core.multiDoc = v ? 1 : 0; }
  /** Bit (1 << FIELD_*) per committed count. */
  get found(): u32 { return this.core.found; }
  /** Bytes of generated-text strings seen (not staged: text that streamed was generated). */
  get textBytes(): i64 { return this.core.textBytes; }
  /** Root values completed since `reset`. */
  get docs(): i64 { return this.core.docs; }
  /** Bytes of the current document consumed so far. */
  get docOffset(): i64 { return this.core.docOffset; }
  /** Offset of the first bad byte in the document, -1 if none. */
  get errorOffset(): i64 { return this.core.errorOffset; }
  /** What was wrong ("" if nothing). */
  get error(): string { return errorMessage(this.core.errorCode); }

  /** Clears everything: counts, text bytes and parse state. No allocation. */
  reset(): void {
    coreReset(this.core);
  }

  /** Starts a new document, keeping committed counts and text bytes (one SSE event). */
  resetDocument(): void {
    coreResetDocument(this.core);
  }

  /** Replaces the path set (between documents). */
  setPaths(paths: UsagePaths): void {
    this.paths = paths;
    this.refreshPaths();
  }

  /** Re-reads the trie pointers (the path set rebuilds its tables when paths are added). */
  refreshPaths(): void {
    const c = this.core;
    c.trie = changetype<usize>(this.paths.table);
    c.blob = changetype<usize>(this.paths.blob);
  }

  /**
   * Scans bytes [ptr, ptr+len) of the document in place. Any split of a document into
   * feeds gives the same result. Does not allocate, never traps.
   */
  feed(ptr: usize, len: usize): void {
    this.refreshPaths();
    coreScan(this.core, ptr, len, false);
  }

  /**
   * Like `feed`, for one line of SSE `data`: stops before the first CR or LF (which end
   * the line) and returns how many bytes it consumed. Between two data lines of an event,
   * call `feedNewline`.
   */
  feedLine(ptr: usize, len: usize): usize {
    this.refreshPaths();
    return coreScan(this.core, ptr, len, true);
  }

  /** Feeds the "\n" that joins two data lines of one event. */
  feedNewline(): void {
    this.refreshPaths();
    coreScan(this.core, NEWLINE, 1, false);
  }

  /**
   * Ends the document; returns a SCAN_* status. A number at the end of the root is
   * complete here. Counts staged in an incomplete document are dropped.
   */
  finishDocument(): i32 {
    return coreFinishDocument(this.core);
  }

  /** Committed count of FIELD_* `field` (0 if not found). */
  value(field: i32): i64 {
    return <u32>field < <u32>FIELD_COUNT ? load<i64>(this.core.vals + (<usize>field << 3)) : 0;
  }
}

// ----------------------------------------------------------------------------------------
// The hot path: functions over the unmanaged core.

/** See UsageScanner.finishDocument. */
export function coreFinishDocument(c: ScanCore): i32 {
  let state = c.state;
  if (state == S_NUM && c.depth == 0) {
    const ns = c.numState;
    if (ns == N_ZERO || ns == N_INT || ns == N_FRAC || ns == N_EXP_DIGIT) {
      if (c.numMask != 0 && c.numOk != 0) stage(c, c.numMask, c.numVal);
      state = valueDone(c);
      c.state = state;
    }
  }
  if (state == S_DONE) return SCAN_OK;
  if (state == S_INVALID) return SCAN_INVALID;
  if (state == S_GAVE_UP) return SCAN_GAVE_UP;
  if (state == S_VALUE && c.depth == 0) return c.docs > 0 ? SCAN_OK : SCAN_EMPTY;
  c.errorOffset = c.docOffset;
  c.errorCode = E_TRUNCATED;
  return SCAN_INCOMPLETE;
}

/** Scans [ptr, ptr+len); in line mode stops before CR/LF. Returns bytes consumed. */
export function coreScan(c: ScanCore, ptr: usize, len: usize, lineMode: bool): usize {
  const end = ptr + len;
  let state = c.state;
  if (state >= S_INVALID) {
    const n = lineMode ? findEol(ptr, end) - ptr : len;
    c.docOffset += <i64>n;
    return n;
  }
  let p = ptr;
  let seg = ptr; // start of the not yet flushed part of the current string
  while (p < end) {
    if (state == S_STR) {
      let q = findStringSpecial(p, end);
      if (c.strMode != STR_KEY_TRACK) {
        // Complete escapes inside the feed are stepped over here (generated text has one
        // every few dozen bytes); a tracked key decodes its escapes below.
        while (q + 1 < end && load<u8>(q) == 0x5C) {
          const e = <i32>load<u8>(q + 1);
          if (isSimpleEscape(e)) q = findStringSpecial(q + 2, end);
          else if (e == 0x75 && q + 6 <= end && isHex4(q + 2)) q = findStringSpecial(q + 6, end);
          else break;
        }
      }
      if (q >= end) { p = end; break; }
      const b = <i32>load<u8>(q);
      if (b == 0x22) {
        p = q + 1;
        const mode = c.strMode;
        if (mode == STR_VALUE) {
          state = valueDone(c);
        } else if (mode == STR_TEXT) {
          c.textBytes += <i64>(q - seg);
          state = valueDone(c);
        } else {
          c.keyNode = mode == STR_KEY_SKIP ? -1 : closeKey(c, seg, q);
          // A key is almost always followed by its colon: take it here.
          if (p < end && load<u8>(p) == 0x3A) {
            p++;
            state = S_VALUE;
          } else {
            state = S_COLON;
          }
        }
        continue;
      }
      if (b == 0x5C) {
        // An escape the feed cuts, a bad one, or one in a tracked key: byte by byte.
        const mode = c.strMode;
        flushString(c, seg, q);
        if (mode == STR_TEXT) c.textBytes++;
        p = q + 1;
        state = S_ESC;
        continue;
      }
      if (lineMode && (b == 0x0A || b == 0x0D)) { p = q; break; }
      p = q;
      state = fail(c, p, ptr, E_CONTROL);
      break;
    }
    if (state == S_NUM) {
      p = number(c, p, end);
      const r = c.numResult;
      if (r == NUM_MORE) break;
      if (r == NUM_BAD) { state = fail(c, p, ptr, E_NUMBER); break; }
      state = valueDone(c);
      continue;
    }
    const b = <i32>load<u8>(p);
    if (state >= S_ESC) { // S_ESC, S_HEX, S_LIT
      if (lineMode && (b == 0x0A || b == 0x0D)) break;
      if (state == S_LIT) {
        if (b != <i32>load<u8>(c.litPtr + <usize>c.litPos)) { state = fail(c, p, ptr, E_LITERAL); break; }
        p++;
        if (++c.litPos == c.litLen) state = valueDone(c);
        continue;
      }
      const mode = c.strMode;
      if (state == S_ESC) {
        if (b == 0x75) {
          c.hexCount = 0;
          c.hexVal = 0;
          state = S_HEX;
        } else if (isSimpleEscape(b)) {
          if (mode == STR_KEY_TRACK) keyUnit(c, simpleEscapeValue(b));
          state = S_STR;
        } else { state = fail(c, p, ptr, E_ESCAPE); break; }
      } else {
        const h = hexValue(b);
        if (h < 0) { state = fail(c, p, ptr, E_HEX); break; }
        c.hexVal = (c.hexVal << 4) | h;
        if (++c.hexCount == 4) {
          if (mode == STR_KEY_TRACK) keyUnit(c, c.hexVal);
          state = S_STR;
        }
      }
      if (mode == STR_TEXT) c.textBytes++;
      p++;
      seg = p;
      continue;
    }
    // Structural states.
    if (b <= 0x20 && (b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09)) {
      if (lineMode && (b == 0x0A || b == 0x0D)) break;
      p++;
      // The rest of the run (indentation) in one loop; in line mode a line end stops it.
      while (p < end) {
        const w = <i32>load<u8>(p);
        if (w != 0x20 && w != 0x09 && (lineMode || (w != 0x0A && w != 0x0D))) break;
        p++;
      }
      continue;
    }
    switch (state) {
      case S_VALUE:
      case S_ARR_FIRST: {
        if (b == 0x5D && state == S_ARR_FIRST) {
          pop(c);
          p++;
          state = valueDone(c);
          break;
        }
        if (c.depth > 0 && !topIsObject(c) && isScalarStart(b)) {
          const q = elements(c, p, end, lineMode, state);
          if (q != p) {
            p = q;
            state = c.state;
            seg = p;
            break;
          }
          // Not a whole scalar (the feed cuts it, or it is bad): read below.
        }
        const vn = valueNode(c);
        if (b == 0x22) {
          // A string that ends in this feed without escapes is read here; otherwise it
          // continues in S_STR from its first special byte.
          const text = vn >= 0 && trieText(c.trie, vn);
          p++;
          const q = findStringSpecial(p, end);
          if (q < end && load<u8>(q) == 0x22) {
            if (text) c.textBytes += <i64>(q - p);
            p = q + 1;
            state = valueDone(c);
          } else {
            c.strMode = text ? STR_TEXT : STR_VALUE;
            seg = p;
            p = q;
            state = S_STR;
          }
        } else if (b == 0x7B) {
          if (!push(c, 1, vn >= 0 && trieHasKeyKids(c.trie, vn) ? vn : -1)) { state = gaveUp(c, p, ptr); break; }
          p++;
          state = S_OBJ_FIRST;
        } else if (b == 0x5B) {
          if (!push(c, 0, vn >= 0 && trieHasIndexKids(c.trie, vn) ? vn : -1)) { state = gaveUp(c, p, ptr); break; }
          p++;
          state = S_ARR_FIRST;
        } else if (<u32>(b - 0x30) < 10 || b == 0x2D) {
          // A number that ends in this feed is read in one go; one the feed cuts (or a
          // bad one) goes through `number` byte by byte from its first byte.
          const mask = vn >= 0 ? trieFields(c.trie, vn) : 0;
          const q = wholeNumber(c, p, end, mask);
          if (q > p) {
            p = q;
            state = valueDone(c);
            break;
          }
          c.numMask = mask;
          c.numOk = b != 0x2D ? 1 : 0;
          c.numState = b == 0x2D ? N_MINUS : b == 0x30 ? N_ZERO : N_INT;
          c.numVal = b == 0x2D ? 0 : <u64>(b - 0x30);
          p++;
          state = S_NUM;
        } else if (b == 0x74 && p + 4 <= end && load<u32>(p) == TRUE_WORD) {
          p += 4;
          state = valueDone(c);
        } else if (b == 0x6E && p + 4 <= end && load<u32>(p) == NULL_WORD) {
          p += 4;
          state = valueDone(c);
        } else if (b == 0x66 && p + 5 <= end && load<u32>(p + 1) == ALSE_WORD) {
          p += 5;
          state = valueDone(c);
        } else if (b == 0x74 || b == 0x66 || b == 0x6E) {
          // A literal split across feeds, or a wrong one: byte by byte.
          c.litPtr = b == 0x74 ? LIT_TRUE : b == 0x66 ? LIT_FALSE : LIT_NULL;
          c.litLen = b == 0x66 ? 5 : 4;
          c.litPos = 1;
          p++;
          state = S_LIT;
        } else {
          state = fail(c, p, ptr, E_VALUE);
        }
        break;
      }
      case S_OBJ_FIRST:
      case S_OBJ_KEY: {
        if (b == 0x22) {
          p = members(c, p, end, lineMode);
          state = c.state;
          seg = p;
        } else if (b == 0x7D && state == S_OBJ_FIRST) {
          pop(c);
          p++;
          state = valueDone(c);
        } else {
          state = fail(c, p, ptr, E_KEY);
        }
        break;
      }
      case S_COLON: {
        if (b == 0x3A) { p++; state = S_VALUE; } else state = fail(c, p, ptr, E_COLON);
        break;
      }
      case S_AFTER: {
        const inObject = topIsObject(c);
        if (b == 0x2C) {
          p++;
          if (inObject) state = S_OBJ_KEY;
          else { nextIndex(c); state = S_VALUE; }
        } else if ((b == 0x7D && inObject) || (b == 0x5D && !inObject)) {
          pop(c);
          p++;
          state = valueDone(c);
        } else {
          state = fail(c, p, ptr, inObject ? E_OBJECT_NEXT : E_ARRAY_NEXT);
        }
        break;
      }
      default: { // S_DONE
        if (c.multiDoc != 0) {
          c.pendMask = 0;
          c.depth = 0;
          c.curNode = 0;
          state = S_VALUE;
        } else {
          state = fail(c, p, ptr, E_TRAILING);
        }
        break;
      }
    }
    if (state >= S_INVALID) break;
  }
  // Account for the part of a string this feed saw.
  if (state == S_STR) flushString(c, seg, p);
  if (state >= S_INVALID) p = lineMode ? findEol(p, end) : end;
  c.state = state;
  c.docOffset += <i64>(p - ptr);
  return p - ptr;
}

// Consumes number bytes from p; stops at the first byte that does not belong to the
// number (NUM_DONE, not consumed) or at a grammar error (NUM_BAD, p at the bad byte).
function number(c: ScanCore, p: usize, end: usize): usize {
  let ns = c.numState;
  let v = c.numVal;
  let ok = c.numOk;
  const track = c.numMask != 0;
  let result = NUM_MORE;
  while (p < end) {
    const b = <i32>load<u8>(p);
    const d = b - 0x30;
    if (<u32>d < 10) {
      if (ns == N_INT) {
        if (track) {
          // Saturate at 2^63-1 instead of wrapping.
          if (v > 922337203685477580 || (v == 922337203685477580 && d > 7)) v = <u64>I64_MAX;
          else v = v * 10 + <u64>d;
        }
      } else if (ns == N_MINUS) {
        ns = d == 0 ? N_ZERO : N_INT;
      } else if (ns == N_DOT || ns == N_FRAC) {
        ns = N_FRAC;
        if (d != 0) ok = 0;
      } else if (ns == N_EXP || ns == N_EXP_SIGN) {
        ns = N_EXP_DIGIT;
      } else if (ns == N_ZERO) {
        result = NUM_BAD; // leading zero
        break;
      }
      p++;
      continue;
    }
    if (b == 0x2E) {
      if (ns != N_ZERO && ns != N_INT) { result = NUM_BAD; break; }
      ns = N_DOT;
    } else if (b == 0x65 || b == 0x45) {
      if (ns != N_ZERO && ns != N_INT && ns != N_FRAC) { result = NUM_BAD; break; }
      ns = N_EXP;
      ok = 0;
    } else if (b == 0x2B || b == 0x2D) {
      if (ns != N_EXP) { result = NUM_BAD; break; }
      ns = N_EXP_SIGN;
    } else {
      if (ns == N_ZERO || ns == N_INT || ns == N_FRAC || ns == N_EXP_DIGIT) {
        if (track && ok != 0) stage(c, c.numMask, v);
        result = NUM_DONE;
      } else {
        result = NUM_BAD;
      }
      break;
    }
    p++;
  }
  c.numState = ns;
  c.numVal = v;
  c.numOk = ok;
  c.numResult = result;
  return p;
}

// Closing quote at q of a key in an object a path enters: the trie node it selects. A key
// read whole in this feed without escapes is looked up where it lies; otherwise it was
// collected in the key buffer.
function closeKey(c: ScanCore, seg: usize, q: usize): i32 {
  if (c.keyLen == 0 && c.keyOverflow == 0 && c.keyHigh == 0) return lookupKey(c, seg, q - seg);
  flushString(c, seg, q);
  if (c.keyHigh != 0) c.keyOverflow = 1; // lone surrogate: matches nothing
  return c.keyOverflow != 0 ? -1 : lookupKey(c, c.keyBuf, <usize>c.keyLen);
}

// The members of an object, read in one loop while they are plain: a key that ends in this
// feed without escapes (looked up where it lies), its colon, a scalar value, the comma and
// the next key. Anything else -- an escape, a container, a byte out of place, the end of
// the feed -- returns where the byte-by-byte machine takes over, its state in `c.state`
// (S_STR: the string's content starts at the returned address). `p` is at a key's quote.
function members(c: ScanCore, p: usize, end: usize, lineMode: bool): usize {
  const track = c.curNode >= 0;
  let state = S_OBJ_KEY;
  while (true) {
    // p is at the key's opening quote.
    const k = p + 1;
    const q = findStringSpecial(k, end);
    if (q >= end || load<u8>(q) != 0x22) {
      if (track) {
        c.strMode = STR_KEY_TRACK;
        c.keyLen = 0;
        c.keyOverflow = 0;
        c.keyHigh = 0;
      } else {
        c.strMode = STR_KEY_SKIP;
      }
      c.state = S_STR;
      return k;
    }
    const vn = track ? lookupKey(c, k, q - k) : -1;
    c.keyNode = vn;
    p = skipSpace(q + 1, end, lineMode);
    if (p >= end || load<u8>(p) != 0x3A) { state = S_COLON; break; }
    p = skipSpace(p + 1, end, lineMode);
    state = S_VALUE;
    if (p >= end) break;
    // The value (its trie node is the key's): a scalar completes here.
    const e = scalarValue(c, p, end, vn);
    if (scalarCut) return e;
    if (e == p) break; // a container, a number or literal the feed cuts, an error
    p = e;
    state = valueDone(c);
    p = skipSpace(p, end, lineMode);
    if (p >= end) break;
    const a = <i32>load<u8>(p);
    if (a == 0x2C) {
      p = skipSpace(p + 1, end, lineMode);
      state = S_OBJ_KEY;
      if (p < end && load<u8>(p) == 0x22) continue;
    } else if (a == 0x7D) {
      pop(c);
      p++;
      state = valueDone(c);
    }
    break;
  }
  c.state = state;
  return p;
}

// The elements of an array, read in one loop while they are scalars that end in this feed
// (the array of floats of an embedding, say): the value, the comma, the next value. As in
// `members`, anything else returns where the byte-by-byte machine takes over, its state in
// `c.state`. `p` is at the first byte of a scalar; `state` is S_VALUE or S_ARR_FIRST.
function elements(c: ScanCore, p: usize, end: usize, lineMode: bool, state: i32): usize {
  while (true) {
    const e = scalarValue(c, p, end, valueNode(c));
    if (scalarCut) return e;
    if (e == p) break; // a literal the feed cuts, or a bad one
    p = e;
    state = valueDone(c);
    p = skipSpace(p, end, lineMode);
    if (p >= end) break;
    const a = <i32>load<u8>(p);
    if (a == 0x2C) {
      nextIndex(c);
      p = skipSpace(p + 1, end, lineMode);
      state = S_VALUE;
      if (p < end && isScalarStart(<i32>load<u8>(p))) continue;
    } else if (a == 0x5D) {
      pop(c);
      p++;
      state = valueDone(c);
    }
    break;
  }
  c.state = state;
  return p;
}

// Set by `scalarValue` when a string value is cut by the feed.
let scalarCut = false;

// The scalar at p (a string, a number or a literal, for trie node `vn`) when it ends in
// this feed, for the member and element loops: returns the address after it, or p when the
// byte-by-byte machine must read it (a container, a number or literal the feed cuts, an
// error). A string the feed cuts is handed to the machine here: its mode set, c.state
// S_STR, `scalarCut` set, and the address after its opening quote returned.
// @ts-ignore: decorator
@inline function scalarValue(c: ScanCore, p: usize, end: usize, vn: i32): usize {
  scalarCut = false;
  const v = <i32>load<u8>(p);
  if (v == 0x22) {
    const s0 = p + 1;
    const e = findStringSpecial(s0, end);
    const text = vn >= 0 && trieText(c.trie, vn);
    if (e >= end || load<u8>(e) != 0x22) {
      c.strMode = text ? STR_TEXT : STR_VALUE;
      c.state = S_STR;
      scalarCut = true;
      return s0;
    }
    if (text) c.textBytes += <i64>(e - s0);
    return e + 1;
  }
  if (<u32>(v - 0x30) < 10 || v == 0x2D) return wholeNumber(c, p, end, vn >= 0 ? trieFields(c.trie, vn) : 0);
  if (v == 0x74 && p + 4 <= end && load<u32>(p) == TRUE_WORD) return p + 4;
  if (v == 0x6E && p + 4 <= end && load<u32>(p) == NULL_WORD) return p + 4;
  if (v == 0x66 && p + 5 <= end && load<u32>(p + 1) == ALSE_WORD) return p + 5;
  return p;
}

// True for the first byte of a string, a number or a literal.
// @ts-ignore: decorator
@inline function isScalarStart(b: i32): bool {
  return b == 0x22 || <u32>(b - 0x30) < 10 || b == 0x2D || b == 0x74 || b == 0x66 || b == 0x6E;
}

// A number (RFC 8259) starting at p (a digit or '-') that ends before `end`: stages its
// value for `mask` when it counts (a non-negative integer, or one with a zero fraction)
// and returns the address after it. Returns p when the number is invalid or may go on in
// the next feed; `number` then reads it byte by byte from p, as if this had not run.
function wholeNumber(c: ScanCore, p: usize, end: usize, mask: u32): usize {
  let q = p;
  let ok = true;
  if (load<u8>(q) == 0x2D) {
    ok = false;
    q++;
    if (q >= end) return p;
  }
  let v: u64 = 0;
  let d = <i32>load<u8>(q) - 0x30;
  if (d == 0) {
    q++;
  } else if (<u32>d < 10) {
    do {
      // Saturate at 2^63-1 instead of wrapping.
      if (v > 922337203685477580 || (v == 922337203685477580 && d > 7)) v = <u64>I64_MAX;
      else v = v * 10 + <u64>d;
      q++;
      if (q >= end) return p;
      d = <i32>load<u8>(q) - 0x30;
    } while (<u32>d < 10);
  } else {
    return p;
  }
  if (q >= end) return p;
  let t = <i32>load<u8>(q);
  if (t == 0x2E) {
    q++;
    if (q >= end || <u32>(<i32>load<u8>(q) - 0x30) >= 10) return p;
    do {
      if (load<u8>(q) != 0x30) ok = false;
      q++;
      if (q >= end) return p;
    } while (<u32>(<i32>load<u8>(q) - 0x30) < 10);
    t = <i32>load<u8>(q);
  }
  if ((t | 0x20) == 0x65) {
    ok = false;
    q++;
    if (q >= end) return p;
    t = <i32>load<u8>(q);
    if (t == 0x2B || t == 0x2D) {
      q++;
      if (q >= end) return p;
    }
    if (<u32>(<i32>load<u8>(q) - 0x30) >= 10) return p;
    do {
      q++;
      if (q >= end) return p;
    } while (<u32>(<i32>load<u8>(q) - 0x30) < 10);
    t = <i32>load<u8>(q);
  }
  // What follows must end the number (a digit here is one after a leading zero).
  if (<u32>(t - 0x30) < 10 || t == 0x2E || (t | 0x20) == 0x65 || t == 0x2B || t == 0x2D) return p;
  if (mask != 0 && ok) stage(c, mask, v);
  return q;
}

// The first byte in [p, end) that is not JSON whitespace; in line mode also stops at a
// line end (the caller ends the line there).
// @ts-ignore: decorator
@inline function skipSpace(p: usize, end: usize, lineMode: bool): usize {
  while (p < end) {
    const w = <i32>load<u8>(p);
    if (w > 0x20 || (w != 0x20 && w != 0x09 && (lineMode || (w != 0x0A && w != 0x0D)))) break;
    p++;
  }
  return p;
}

// The trie node of key [ptr, ptr+n) in the innermost object (a path enters it).
// @ts-ignore: decorator
@inline function lookupKey(c: ScanCore, ptr: usize, n: usize): i32 {
  const node = c.curNode;
  if (n > <usize>MAX_KEY_BYTES || !trieMayHaveKey(c.trie, node, ptr, n)) return -1;
  return trieLookupKey(c.trie, c.blob, node, ptr, <i32>n);
}

// Accounts for string bytes [seg, to) before an escape or the end of a feed.
// @ts-ignore: decorator
@inline function flushString(c: ScanCore, seg: usize, to: usize): void {
  const mode = c.strMode;
  if (mode == STR_TEXT) c.textBytes += <i64>(to - seg);
  else if (mode == STR_KEY_TRACK && to > seg) keyBytes(c, seg, to - seg);
}

