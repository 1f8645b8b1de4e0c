// ResponseUsageReader: the one object the filter drives per response. It picks JSON or
// event-stream scanning from the content type, takes the body chunks as they pass and
// produces a Usage at the end. Reusable across responses (`begin` resets it without
// allocating); its memory is fixed at construction.

import { Preset } from "./presets";
import { UsageScanner } from "./scanner";
import { SseUsageScanner } from "./sse_usage";
import { isJsonSpace } from "./swar";
import { Usage, SCAN_OK, SCAN_EMPTY } from "./usage";
import {
  FIELD_INPUT, FIELD_OUTPUT, FIELD_TOTAL, FIELD_CACHED, FIELD_REASONING, FIELD_CACHE_WRITE, satAdd,
} from "./fields";

/** Decide from the first non-blank byte: '{' or '[' -> JSON, else event stream. */
export const MODE_SNIFF: i32 = 0;
/** One JSON document (`application/json`, `...+json`). */
export const MODE_JSON: i32 = 1;
/** `text/event-stream`. */
export const MODE_SSE: i32 = 2;
/** JSON values one after another (`application/x-ndjson`, JSON lines). */
export const MODE_NDJSON: i32 = 3;

/**
 * Body mode for a response content type (parameters and case ignored): event stream,
 * NDJSON, any JSON type, or MODE_SNIFF when absent or unrecognised. Allocates nothing:
 * it runs on every response.
 */
export function modeForContentType(contentType: string): i32 {
  // The media type: up to ';', without the blanks around it.
  let start = 0;
  let end = contentType.indexOf(";");
  if (end < 0) end = contentType.length;
  while (start < end && isBlankUnit(contentType.charCodeAt(start))) start++;
  while (end > start && isBlankUnit(contentType.charCodeAt(end - 1))) end--;
  if (sameType(contentType, start, end, "text/event-stream")) return MODE_SSE;
  if (sameType(contentType, start, end, "application/x-ndjson") || sameType(contentType, start, end, "application/ndjson") ||
    sameType(contentType, start, end, "application/jsonl") || sameType(contentType, start, end, "application/x-jsonlines") ||
    sameType(contentType, start, end, "application/jsonlines")) return MODE_NDJSON;
  if (sameType(contentType, start, end, "application/json") || endsWithType(contentType, start, end, "+json") ||
    endsWithType(contentType, start, end, "/json")) return MODE_JSON;
  return MODE_SNIFF;
}

/** The blanks String#trim removes that can appear in a header value. */
function isBlankUnit(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0b || c == 0x0c || c == 0xa0 || c == 0xfeff;
}

/** ASCII case-insensitive comparison of s[start, end) with the lower-case `lower`. */
function sameType(s: string, start: i32, end: i32, lower: string): bool {
  return end - start == lower.length && matchesAt(s, start, lower);
}

function endsWithType(s: string, start: i32, end: i32, lower: string): bool {
  return end - start >= lower.length && matchesAt(s, end - lower.length, lower);
}

function matchesAt(s: string, at: i32, lower: string): bool {
  for (let i = 0, n = lower.length; i < n; i++) {
    let c = s.charCodeAt(at + i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c != lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Reads usage from one response body at a time. */
export class ResponseUsageReader {
  preset: Preset;
  scanner: UsageScanner;
  sse: SseUsageScanner;
  /** MODE_* in effect (MODE_SNIFF until the first non-blank byte when sniffing). */
  mode: i32 = MODE_SNIFF;
  bodyBytes: i64 = 0;

  constructor(preset: Preset) {
    const sse = new SseUsageScanner(preset.sse);
    this.preset = preset;
    this.sse = sse;
    // One JSON scanner serves both modes (its paths are switched with the mode).
    this.scanner = sse.scanner;
  }

  /**
   * Starts a response with this content type (see `modeForContentType`), optionally with
   * another preset. No allocation besides lower-casing the content type.
   */
  begin(contentType: string, preset: Preset | null = null): void {
    this.beginMode(modeForContentType(contentType), preset);
  }

  /** Starts a response in MODE_* `mode`. No allocation. */
  beginMode(mode: i32, preset: Preset | null = null): void {
    if (preset != null) this.preset = preset;
    this.bodyBytes = 0;
    this.sse.reset();
    this.setMode(mode);
  }

  /** Scans body bytes [ptr, ptr+len) in place. No allocation, never traps. */
  feed(ptr: usize, len: usize): void {
    this.bodyBytes += <i64>len;
    let mode = this.mode;
    if (mode == MODE_SNIFF) {
      // Leading blanks carry nothing in either format; drop them until the format shows.
      let p = ptr;
      const end = ptr + len;
      while (p < end && isJsonSpace(<i32>load<u8>(p))) p++;
      if (p == end) return;
      const b = load<u8>(p);
      mode = b == 0x7B || b == 0x5B ? MODE_JSON : MODE_SSE;
      this.setMode(mode);
      len -= p - ptr;
      ptr = p;
    }
    if (mode == MODE_SSE) this.sse.feed(ptr, len);
    else this.scanner.feed(ptr, len);
  }

  /** Counts `len` body bytes that pass unread (a compressed body). */
  skip(len: usize): void {
    this.bodyBytes += <i64>len;
  }

  /** Ends the response and returns what was read (a new Usage). */
  finish(): Usage {
    const u = new Usage();
    const s = this.scanner;
    u.bodyBytes = this.bodyBytes;
    if (this.mode == MODE_SSE) {
      const k = this.sse;
      k.finish();
      u.streaming = true;
      u.events = k.events;
      u.invalidEvents = k.badEvents;
      u.sawDone = k.doneEvents > 0;
      if (k.firstBadStatus != SCAN_OK) {
        u.status = k.firstBadStatus;
        u.errorOffset = k.firstBadOffset;
        u.error = k.firstBadError;
      } else {
        u.status = u.events > 0 ? SCAN_OK : SCAN_EMPTY;
      }
    } else {
      u.status = s.finishDocument();
      if (u.status != SCAN_OK && u.status != SCAN_EMPTY) {
        u.errorOffset = s.errorOffset;
        u.error = s.error;
      }
    }
    u.found = s.found;
    u.input = s.value(FIELD_INPUT);
    u.output = s.value(FIELD_OUTPUT);
    u.total = s.value(FIELD_TOTAL);
    u.cached = s.value(FIELD_CACHED);
    u.reasoning = s.value(FIELD_REASONING);
    u.cacheWrite = s.value(FIELD_CACHE_WRITE);
    if (!u.hasTotal && (u.hasInput || u.hasOutput)) {
      u.total = satAdd(u.input, u.output);
      u.totalComputed = true;
    }
    u.hasUsage = u.found != 0;
    u.textBytes = s.textBytes;
    return u;
  }

  private setMode(mode: i32): void {
    this.mode = mode;
    this.scanner.setPaths(mode == MODE_SSE ? this.preset.sse : this.preset.json);
    this.scanner.multiDoc = mode == MODE_NDJSON;
  }
}
