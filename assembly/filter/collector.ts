// Garbage collection at safe points. The filter is built with AssemblyScript's minimal
// runtime: no write barriers and no incremental steps inside every allocation, which the
// incremental runtime pays on the hot path. That runtime never collects by itself and must
// not collect while a guest frame holds a managed reference, so each callback from the host
// enters here first; at the outermost entry no such frame exists, and every
// COLLECT_EVERY entries the heap is collected. Garbage is then bounded by what that many
// callbacks allocate (each reads at most a bounded window of a body).

/** Callbacks between collections (about 128 requests of 8 callbacks each). */
// @ts-ignore: decorator
@inline const COLLECT_EVERY: u32 = 1024;

let depth: u32 = 0;
let sinceCollect: u32 = 0;

/** Called first by every callback export; collects when due and nothing is on the stack. */
export function enterCallback(): void {
  if (ASC_RUNTIME == 1 && depth == 0 && ++sinceCollect >= COLLECT_EVERY) {
    sinceCollect = 0;
    __collect();
  }
  depth++;
}

/** Called by every callback export before it returns. */
// @ts-ignore: decorator
@inline export function leaveCallback(): void {
  depth--;
}
