// The scanner's state and the small operations on it, shared by the hot loop in
// scanner.ts. The state lives in one block of memory per scanner (ScanCore plus its
// buffers); the hot path passes it around as an unmanaged pointer, so no garbage-collector
// bookkeeping happens per byte or per token.

import { MAX_PATH_SEGMENTS, MAX_KEY_BYTES, trieLookupIndex } from "./paths";
import { FIELD_COUNT } from "./fields";

/** Deepest nesting of objects and arrays the scanner follows; deeper -> gave up. */
export const MAX_DEPTH: i32 = 1024;
// Containers deeper than the longest path cannot be on a path: no node is kept for them.
export const TRACK_DEPTH: i32 = MAX_PATH_SEGMENTS + 1;

// Parser states. Structural states first; S_STR..S_LIT are inside a value.
export const S_VALUE: i32 = 0;     // a value is expected (document start, after ':', after ',' in an array)
export const S_ARR_FIRST: i32 = 1; // after '[': a value or ']'
export const S_OBJ_FIRST: i32 = 2; // after '{': a key or '}'
export const S_OBJ_KEY: i32 = 3;   // after ',' in an object: a key
export const S_COLON: i32 = 4;     // after a key
export const S_AFTER: i32 = 5;     // after a value in a container: ',' or the closing bracket
export const S_DONE: i32 = 6;      // the root value is complete: only whitespace may follow
export const S_STR: i32 = 7;       // inside a string (key or value)
export const S_ESC: i32 = 8;       // after a backslash
export const S_HEX: i32 = 9;       // inside the four hex digits of \uXXXX
export const S_NUM: i32 = 10;
export const S_LIT: i32 = 11;      // inside true / false / null
export const S_INVALID: i32 = 12;
export const S_GAVE_UP: i32 = 13;

// What the current string is.
export const STR_VALUE: i32 = 0;     // a value nobody asked for
export const STR_TEXT: i32 = 1;      // a generated-text value: count its bytes
export const STR_KEY_SKIP: i32 = 2;  // a key in an object no path enters
export const STR_KEY_TRACK: i32 = 3; // a key in an object a path enters: collect and look up

// Number grammar states (RFC 8259).
export const N_MINUS: i32 = 0;
export const N_ZERO: i32 = 1;
export const N_INT: i32 = 2;
export const N_DOT: i32 = 3;
export const N_FRAC: i32 = 4;
export const N_EXP: i32 = 5;
export const N_EXP_SIGN: i32 = 6;
export const N_EXP_DIGIT: i32 = 7;

// Result of the number sub-scanner.
export const NUM_MORE: i32 = 0;
export const NUM_DONE: i32 = 1;
export const NUM_BAD: i32 = 2;

// Error codes (the messages are in `errorMessage`).
export const E_NONE: i32 = 0;
export const E_CONTROL: i32 = 1;
export const E_ESCAPE: i32 = 2;
export const E_HEX: i32 = 3;
export const E_NUMBER: i32 = 4;
export const E_LITERAL: i32 = 5;
export const E_VALUE: i32 = 6;
export const E_KEY: i32 = 7;
export const E_COLON: i32 = 8;
export const E_OBJECT_NEXT: i32 = 9;
export const E_ARRAY_NEXT: i32 = 10;
export const E_TRAILING: i32 = 11;
export const E_DEPTH: i32 = 12;
export const E_TRUNCATED: i32 = 13;

export const LIT_TRUE: usize = memory.data<u8>([0x74, 0x72, 0x75, 0x65]);
export const LIT_FALSE: usize = memory.data<u8>([0x66, 0x61, 0x6C, 0x73, 0x65]);
export const LIT_NULL: usize = memory.data<u8>([0x6E, 0x75, 0x6C, 0x6C]);
export const NEWLINE: usize = memory.data<u8>([0x0A]);

/**
 * The scanner's state, in a block of memory owned by a UsageScanner. Unmanaged: the hot
 * path passes it around as a plain pointer.
 */
// @ts-ignore: decorator
@unmanaged export class ScanCore {
  state: i32;
  depth: i32;
  curNode: i32;     // trie node of the innermost container, -1 if no path enters it
  keyNode: i32;     // trie node the last key selected
  strMode: i32;
  hexCount: i32;
  hexVal: i32;
  numState: i32;
  numOk: i32;
  numMask: u32;
  numResult: i32;
  litPos: i32;
  litLen: i32;
  keyLen: i32;
  keyOverflow: i32;
  keyHigh: i32;     // pending high surrogate of a \u escape in a tracked key
  pendMask: u32;
  found: u32;
  multiDoc: i32;
  errorCode: i32;
  numVal: u64;
  textBytes: i64;
  docs: i64;
  docOffset: i64;
  errorOffset: i64;
  litPtr: usize;
  trie: usize;      // flat trie table and key blob (owned by the UsagePaths)
  blob: usize;
  keyBuf: usize;    // MAX_KEY_BYTES
  kinds: usize;     // MAX_DEPTH bits: 1 = object
  nodeStack: usize; // TRACK_DEPTH i32
  indexStack: usize; // TRACK_DEPTH i32
  vals: usize;      // FIELD_COUNT i64, committed
  pend: usize;      // FIELD_COUNT i64, staged
}

