// Usage paths: where in a JSON document a count (or generated text) lives.
//
// A path is either dotted (`usage.total_tokens`, `$.usage.total_tokens`) or a JSON
// pointer (`/usage/total_tokens`, with `~1` for `/` and `~0` for `~`). A segment names an
// object key; a decimal segment (`0`, `12`) also names that element of an array, and `*`
// names every element of an array (in an object, `*` and `0` are ordinary keys). Matching
// is on the exact path from the root of the document.
//
// The paths compile to a trie, built once at configuration time. The scanner walks it as
// it enters objects and arrays; a container with no trie node below it is skipped without
// looking at its keys, which is what keeps the scan fast.

import { FIELD_COUNT, FIELD_TEXT, fieldByName } from "./fields";

/** Most segments a path may have; the scanner tracks containers only this deep. */
export const MAX_PATH_SEGMENTS: i32 = 16;
/** Longest key (UTF-8 bytes) a path may name; longer keys in a body never match. */
export const MAX_KEY_BYTES: i32 = 64;

const WILD: i32 = -2;

/** One trie node: the object key or array index leading to it, and what it marks. */
export class PathNode {
  /** UTF-8 bytes of the object key leading here (object-role nodes). */
  key: ArrayBuffer;
  /** Array index leading here; -1 for object-role nodes, -2 for the `*` node. */
  index: i32;
  /** Bit (1 << FIELD_*) per count read from a number here. */
  fields: u32 = 0;
  /** A string here is generated text. */
  text: bool = false;
  keyKids: Array<i32> = [];
  idxKids: Array<i32> = [];
  wildKid: i32 = -1;

  constructor(key: ArrayBuffer, index: i32) {
    this.key = key;
    this.index = index;
  }
}

/** A path split into segments, or an error. */
export class ParsedPath {
  segments: Array<string> = [];
  error: string = "";
}

/**
 * Splits a dotted path or JSON pointer into segments. Errors (as values): empty path,
 * empty dotted segment, bad `~` escape, more than MAX_PATH_SEGMENTS segments, a segment
 * longer than MAX_KEY_BYTES. Allocates (configuration time only).
 */
export function parsePath(path: string): ParsedPath {
  const r = new ParsedPath();
  if (path.length == 0) { r.error = "empty path"; return r; }
  if (path.charCodeAt(0) == 0x2F) {
    const parts = path.substring(1).split("/");
    for (let i = 0; i < parts.length; i++) {
      const seg = unescapePointer(unchecked(parts[i]));
      if (seg == null) { r.error = "bad '~' escape in JSON pointer segment " + i.toString(); return r; }
      r.segments.push(seg);
    }
  } else {
    let s = path;
    if (s.startsWith("$.")) s = s.substring(2);
    const parts = s.split(".");
    for (let i = 0; i < parts.length; i++) {
      const seg = unchecked(parts[i]);
      if (seg.length == 0) { r.error = "empty segment in path '" + path + "'"; return r; }
      r.segments.push(seg);
    }
  }
  if (r.segments.length > MAX_PATH_SEGMENTS) {
    r.error = "path has more than " + MAX_PATH_SEGMENTS.toString() + " segments";
    return r;
  }
  for (let i = 0; i < r.segments.length; i++) {
    if (String.UTF8.byteLength(unchecked(r.segments[i])) > MAX_KEY_BYTES) {
      r.error = "path segment longer than " + MAX_KEY_BYTES.toString() + " bytes";
      return r;
    }
  }
  return r;
}

function unescapePointer(seg: string): string | null {
  if (seg.indexOf("~") < 0) return seg;
  // Code units collected and made into a string once: linear in the segment's length.
  const out = new Array<i32>();
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c != 0x7E) { out.push(c); continue; }
    if (i + 1 >= seg.length) return null;
    const n = seg.charCodeAt(i + 1);
    if (n == 0x30) out.push(0x7E);
    else if (n == 0x31) out.push(0x2F);
    else return null;
    i++;
  }
  return String.fromCharCodes(out);
}

/** Most trie nodes one set of usage paths may use (the built-in presets need a few hundred). */
export const MAX_TRIE_NODES: i32 = 4096;

