// SseFramer: splits a `text/event-stream` body into events as the chunks pass, following
// the WHATWG server-sent events parsing rules, without buffering lines or events.
//
// Lines end with LF, CR LF or CR (a CR at the end of one chunk and the LF at the start of
// the next are one line end). A line starting with ':' is a comment. `field: value` lines
// are split at the first ':' and one leading space of the value is dropped; a line
// without ':' is a field with an empty value. `data` lines of one event join with "\n";
// an empty line dispatches the event (only if it had data, as browsers do). A UTF-8 BOM at
// the start of the stream is skipped. `id` and `retry` are ignored.
//
// Data is not collected: each run of data bytes is handed to a sink as it arrives. The
// only buffers are the field name (8 bytes) and the event type (MAX_EVENT_NAME bytes), so
// memory does not depend on the stream.
//
// One deliberate difference from browsers: `finish` dispatches an event that has data but
// was not followed by an empty line (a stream cut right after its last event still counts;
// the sink decides whether that event's data is complete).
//
// The framing loop is generic over the sink type (`framerFeed<S>`): SseFramer drives any
// SseSink subclass; the usage reader instantiates it with an unmanaged sink so that the
// hot path carries no garbage-collector bookkeeping.

import { findEol } from "./swar";

/** Longest event type kept; a longer type reads as "". */
export const MAX_EVENT_NAME: i32 = 64;

const L_BOM: i32 = 0;    // start of the stream: maybe a BOM
const L_START: i32 = 1;  // start of a line
const L_NAME: i32 = 2;   // in a field name
const L_SPACE: i32 = 3;  // right after "field:": one space may follow
const L_DATA: i32 = 4;   // in a data value
const L_EVENT: i32 = 5;  // in an event type value
const L_SKIP: i32 = 6;   // in a comment or a field this framer ignores (id, retry, ...)
const L_CR: i32 = 7;     // after a CR: an LF here belongs to the same line end

const F_OTHER: i32 = 0;
const F_DATA: i32 = 1;
const F_EVENT: i32 = 2;

const NAME_MAX: i32 = 8;
const BOM: usize = memory.data<u8>([0xEF, 0xBB, 0xBF]);

/** Framer state, in a block owned by an SseFramer or an SSE usage scanner. */
// @ts-ignore: decorator
@unmanaged export class FramerCore {
  state: i32;
  bomPos: i32;
  field: i32;
  nameLen: i32;
  eventLen: i32;
  eventOverflow: i32;
  /** Data lines in the current event. */
  dataLines: i32;
  pad: i32;
  /** Events dispatched since the stream started. */
  events: i64;
  /** Stream bytes consumed by earlier feeds. */
  offset: i64;
  /** Stream offset of the current event's first data byte. */
  dataStart: i64;
  nameBuf: usize;
  eventBuf: usize;

  /** Type of the current event ("" if none or too long). Allocates. */
  eventType(): string {
    if (this.eventOverflow != 0) return "";
    return String.UTF8.decodeUnsafe(this.eventBuf, <usize>this.eventLen);
  }

  /** True if the current event's type is `name` (ASCII). No allocation. */
  eventTypeIs(name: string): bool {
    const n = name.length;
    if (this.eventOverflow != 0 || n != this.eventLen) return false;
    for (let i = 0; i < n; i++) {
      if (<i32>load<u8>(this.eventBuf + <usize>i) != name.charCodeAt(i)) return false;
    }
    return true;
  }
}

const CORE_BYTES: i32 = (offsetof<FramerCore>() + 7) & ~7;
/** Bytes of memory a FramerCore needs with its buffers. */
export const FRAMER_BLOCK_BYTES: i32 = CORE_BYTES + NAME_MAX + MAX_EVENT_NAME;

/** Lays a FramerCore out at `base` (FRAMER_BLOCK_BYTES bytes) and resets it. */
export function framerInit(base: usize): FramerCore {
  const f = changetype<FramerCore>(base);
  f.nameBuf = base + <usize>CORE_BYTES;
  f.eventBuf = f.nameBuf + <usize>NAME_MAX;
  framerReset(f);
  return f;
}

/** Starts a new stream. */
export function framerReset(f: FramerCore): void {
  f.state = L_BOM;
  f.bomPos = 0;
  f.field = F_OTHER;
  f.nameLen = 0;
  f.eventLen = 0;
  f.eventOverflow = 0;
  f.dataLines = 0;
  f.events = 0;
  f.offset = 0;
  f.dataStart = 0;
}

/**
 * Receives the pieces of events from an SseFramer. The base class ignores them; extend it
 * and override what you need.
 */
export class SseSink {
  /** The first data line of a new event starts. */
  beginData(framer: FramerCore): void {}

  /**
   * Data bytes [ptr, ptr+len) of the current line. The line may continue past the line
   * end (the framer does not look for it first): consume bytes up to, not including, the
   * first CR or LF and return how many were consumed. Letting the sink find the line end
   * saves a second pass over the data. The default finds it and ignores the data.
   */
  data(ptr: usize, len: usize): usize { return findEol(ptr, ptr + len) - ptr; }

  /** Another data line of the same event starts: the data continues after a "\n". */
  dataNewline(): void {}

  /** An event with data ends. `framer.eventType()` is its type ("" if none was given). */
  dispatch(framer: FramerCore): void {}
}

/** Streaming SSE framer for any SseSink. See the file comment for the contract. */
export class SseFramer {
  private block: StaticArray<u8>;
  core: FramerCore;

