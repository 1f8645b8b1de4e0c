// The response scanner as it was before its fast paths (scanner.ts at 10cbce1), kept only as
// the reference the equivalence test compares the scanner with: same state block, same
// inputs, and every observable result must be identical. Not part of the product.

import { trieFields, trieText, trieHasKeyKids, trieHasIndexKids } from "../paths";
import { I64_MAX } from "../fields";
import { findStringSpecial, findEol, hexValue, isSimpleEscape, simpleEscapeValue, isHex4 } from "../swar";
import { SCAN_OK, SCAN_EMPTY, SCAN_INCOMPLETE, SCAN_INVALID, SCAN_GAVE_UP } from "../usage";
import {
  ScanCore, LIT_TRUE, LIT_FALSE, LIT_NULL,
  S_VALUE, S_ARR_FIRST, S_OBJ_FIRST, S_OBJ_KEY, S_COLON, S_AFTER, S_DONE, S_STR, S_ESC, S_HEX, S_NUM, S_LIT,
  S_INVALID, S_GAVE_UP, STR_VALUE, STR_TEXT, STR_KEY_SKIP, STR_KEY_TRACK,
  N_MINUS, N_ZERO, N_INT, N_DOT, N_FRAC, N_EXP, N_EXP_SIGN, N_EXP_DIGIT, NUM_MORE, NUM_DONE, NUM_BAD,
  E_CONTROL, E_ESCAPE, E_HEX, E_NUMBER, E_LITERAL, E_VALUE, E_KEY, E_COLON, E_OBJECT_NEXT, E_ARRAY_NEXT, E_TRAILING,
  E_TRUNCATED, keyBytes, keyUnit, valueNode, topIsObject, push, pop, nextIndex, valueDone, stage, fail, gaveUp,
} from "../scan_core";

// The trie key lookup as it was (memory.compare per candidate key).
function refLookupKey(tab: usize, blob: usize, n: i32, ptr: usize, len: i32): i32 {
  let e = load<i32>(tab + (<usize>(n * 8 + 2) << 2));
  const count = load<i32>(tab + (<usize>(n * 8 + 3) << 2));
  for (let i = 0; i < count; i++, e += 3) {
    if (load<i32>(tab + (<usize>(e + 2) << 2)) == len &&
      memory.compare(blob + <usize>load<i32>(tab + (<usize>(e + 1) << 2)), ptr, <usize>len) == 0) {
      return load<i32>(tab + (<usize>e << 2));
    }
  }
  return -1;
}

/** See UsageScanner.finishDocument. */
export function refFinishDocument(c: ScanCore): i32 {
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
export function refScan(c: ScanCore, ptr: usize, len: usize, lineMode: bool): usize {
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
      const q = findStringSpecial(p, end);
      if (q >= end) { p = end; break; }
      const b = <i32>load<u8>(q);
      if (b == 0x22) {
        p = q + 1;
        state = refCloseString(c, seg, q);
        continue;
      }
      if (b == 0x5C) {
        const mode = c.strMode;
        if (mode != STR_KEY_TRACK && q + 1 < end) {
          // Complete escapes inside the chunk stay on the fast path.
          const e = <i32>load<u8>(q + 1);
          if (isSimpleEscape(e)) { p = q + 2; continue; }
          if (e == 0x75 && q + 6 <= end && isHex4(q + 2)) { p = q + 6; continue; }
        }
        refFlushString(c, seg, q);
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
      p = refNumber(c, p, end);
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
        const vn = valueNode(c);
        if (b == 0x22) {
          c.strMode = vn >= 0 && trieText(c.trie, vn) ? STR_TEXT : STR_VALUE;
          p++;
          seg = p;
          state = S_STR;
        } else if (b == 0x7B) {
          if (!push(c, 1, vn >= 0 && trieHasKeyKids(c.trie, vn) ? vn : -1)) { state = gaveUp(c, p, ptr); break; }
          p++;
          state = S_OBJ_FIRST;
        } else if (b == 0x5B) {
          if (!push(c, 0, vn >= 0 && trieHasIndexKids(c.trie, vn) ? vn : -1)) { state = gaveUp(c, p, ptr); break; }
          p++;
          state = S_ARR_FIRST;
        } else if (<u32>(b - 0x30) < 10 || b == 0x2D) {
          c.numMask = vn >= 0 ? trieFields(c.trie, vn) : 0;
          c.numOk = b != 0x2D ? 1 : 0;
          c.numState = b == 0x2D ? N_MINUS : b == 0x30 ? N_ZERO : N_INT;
          c.numVal = b == 0x2D ? 0 : <u64>(b - 0x30);
          p++;
          state = S_NUM;
        } else if (b == 0x74 || b == 0x66 || b == 0x6E) {
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
          if (c.curNode >= 0) {
            c.strMode = STR_KEY_TRACK;
            c.keyLen = 0;
            c.keyOverflow = 0;
            c.keyHigh = 0;
          } else {
            c.strMode = STR_KEY_SKIP;
          }
          p++;
          seg = p;
          state = S_STR;
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
  if (state == S_STR) refFlushString(c, seg, p);
  if (state >= S_INVALID) p = lineMode ? findEol(p, end) : end;
  c.state = state;
  c.docOffset += <i64>(p - ptr);
  return p - ptr;
}

// Consumes number bytes from p; stops at the first byte that does not belong to the
// number (NUM_DONE, not consumed) or at a grammar error (NUM_BAD, p at the bad byte).
function refNumber(c: ScanCore, p: usize, end: usize): usize {
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

// Closing quote at q: the string [seg, q) ends.
function refCloseString(c: ScanCore, seg: usize, q: usize): i32 {
  const mode = c.strMode;
  if (mode == STR_KEY_SKIP) {
    c.keyNode = -1;
    return S_COLON;
  }
  if (mode == STR_KEY_TRACK) {
    refFlushString(c, seg, q);
    if (c.keyHigh != 0) c.keyOverflow = 1; // lone surrogate: matches nothing
    c.keyNode = c.keyOverflow != 0 ? -1 : refLookupKey(c.trie, c.blob, c.curNode, c.keyBuf, c.keyLen);
    return S_COLON;
  }
  if (mode == STR_TEXT) c.textBytes += <i64>(q - seg);
  return valueDone(c);
}

// Accounts for string bytes [seg, to) before an escape or the end of a feed.
// @ts-ignore: decorator
@inline function refFlushString(c: ScanCore, seg: usize, to: usize): void {
  const mode = c.strMode;
  if (mode == STR_TEXT) c.textBytes += <i64>(to - seg);
  else if (mode == STR_KEY_TRACK && to > seg) keyBytes(c, seg, to - seg);
}