/** Array index named by a segment ("0", "17"; no sign or leading zero, < 1e9), or -1. */
function segmentIndex(seg: string): i32 {
  const n = seg.length;
  if (n == 0 || n > 9) return -1;
  if (n > 1 && seg.charCodeAt(0) == 0x30) return -1;
  let v: i32 = 0;
  for (let i = 0; i < n; i++) {
    const d = seg.charCodeAt(i) - 0x30;
    if (<u32>d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * A compiled set of usage paths. Build with `add` at configuration time; the scanner
 * only calls the lookups, which do not allocate.
 */
export class UsagePaths {
  nodes: Array<PathNode> = [new PathNode(new ArrayBuffer(0), -1)];
  /**
   * Set when adding a path would pass MAX_TRIE_NODES: `*` and index segments insert along
   * two branches each, so a hostile path could otherwise grow the trie exponentially.
   * The set is then unusable and every later `add` fails.
   */
  overflow: bool = false;
  /** Number of paths added. */
  size: i32 = 0;
  /** The trie flattened for the scanner (see `trieFields` and friends); rebuilt by `add`. */
  table: StaticArray<i32> = new StaticArray<i32>(NODE_WORDS);
  /** Key bytes the table's key entries point into. */
  blob: StaticArray<u8> = new StaticArray<u8>(0);

  constructor() {
    this.flatten();
  }

  /**
   * Adds a path for a field named as in `fieldByName` ("input", "output", "total",
   * "cached", "reasoning", "cacheWrite", "text"). Returns "" or an error message.
   */
  add(fieldName: string, path: string): string {
    const field = fieldByName(fieldName);
    if (field < 0) return "unknown usage field '" + fieldName + "'";
    return this.addField(field, path);
  }

  /** Adds a path for FIELD_* `field` (or FIELD_TEXT). Returns "" or an error message. */
  addField(field: i32, path: string): string {
    if (field != FIELD_TEXT && (field < 0 || field >= FIELD_COUNT)) return "unknown usage field";
    const parsed = parsePath(path);
    if (parsed.error.length > 0) return parsed.error;
    const mask: u32 = field == FIELD_TEXT ? 0 : <u32>1 << <u32>field;
    this.insert(0, parsed.segments, 0, mask, field == FIELD_TEXT);
    if (this.overflow) return "usage paths too complex (more than " + MAX_TRIE_NODES.toString() + " nodes; fewer '*' or index segments)";
    this.size++;
    this.flatten();
    return "";
  }

  // Lays the trie out as words the scanner reads through a raw pointer (no managed
  // references on the hot path: no GC bookkeeping per lookup).
  private flatten(): void {
    const nodes = this.nodes;
    let words = nodes.length * NODE_WORDS;
    let bytes = 0;
    for (let i = 0; i < nodes.length; i++) {
      const x = unchecked(nodes[i]);
      words += x.keyKids.length * KEY_ENTRY_WORDS + x.idxKids.length * INDEX_ENTRY_WORDS;
      for (let k = 0; k < x.keyKids.length; k++) bytes += this.node(unchecked(x.keyKids[k])).key.byteLength;
    }
    const t = new StaticArray<i32>(words);
    const blob = new StaticArray<u8>(bytes);
    let w = nodes.length * NODE_WORDS;
    let b = 0;
    for (let i = 0; i < nodes.length; i++) {
      const x = unchecked(nodes[i]);
      const at = i * NODE_WORDS;
      unchecked(t[at] = <i32>x.fields);
      unchecked(t[at + 1] = x.text ? 1 : 0);
      unchecked(t[at + 2] = w);
      unchecked(t[at + 3] = x.keyKids.length);
      let filter: u32 = 0;
      for (let k = 0; k < x.keyKids.length; k++) {
        const c = unchecked(x.keyKids[k]);
        const key = this.node(c).key;
        filter |= keyFilterBit(changetype<usize>(key), <usize>key.byteLength);
        unchecked(t[w] = c);
        unchecked(t[w + 1] = b);
        unchecked(t[w + 2] = key.byteLength);
        memory.copy(changetype<usize>(blob) + <usize>b, changetype<usize>(key), <usize>key.byteLength);
        b += key.byteLength;
        w += KEY_ENTRY_WORDS;
      }
      unchecked(t[at + 4] = w);
      unchecked(t[at + 5] = x.idxKids.length);
      for (let k = 0; k < x.idxKids.length; k++) {
        const c = unchecked(x.idxKids[k]);
        unchecked(t[w] = c);
        unchecked(t[w + 1] = this.node(c).index);
        w += INDEX_ENTRY_WORDS;
      }
      unchecked(t[at + 6] = x.wildKid);
      unchecked(t[at + 7] = <i32>filter);
    }
    this.table = t;
    this.blob = blob;
  }

  // @ts-ignore: decorator
  @inline private node(n: i32): PathNode { return unchecked(this.nodes[n]); }

  // --- construction ---

  private newNode(key: ArrayBuffer, index: i32): i32 {
    if (this.nodes.length >= MAX_TRIE_NODES) {
      this.overflow = true;
      return 0; // a valid id; the set is discarded (see `overflow`)
    }
    this.nodes.push(new PathNode(key, index));
    return this.nodes.length - 1;
  }

  private keyChild(n: i32, key: ArrayBuffer): i32 {
    const kids = this.node(n).keyKids;
    for (let i = 0; i < kids.length; i++) {
      const c = unchecked(kids[i]);
      const k = this.node(c).key;
      if (k.byteLength == key.byteLength &&
        memory.compare(changetype<usize>(k), changetype<usize>(key), <usize>key.byteLength) == 0) return c;
    }
    const c = this.newNode(key, -1);
    this.node(n).keyKids.push(c);
    return c;
  }

  private wildChild(n: i32): i32 {
    let c = this.node(n).wildKid;
    if (c < 0) {
      c = this.newNode(new ArrayBuffer(0), WILD);
      this.node(n).wildKid = c;
    }
    return c;
  }

  // A new index child starts as a copy of the `*` child, so that an element matched by
  // its index also matches every `*` path: each array element maps to exactly one node.
  private indexChild(n: i32, index: i32): i32 {
    const kids = this.node(n).idxKids;
    for (let i = 0; i < kids.length; i++) {
      const c = unchecked(kids[i]);
      if (this.node(c).index == index) return c;
    }
    const c = this.newNode(new ArrayBuffer(0), index);
    this.node(n).idxKids.push(c);
    const w = this.node(n).wildKid;
    if (w >= 0) this.copyInto(c, w);
    return c;
  }

  private mark(n: i32, mask: u32, text: bool): void {
    const x = this.node(n);
    x.fields |= mask;
    if (text) x.text = true;
  }

  private insert(n: i32, segs: Array<string>, i: i32, mask: u32, text: bool): void {
    if (this.overflow) return;
    if (i == segs.length) { this.mark(n, mask, text); return; }
    const seg = unchecked(segs[i]);
    this.insert(this.keyChild(n, String.UTF8.encode(seg)), segs, i + 1, mask, text);
    if (seg == "*") {
      this.insert(this.wildChild(n), segs, i + 1, mask, text);
      const kids = this.node(n).idxKids;
      for (let k = 0; k < kids.length; k++) this.insert(unchecked(kids[k]), segs, i + 1, mask, text);
    } else {
      const index = segmentIndex(seg);
      if (index >= 0) this.insert(this.indexChild(n, index), segs, i + 1, mask, text);
    }
  }

  // Makes everything `src` matches also match at `dst` (src and dst are disjoint subtrees).
  private copyInto(dst: i32, src: i32): void {
    if (this.overflow) return;
    const s = this.node(src);
    this.mark(dst, s.fields, s.text);
    for (let i = 0; i < s.keyKids.length; i++) {
      const k = unchecked(s.keyKids[i]);
      this.copyInto(this.keyChild(dst, this.node(k).key), k);
    }
    if (s.wildKid >= 0) {
      this.copyInto(this.wildChild(dst), s.wildKid);
      const kids = this.node(dst).idxKids;
      for (let i = 0; i < kids.length; i++) this.copyInto(unchecked(kids[i]), s.wildKid);
    }
    for (let i = 0; i < s.idxKids.length; i++) {
      const k = unchecked(s.idxKids[i]);
      this.copyInto(this.indexChild(dst, this.node(k).index), k);
    }
  }
}

// --- The flat trie, read by the scanner through raw pointers. ---------------------------
// Node n is NODE_WORDS i32 words at word n * NODE_WORDS:
//   [0] field mask  [1] text flag  [2] first key entry (word index)  [3] key entries
//   [4] first index entry  [5] index entries  [6] `*` child or -1
//   [7] key filter: bit keyFilterBit(key) set for each key entry (see trieMayHaveKey)
// A key entry is (child, offset of the key in the blob, key length); an index entry is
// (child, array index). Node ids and offsets are valid by construction.

const NODE_WORDS: i32 = 8;
const KEY_ENTRY_WORDS: i32 = 3;
const INDEX_ENTRY_WORDS: i32 = 2;

// @ts-ignore: decorator
@inline function word(tab: usize, i: i32): i32 { return load<i32>(tab + (<usize>i << 2)); }

/** Field mask of node `n` of the flat trie at `tab`. */
// @ts-ignore: decorator
@inline export function trieFields(tab: usize, n: i32): u32 { return <u32>word(tab, n * NODE_WORDS); }
/** Whether node `n` marks generated text. */
// @ts-ignore: decorator
@inline export function trieText(tab: usize, n: i32): bool { return word(tab, n * NODE_WORDS + 1) != 0; }
/** Whether an object at node `n` has keys on some path. */
// @ts-ignore: decorator
@inline export function trieHasKeyKids(tab: usize, n: i32): bool { return word(tab, n * NODE_WORDS + 3) > 0; }
/** Whether an array at node `n` has elements on some path. */
// @ts-ignore: decorator
@inline export function trieHasIndexKids(tab: usize, n: i32): bool {
  return word(tab, n * NODE_WORDS + 5) > 0 || word(tab, n * NODE_WORDS + 6) >= 0;
}

// One of 32 bits for a key, from its length and first and last bytes: a node's filter
// word has the bits of its keys, so most keys that are not on a path are turned away
// without comparing bytes.
// @ts-ignore: decorator
@inline function keyFilterBit(ptr: usize, len: usize): u32 {
  if (len == 0) return 1;
  const h = <u32>len * 7 + <u32>load<u8>(ptr) + <u32>load<u8>(ptr + len - 1) * 3;
  return <u32>1 << (h & 31);
}

/** False if node `n` has no key [ptr, ptr+len) (true: it may; trieLookupKey decides). */
// @ts-ignore: decorator
@inline export function trieMayHaveKey(tab: usize, n: i32, ptr: usize, len: usize): bool {
  return (<u32>word(tab, n * NODE_WORDS + 7) & keyFilterBit(ptr, len)) != 0;
}

/** Child of node `n` for the object key in [ptr, ptr+len), or -1. No allocation. */
export function trieLookupKey(tab: usize, blob: usize, n: i32, ptr: usize, len: i32): i32 {
  let e = word(tab, n * NODE_WORDS + 2);
  const count = word(tab, n * NODE_WORDS + 3);
  for (let i = 0; i < count; i++, e += KEY_ENTRY_WORDS) {
    if (word(tab, e + 2) == len && bytesEqual(blob + <usize>word(tab, e + 1), ptr, <usize>len)) {
      return word(tab, e);
    }
  }
  return -1;
}

// Whether bytes [a, a+n) equal [b, b+n): a few word compares instead of a call per key
// (keys are short); reads only inside both ranges (the last word overlaps the one before).
// @ts-ignore: decorator
@inline function bytesEqual(a: usize, b: usize, n: usize): bool {
  if (n >= 8) {
    let i: usize = 0;
    while (i + 8 < n) {
      if (load<u64>(a + i) != load<u64>(b + i)) return false;
      i += 8;
    }
    return load<u64>(a + n - 8) == load<u64>(b + n - 8);
  }
  if (n >= 4) return load<u32>(a) == load<u32>(b) && load<u32>(a + n - 4) == load<u32>(b + n - 4);
  if (n >= 2) return load<u16>(a) == load<u16>(b) && load<u16>(a + n - 2) == load<u16>(b + n - 2);
  return n == 0 || load<u8>(a) == load<u8>(b);
}

/** Child of node `n` for array element `index`, or -1. No allocation. */
export function trieLookupIndex(tab: usize, n: i32, index: i32): i32 {
  let e = word(tab, n * NODE_WORDS + 4);
  const count = word(tab, n * NODE_WORDS + 5);
  for (let i = 0; i < count; i++, e += INDEX_ENTRY_WORDS) {
    if (word(tab, e + 1) == index) return word(tab, e);
  }
  return word(tab, n * NODE_WORDS + 6);
}
