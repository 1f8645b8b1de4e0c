// SseUsageScanner: reads usage from an event stream. Each event's data is one JSON
// document fed straight into the JSON scanner as it streams (the scanner stops at line
// ends for the framer); counts found in one event persist into the next, and a later
// event's count for the same field wins. `data: [DONE]` (OpenAI's end marker) is
// recognised and is not an error. Memory is fixed at construction.

import { FramerCore, framerFeed, framerFinish, framerInit, framerReset, FRAMER_BLOCK_BYTES } from "./sse";
import { UsageScanner, ScanCore, coreScan, coreResetDocument, coreFinishDocument, errorMessage } from "./scanner";
import { UsagePaths } from "./paths";
import { SCAN_OK, SCAN_EMPTY } from "./usage";

const DONE: usize = memory.data<u8>([0x5B, 0x44, 0x4F, 0x4E, 0x45, 0x5D]); // [DONE]
const DONE_LEN: i32 = 6;
const NEWLINE: usize = memory.data<u8>([0x0A]);

/** The event-level state: an unmanaged sink for `framerFeed`. */
// @ts-ignore: decorator
@unmanaged export class SseUsageCore {
  scan: ScanCore;
  /** How much of "[DONE]" the event's data has matched; -1 once it cannot be "[DONE]". */
  doneMatch: i32;
  /** SCAN_* status of the first bad event (SCAN_OK if none). */
  firstBadStatus: i32;
  firstBadCode: i32;
  pad: i32;
  /** Events whose data was `[DONE]`. */
  doneEvents: i64;
  /** Events whose data was not one complete JSON document. */
  badEvents: i64;
  /** Stream offset of the first bad byte of the first bad event, -1 if none. */
  firstBadOffset: i64;

  beginData(framer: FramerCore): void {
    coreResetDocument(this.scan);
    this.doneMatch = 0;
  }

  data(ptr: usize, len: usize): usize {
    const n = coreScan(this.scan, ptr, len, true);
    let m = this.doneMatch;
    if (m >= 0) {
      for (let i: usize = 0; i < n; i++) {
        if (m >= DONE_LEN || load<u8>(ptr + i) != load<u8>(DONE + <usize>m)) { m = -1; break; }
        m++;
      }
      this.doneMatch = m;
    }
    return n;
  }

  dataNewline(): void {
    coreScan(this.scan, NEWLINE, 1, false);
    this.doneMatch = -1;
  }

  dispatch(framer: FramerCore): void {
    if (this.doneMatch == DONE_LEN) {
      this.doneEvents++;
      return;
    }
    const s = this.scan;
    const status = coreFinishDocument(s);
    if (status == SCAN_OK || status == SCAN_EMPTY) return;
    this.badEvents++;
    if (this.firstBadStatus == SCAN_OK) {
      this.firstBadStatus = status;
      this.firstBadOffset = framer.dataStart + s.errorOffset;
      this.firstBadCode = s.errorCode;
    }
  }
}

const CORE_BYTES: i32 = (offsetof<SseUsageCore>() + 7) & ~7;

/** Reads usage from `text/event-stream` bodies, one stream at a time. */
export class SseUsageScanner {
  /** The JSON scanner each event's data goes through (its counts are the result). */
  scanner: UsageScanner;
  private block: StaticArray<u8>;
  core: SseUsageCore;
  framer: FramerCore;

  constructor(paths: UsagePaths) {
    const scanner = new UsageScanner(paths);
    const block = new StaticArray<u8>(CORE_BYTES + FRAMER_BLOCK_BYTES);
    const base = changetype<usize>(block);
    const core = changetype<SseUsageCore>(base);
    core.scan = scanner.core;
    this.scanner = scanner;
    this.block = block;
    this.core = core;
    this.framer = framerInit(base + <usize>CORE_BYTES);
    this.reset();
  }

  /** Events dispatched. */
  get events(): i64 { return this.framer.events; }
  /** Events whose data was `[DONE]`. */
  get doneEvents(): i64 { return this.core.doneEvents; }
  /** Events whose data was not one complete JSON document. */
  get badEvents(): i64 { return this.core.badEvents; }
  /** SCAN_* status of the first bad event (SCAN_OK if none). */
  get firstBadStatus(): i32 { return this.core.firstBadStatus; }
  /** Stream offset of the first bad byte of the first bad event, -1 if none. */
  get firstBadOffset(): i64 { return this.core.firstBadOffset; }
  /** What was wrong with the first bad event. */
  get firstBadError(): string { return errorMessage(this.core.firstBadCode); }

  /** Starts a new stream (counts cleared). No allocation. */
  reset(): void {
    this.scanner.reset();
    framerReset(this.framer);
    const c = this.core;
    c.doneMatch = 0;
    c.firstBadStatus = SCAN_OK;
    c.firstBadCode = 0;
    c.doneEvents = 0;
    c.badEvents = 0;
    c.firstBadOffset = -1;
  }

  /** Replaces the path set (between streams). */
  setPaths(paths: UsagePaths): void { this.scanner.setPaths(paths); }

  /** Scans stream bytes [ptr, ptr+len) in place. No allocation, never traps. */
  feed(ptr: usize, len: usize): void {
    this.scanner.refreshPaths();
    framerFeed<SseUsageCore>(this.framer, ptr, len, this.core);
  }

  /** Ends the stream. */
  finish(): void {
    framerFinish<SseUsageCore>(this.framer, this.core);
  }
}
