// The response body as `responseBodyJSON` sees it, kept only when the cost expression
// uses that function, and bounded: a JSON response is kept whole up to
// RESPONSE_JSON_MAX_BYTES (a larger one makes the function an error); of an event stream
// (or JSON lines) only the last RESPONSE_TAIL_BYTES are kept, in a ring, and the function
// reads the last event whose data is a JSON object (where the providers put the final
// usage and model). The body still passes on as it arrives: copying it holds nothing.

import { BodyJsonState } from "./body_json";
import { JsonCursor } from "./json_cursor";

/** Largest JSON response `responseBodyJSON` reads. */
export const RESPONSE_JSON_MAX_BYTES: i32 = 256 * 1024;
/** How much of the end of a stream `responseBodyJSON` reads its last event from. */
export const RESPONSE_TAIL_BYTES: i32 = 64 * 1024;

export class BodyCapture {
  private buf: ArrayBuffer = new ArrayBuffer(0);
  /** Bytes seen in all (more than kept, once over the bound). */
  total: i64 = 0;
  /** Set by `document`: where the value to look pointers up in starts, and its length. */
  docPtr: usize = 0;
  docLen: usize = 0;

  /** `tail`: keep the end of the body in a ring (a stream) instead of its start (a document). */
  constructor(readonly tail: bool) {}

  /** Copies `len` bytes at `ptr` (what is over the bound is dropped, or overwrites the ring's oldest). */
  append(ptr: usize, len: usize): void {
    if (len == 0) return;
    if (this.tail) this.appendRing(ptr, len);
    else this.appendDocument(ptr, len);
    this.total += <i64>len;
  }

  private appendDocument(ptr: usize, len: usize): void {
    const kept = this.total;
    if (kept + <i64>len > <i64>RESPONSE_JSON_MAX_BYTES) return; // over the bound: `document` says so
    const need = <i32>(kept + <i64>len);
    if (need > this.buf.byteLength) {
      let size = this.buf.byteLength < 4096 ? 4096 : this.buf.byteLength;
      while (size < need) size <<= 1;
      if (size > RESPONSE_JSON_MAX_BYTES) size = RESPONSE_JSON_MAX_BYTES;
      const grown = new ArrayBuffer(size);
      memory.copy(changetype<usize>(grown), changetype<usize>(this.buf), <usize>kept);
      this.buf = grown;
    }
    memory.copy(changetype<usize>(this.buf) + <usize>kept, ptr, len);
  }

  private appendRing(ptr: usize, len: usize): void {
    const cap = <usize>RESPONSE_TAIL_BYTES;
    if (this.buf.byteLength == 0) this.buf = new ArrayBuffer(RESPONSE_TAIL_BYTES);
    const base = changetype<usize>(this.buf);
    // Only the last `cap` bytes of this chunk can survive.
    let from = ptr;
    let n = len;
    let at = <usize>(this.total % <i64>cap);
    if (n > cap) {
      at = <usize>((this.total + <i64>(n - cap)) % <i64>cap);
      from = ptr + (n - cap);
      n = cap;
    }
    const first = n < cap - at ? n : cap - at;
    memory.copy(base + at, from, first);
    if (n > first) memory.copy(base, from + first, n - first);
  }

  /**
   * Finds what `responseBodyJSON` reads and sets `docPtr`/`docLen` to it: the whole body
   * (a document), or the data of the last event whose data is a JSON object (a tail).
   * Returns the state for `bodyJsonValue`. Linearizes the ring (allocates once).
   */
  document(): BodyJsonState {
    if (this.total == 0) return BodyJsonState.Empty;
    if (!this.tail) {
      if (this.total > <i64>RESPONSE_JSON_MAX_BYTES) return BodyJsonState.TooLarge;
      return this.validate(changetype<usize>(this.buf), <usize>this.total);
    }
    const cap = <i64>RESPONSE_TAIL_BYTES;
    const kept = this.total < cap ? this.total : cap;
    const lin = new ArrayBuffer(<i32>kept);
    const base = changetype<usize>(this.buf);
    if (this.total <= cap) {
      memory.copy(changetype<usize>(lin), base, <usize>kept);
    } else {
      // The oldest byte kept is where the next would be written: [start, cap) then [0, start).
      const start = <usize>(this.total % cap);
      const head = <usize>cap - start;
      memory.copy(changetype<usize>(lin), base + start, head);
      memory.copy(changetype<usize>(lin) + head, base, start);
    }
    this.buf = lin; // keeps the linear copy alive while pointers are looked up
    return this.lastObjectLine(changetype<usize>(lin), <usize>kept, this.total > cap);
  }

  // The last line (of `data: {...}` in an event stream, or `{...}` in JSON lines) whose
  // value starts with `{`. `partial`: the first line may be cut (the ring dropped its start).
  private lastObjectLine(p: usize, len: usize, partial: bool): BodyJsonState {
    const end = p + len;
    let line = p;
    let first = true;
    let foundStart: usize = 0;
    let foundEnd: usize = 0;
    let found = false;
    for (let i = p; i <= end; i++) {
      const atEnd = i == end;
      const b = atEnd ? 0x0A : <i32>load<u8>(i);
      if (b != 0x0A && b != 0x0D) continue;
      if (!(first && partial)) {
        let s = line;
        if (i - s >= 5 && load<u8>(s) == 0x64 && load<u8>(s + 1) == 0x61 && load<u8>(s + 2) == 0x74 &&
          load<u8>(s + 3) == 0x61 && load<u8>(s + 4) == 0x3A) {
          s += 5; // "data:"
          if (s < i && load<u8>(s) == 0x20) s++;
        }
        if (s < i && load<u8>(s) == 0x7B) { foundStart = s; foundEnd = i; found = true; }
      }
      first = false;
      line = i + 1;
    }
    if (!found) return BodyJsonState.Empty;
    return this.validate(foundStart, foundEnd - foundStart);
  }

  private validate(p: usize, len: usize): BodyJsonState {
    const c = new JsonCursor(p, len);
    if (c.peek() != 0x7B || !c.skipValue()) return BodyJsonState.NotJson;
    c.ws();
    if (c.p != c.end) return BodyJsonState.NotJson;
    this.docPtr = p;
    this.docLen = len;
    return BodyJsonState.Json;
  }
}