  constructor() {
    const block = new StaticArray<u8>(FRAMER_BLOCK_BYTES);
    this.block = block;
    this.core = framerInit(changetype<usize>(block));
  }

  /** Events dispatched since `reset`. */
  get events(): i64 { return this.core.events; }

  /** Starts a new stream. No allocation. */
  reset(): void { framerReset(this.core); }

  /** Frames stream bytes [ptr, ptr+len), calling `sink` as pieces complete. No allocation. */
  feed(ptr: usize, len: usize, sink: SseSink): void { framerFeed<SseSink>(this.core, ptr, len, sink); }

  /** Ends the stream (dispatches an event left without its empty line, see above). */
  finish(sink: SseSink): void { framerFinish<SseSink>(this.core, sink); }
}

/**
 * Frames [ptr, ptr+len) for sink type S (a class with SseSink's methods, taking the
 * FramerCore). No allocation, never traps.
 */
export function framerFeed<S>(f: FramerCore, ptr: usize, len: usize, sink: S): void {
  const end = ptr + len;
  let p = ptr;
  let st = f.state;
  while (p < end) {
    if (st == L_DATA) {
      p += sink.data(p, end - p);
      if (p >= end) break;
      st = lineEnd(load<u8>(p));
      p++;
      continue;
    }
    const b = <i32>load<u8>(p);
    switch (st) {
      case L_START: {
        if (b == 0x0A || b == 0x0D) {
          endEvent<S>(f, sink);
          st = b == 0x0D ? L_CR : L_START;
          p++;
        } else if (b == 0x3A) {
          st = L_SKIP;
          p++;
        } else if (p + 5 <= end && load<u32>(p) == 0x61746164 && load<u8>(p + 4) == 0x3A) {
          // "data:" whole in this chunk: the common line, without the byte-wise name loop.
          f.field = F_DATA;
          p += 5;
          if (p < end && load<u8>(p) == 0x20) {
            p++;
            st = startValue<S>(f, p, ptr, sink);
          } else {
            st = L_SPACE;
          }
        } else {
          f.nameLen = 0;
          st = L_NAME;
        }
        break;
      }
      case L_NAME: {
        if (b == 0x3A) {
          f.field = classify(f);
          st = L_SPACE;
          p++;
        } else if (b == 0x0A || b == 0x0D) {
          // A field without ':' has an empty value.
          f.field = classify(f);
          startValue<S>(f, p, ptr, sink);
          st = lineEnd(b);
          p++;
        } else {
          const n = f.nameLen;
          if (n < NAME_MAX) store<u8>(f.nameBuf + <usize>n, <u8>b);
          if (n <= NAME_MAX) f.nameLen = n + 1;
          p++;
        }
        break;
      }
      case L_SPACE: {
        if (b == 0x20) p++;
        st = startValue<S>(f, p, ptr, sink);
        break;
      }
      case L_EVENT: {
        if (b == 0x0A || b == 0x0D) {
          st = lineEnd(b);
        } else if (f.eventLen < MAX_EVENT_NAME) {
          store<u8>(f.eventBuf + <usize>f.eventLen, <u8>b);
          f.eventLen++;
        } else {
          f.eventOverflow = 1;
        }
        p++;
        break;
      }
      case L_SKIP: {
        p = findEol(p, end);
        if (p < end) {
          st = lineEnd(load<u8>(p));
          p++;
        }
        break;
      }
      case L_CR: {
        if (b == 0x0A) p++;
        st = L_START;
        break;
      }
      default: { // L_BOM
        if (b == <i32>load<u8>(BOM + <usize>f.bomPos)) {
          p++;
          if (++f.bomPos == 3) st = L_START;
        } else if (f.bomPos == 0) {
          st = L_START;
        } else {
          // A partial BOM: those bytes begin a field name that matches nothing.
          f.nameLen = NAME_MAX + 1;
          st = L_NAME;
        }
        break;
      }
    }
  }
  f.state = st;
  f.offset += <i64>len;
}

/** Ends the stream for sink type S: dispatches an event left without its empty line. */
export function framerFinish<S>(f: FramerCore, sink: S): void {
  if (f.dataLines > 0) endEvent<S>(f, sink);
}

// @ts-ignore: decorator
@inline function lineEnd(b: i32): i32 { return b == 0x0D ? L_CR : L_START; }

function classify(f: FramerCore): i32 {
  const n = f.nameLen;
  const at = f.nameBuf;
  if (n == 4 && load<u32>(at) == 0x61746164) return F_DATA;                          // "data"
  if (n == 5 && load<u32>(at) == 0x6E657665 && load<u8>(at + 4) == 0x74) return F_EVENT; // "event"
  return F_OTHER;
}

// The value of the classified field starts at p.
function startValue<S>(f: FramerCore, p: usize, ptr: usize, sink: S): i32 {
  const field = f.field;
  if (field == F_DATA) {
    if (f.dataLines == 0) {
      f.dataStart = f.offset + <i64>(p - ptr);
      sink.beginData(f);
    } else {
      sink.dataNewline();
    }
    f.dataLines++;
    return L_DATA;
  }
  if (field == F_EVENT) {
    f.eventLen = 0;
    f.eventOverflow = 0;
    return L_EVENT;
  }
  return L_SKIP;
}

function endEvent<S>(f: FramerCore, sink: S): void {
  if (f.dataLines > 0) {
    f.events++;
    sink.dispatch(f);
  }
  f.dataLines = 0;
  f.eventLen = 0;
  f.eventOverflow = 0;
}