// Layout of the block: the core, then its buffers (8-byte aligned).
export const CORE_BYTES: i32 = (offsetof<ScanCore>() + 7) & ~7;
export const KEY_AT: i32 = CORE_BYTES;
export const KINDS_AT: i32 = KEY_AT + MAX_KEY_BYTES;
export const NODES_AT: i32 = KINDS_AT + (MAX_DEPTH >> 3);
export const INDEXES_AT: i32 = NODES_AT + TRACK_DEPTH * 4;
export const VALS_AT: i32 = (INDEXES_AT + TRACK_DEPTH * 4 + 7) & ~7;
export const PEND_AT: i32 = VALS_AT + FIELD_COUNT * 8;
export const BLOCK_BYTES: i32 = PEND_AT + FIELD_COUNT * 8;

/** Message for a scanner error code. */
export function errorMessage(code: i32): string {
  switch (code) {
    case E_NONE: return "";
    case E_CONTROL: return "control character in string";
    case E_ESCAPE: return "invalid escape";
    case E_HEX: return "invalid \\u escape";
    case E_NUMBER: return "invalid number";
    case E_LITERAL: return "invalid literal";
    case E_VALUE: return "expected a value";
    case E_KEY: return "expected a key";
    case E_COLON: return "expected ':'";
    case E_OBJECT_NEXT: return "expected ',' or '}'";
    case E_ARRAY_NEXT: return "expected ',' or ']'";
    case E_TRAILING: return "unexpected bytes after the JSON value";
    case E_DEPTH: return "nesting deeper than 1024 levels";
    case E_TRUNCATED: return "document ends inside a value";
    default: return "invalid JSON";
  }
}

// ----------------------------------------------------------------------------------------

/** Resets counts and parse state. */
export function coreReset(c: ScanCore): void {
  c.found = 0;
  memory.fill(c.vals, 0, <usize>(FIELD_COUNT * 8));
  c.textBytes = 0;
  c.docs = 0;
  coreResetDocument(c);
}

/** Starts a new document (counts and text bytes stay). */
export function coreResetDocument(c: ScanCore): void {
  c.pendMask = 0;
  c.state = S_VALUE;
  c.depth = 0;
  c.curNode = 0;
  c.keyNode = -1;
  c.docOffset = 0;
  c.errorOffset = -1;
  c.errorCode = E_NONE;
}

/** Appends bytes [ptr, ptr+n) to a tracked key; past MAX_KEY_BYTES the key matches nothing. */
export function keyBytes(c: ScanCore, ptr: usize, n: usize): void {
  if (c.keyHigh != 0) { c.keyOverflow = 1; c.keyHigh = 0; }
  if (c.keyOverflow != 0) return;
  if (<usize>c.keyLen + n > <usize>MAX_KEY_BYTES) { c.keyOverflow = 1; return; }
  memory.copy(c.keyBuf + <usize>c.keyLen, ptr, n);
  c.keyLen += <i32>n;
}

/** Appends one byte to a tracked key (see keyBytes). */
export function keyByte(c: ScanCore, b: i32): void {
  if (c.keyLen >= MAX_KEY_BYTES) { c.keyOverflow = 1; return; }
  store<u8>(c.keyBuf + <usize>c.keyLen, <u8>b);
  c.keyLen++;
}

/** Appends a decoded \u code unit of a tracked key as UTF-8 (pairs join; a lone surrogate matches nothing). */
export function keyUnit(c: ScanCore, u: i32): void {
  if (c.keyOverflow != 0) return;
  const high = c.keyHigh;
  if (high != 0) {
    c.keyHigh = 0;
    if (u < 0xDC00 || u > 0xDFFF) { c.keyOverflow = 1; return; }
    const cp = 0x10000 + ((high - 0xD800) << 10) + (u - 0xDC00);
    keyByte(c, 0xF0 | (cp >> 18));
    keyByte(c, 0x80 | ((cp >> 12) & 0x3F));
    keyByte(c, 0x80 | ((cp >> 6) & 0x3F));
    keyByte(c, 0x80 | (cp & 0x3F));
    return;
  }
  if (u >= 0xD800 && u <= 0xDBFF) { c.keyHigh = u; return; }
  if (u >= 0xDC00 && u <= 0xDFFF) { c.keyOverflow = 1; return; }
  if (u < 0x80) {
    keyByte(c, u);
  } else if (u < 0x800) {
    keyByte(c, 0xC0 | (u >> 6));
    keyByte(c, 0x80 | (u & 0x3F));
  } else {
    keyByte(c, 0xE0 | (u >> 12));
    keyByte(c, 0x80 | ((u >> 6) & 0x3F));
    keyByte(c, 0x80 | (u & 0x3F));
  }
}

