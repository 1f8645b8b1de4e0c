// Garbage collection at safe points. The filter is built with AssemblyScript's minimal
// runtime: no write barriers and no incremental steps inside every allocation, which the
// incremental runtime pays on the hot path. That runtime never collects by itself and must
// not collect while a guest frame holds a managed reference, so each callback from the host
// enters here first; at the outermost entry no such frame exists, and once enough work has
// been done since the last collection the heap is collected.
//
// Work is counted in units: one per callback, plus what the code that allocates most adds
// (a request that a limit applies to). A collection marks the whole live heap, static
// tables included, so a request that allocates almost nothing (no limit applies) should
// not pay for one every few hundred callbacks as if it allocated like a limited one.

/** Units of work between collections (about 64 limited requests, or 290 others). */
// @ts-ignore: decorator
@inline const COLLECT_EVERY: u32 = 2048;

/** Units a request that a limit applies to adds for what it allocates beyond its callbacks. */
// @ts-ignore: decorator
@inline export const LIMITED_REQUEST_UNITS: u32 = 24;

let depth: u32 = 0;
let work: u32 = 0;

/** Called first by every callback export; collects when due and nothing is on the stack. */
export function enterCallback(): void {
  if (ASC_RUNTIME == 1 && depth == 0 && ++work >= COLLECT_EVERY) {
    work = 0;
    __collect();
  }
  depth++;
}

/** Called by every callback export before it returns. */
// @ts-ignore: decorator
@inline export function leaveCallback(): void {
  depth--;
}

/** Counts `units` of allocation-heavy work towards the next collection. */
// @ts-ignore: decorator
@inline export function noteWork(units: u32): void {
  work += units;
}
