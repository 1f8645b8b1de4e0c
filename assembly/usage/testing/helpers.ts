// Helpers for the usage specs (assembly/__tests__/usage_*.spec.ts): read a body with a
// preset fed in chunks, compare Usages, and check that every split of the input into
// feeds gives the same result as one feed.

import {
  ResponseUsageReader, Usage, Preset, presetFor, presetForPath, customPreset, SseSink, FramerCore, SseFramer,
} from "../index";
import { findEol } from "../swar";

const shared = new ResponseUsageReader(presetForPath("/"));

/** The preset called `name` ("auto": by `path`), or the "any" preset if unknown. */
export function preset(name: string, path: string = ""): Preset {
  const p = presetFor(name, path);
  return p != null ? p : presetForPath("/");
}

/** A custom preset from "field=path" lines (the "any" preset if they do not compile). */
export function custom(specs: string[]): Preset {
  const b = customPreset(specs);
  const p = b.preset;
  return p != null ? p : presetForPath("/");
}

/**
 * Reads `body` with `p` as content type `ct`, fed at the offsets in `cuts` (ascending),
 * or in `chunk`-byte feeds when `chunk` > 0. The reader is reused across calls on purpose.
 */
export function readBytes(body: ArrayBuffer, p: Preset, ct: string, chunk: i32 = 0, cuts: i32[] = []): Usage {
  const ptr = changetype<usize>(body);
  const len = body.byteLength;
  shared.begin(ct, p);
  let prev = 0;
  if (chunk > 0) {
    for (let off = 0; off < len; off += chunk) shared.feed(ptr + <usize>off, <usize>min(chunk, len - off));
  } else {
    for (let i = 0; i < cuts.length; i++) {
      const c = unchecked(cuts[i]);
      if (c < prev || c > len) continue;
      shared.feed(ptr + <usize>prev, <usize>(c - prev));
      prev = c;
    }
    shared.feed(ptr + <usize>prev, <usize>(len - prev));
  }
  return shared.finish();
}

/** `readBytes` for a string body (UTF-8). */
export function read(body: string, p: Preset, ct: string, chunk: i32 = 0): Usage {
  return readBytes(String.UTF8.encode(body), p, ct, chunk);
}

/** True if two readings agree on every reported field. */
export function sameUsage(a: Usage, b: Usage): bool {
  return a.input == b.input && a.output == b.output && a.total == b.total && a.cached == b.cached &&
    a.reasoning == b.reasoning && a.cacheWrite == b.cacheWrite && a.found == b.found &&
    a.totalComputed == b.totalComputed && a.hasUsage == b.hasUsage && a.textBytes == b.textBytes &&
    a.bodyBytes == b.bodyBytes && a.streaming == b.streaming && a.events == b.events &&
    a.invalidEvents == b.invalidEvents && a.sawDone == b.sawDone && a.status == b.status &&
    a.errorOffset == b.errorOffset && a.error == b.error;
}

/** First offset where splitting the body into two feeds changes the result, or -1. */
export function firstSplitMismatch(body: string, p: Preset, ct: string): i32 {
  const buf = String.UTF8.encode(body);
  const whole = readBytes(buf, p, ct);
  for (let at = 1; at < buf.byteLength; at++) {
    if (!sameUsage(whole, readBytes(buf, p, ct, 0, [at]))) return at;
  }
  return -1;
}

/** First pair of offsets (a * 100000 + b) where three feeds change the result, or -1.
 * Only for short bodies: it tries every pair. */
export function firstDoubleSplitMismatch(body: string, p: Preset, ct: string): i32 {
  const buf = String.UTF8.encode(body);
  const whole = readBytes(buf, p, ct);
  for (let a = 1; a < buf.byteLength; a++) {
    for (let b = a; b < buf.byteLength; b++) {
      if (!sameUsage(whole, readBytes(buf, p, ct, 0, [a, b]))) return a * 100000 + b;
    }
  }
  return -1;
}

/** First chunk size in 1..maxChunk whose result differs from one feed, or -1. */
export function firstChunkMismatch(body: string, p: Preset, ct: string, maxChunk: i32): i32 {
  const buf = String.UTF8.encode(body);
  const whole = readBytes(buf, p, ct);
  for (let c = 1; c <= maxChunk; c++) {
    if (!sameUsage(whole, readBytes(buf, p, ct, c))) return c;
  }
  return -1;
}

/**
 * Records what an SseFramer reports: "[" data "]" type ";" per event, data lines joined
 * with "\n" (allocates freely: tests only).
 */
export class RecordingSink extends SseSink {
  log: string = "";

  beginData(framer: FramerCore): void { this.log += "["; }

  data(ptr: usize, len: usize): usize {
    const n = findEol(ptr, ptr + len) - ptr;
    this.log += String.UTF8.decodeUnsafe(ptr, n);
    return n;
  }

  dataNewline(): void { this.log += "\n"; }

  dispatch(framer: FramerCore): void { this.log += "]" + framer.eventType() + ";"; }
}

/** The RecordingSink log of a stream fed at the offsets in `cuts`, or in `chunk`-byte feeds. */
export function frame(body: string, chunk: i32 = 0, cuts: i32[] = []): string {
  const buf = String.UTF8.encode(body);
  const ptr = changetype<usize>(buf);
  const len = buf.byteLength;
  const framer = new SseFramer();
  const sink = new RecordingSink();
  let prev = 0;
  if (chunk > 0) {
    for (let off = 0; off < len; off += chunk) framer.feed(ptr + <usize>off, <usize>min(chunk, len - off), sink);
  } else {
    for (let i = 0; i < cuts.length; i++) {
      const c = unchecked(cuts[i]);
      framer.feed(ptr + <usize>prev, <usize>(c - prev), sink);
      prev = c;
    }
    framer.feed(ptr + <usize>prev, <usize>(len - prev), sink);
  }
  framer.finish(sink);
  return sink.log;
}

/** First offset where splitting the stream changes the framer's log, or -1. */
export function firstFrameSplitMismatch(body: string): i32 {
  const whole = frame(body);
  const n = String.UTF8.byteLength(body);
  for (let at = 1; at < n; at++) {
    if (frame(body, 0, [at]) != whole) return at;
  }
  return -1;
}