/** Trie node of the value that starts now (-1: no path reaches it). */
// @ts-ignore: decorator
@inline export function valueNode(c: ScanCore): i32 {
  const d = c.depth;
  if (d == 0) return 0;
  const cur = c.curNode;
  if (cur < 0) return -1;
  if (topIsObject(c)) return c.keyNode;
  return trieLookupIndex(c.trie, cur, load<i32>(c.indexStack + (<usize>(d - 1) << 2)));
}

/** True if the innermost open container is an object (depth >= 1). */
// @ts-ignore: decorator
@inline export function topIsObject(c: ScanCore): bool {
  const i = c.depth - 1;
  return (load<u32>(c.kinds + (<usize>(i >> 5) << 2)) & (<u32>1 << <u32>(i & 31))) != 0;
}

/** Opens a container at the next depth; false past MAX_DEPTH (the caller gives up). */
export function push(c: ScanCore, isObject: i32, node: i32): bool {
  const d = c.depth;
  if (d >= MAX_DEPTH) return false;
  const at = c.kinds + (<usize>(d >> 5) << 2);
  const bit = <u32>1 << <u32>(d & 31);
  const k = load<u32>(at);
  store<u32>(at, isObject != 0 ? k | bit : k & ~bit);
  if (d < TRACK_DEPTH) {
    store<i32>(c.nodeStack + (<usize>d << 2), node);
    store<i32>(c.indexStack + (<usize>d << 2), 0);
    c.curNode = node;
  } else {
    c.curNode = -1;
  }
  c.depth = d + 1;
  return true;
}

/** Closes the innermost container (depth >= 1). */
// @ts-ignore: decorator
@inline export function pop(c: ScanCore): void {
  const d = c.depth - 1;
  c.depth = d;
  if (d == 0) c.curNode = 0;
  else c.curNode = d - 1 < TRACK_DEPTH ? load<i32>(c.nodeStack + (<usize>(d - 1) << 2)) : -1;
}

/** Moves a tracked array to its next element (saturating). */
export function nextIndex(c: ScanCore): void {
  const i = c.depth - 1;
  if (i < TRACK_DEPTH && c.curNode >= 0) {
    const at = c.indexStack + (<usize>i << 2);
    const v = load<i32>(at);
    if (v < i32.MAX_VALUE) store<i32>(at, v + 1);
  }
}

/** A value just completed: commits staged counts at the root's members; the next state. */
// @ts-ignore: decorator
@inline export function valueDone(c: ScanCore): i32 {
  const d = c.depth;
  if (d <= 1) {
    if (c.pendMask != 0) commit(c);
    if (d == 0) {
      c.docs++;
      return S_DONE;
    }
  }
  return S_AFTER;
}

/** Stages `v` for the fields in `mask` until the enclosing root member completes. */
export function stage(c: ScanCore, mask: u32, v: u64): void {
  for (let i = 0; i < FIELD_COUNT; i++) {
    if ((mask & (<u32>1 << <u32>i)) != 0) store<i64>(c.pend + (<usize>i << 3), <i64>v);
  }
  c.pendMask |= mask;
}

/** Makes the staged counts the result (last wins). */
export function commit(c: ScanCore): void {
  const m = c.pendMask;
  for (let i = 0; i < FIELD_COUNT; i++) {
    if ((m & (<u32>1 << <u32>i)) != 0) store<i64>(c.vals + (<usize>i << 3), load<i64>(c.pend + (<usize>i << 3)));
  }
  c.found |= m;
  c.pendMask = 0;
}

/** Records invalid JSON at `at` (feed started at `ptr`); the next state. */
export function fail(c: ScanCore, at: usize, ptr: usize, code: i32): i32 {
  c.errorOffset = c.docOffset + <i64>(at - ptr);
  c.errorCode = code;
  return S_INVALID;
}

/** Records nesting past MAX_DEPTH at `at`; the next state. */
export function gaveUp(c: ScanCore, at: usize, ptr: usize): i32 {
  c.errorOffset = c.docOffset + <i64>(at - ptr);
  c.errorCode = E_DEPTH;
  return S_GAVE_UP;
}
