// Garbage collection at safe points. The filter is built with AssemblyScript's minimal
// runtime: no write barriers and no incremental steps inside every allocation, which the
// incremental runtime pays on the hot path. That runtime never collects by itself and must
// not collect while a guest frame holds a managed reference, so each callback from the host
// enters here first; at the outermost entry no such frame exists, and once enough work has
// been done since the last collection the heap is collected.
//
// A collection marks the whole live heap (policy, CEL plans, tables, caches), so it is
// paced by the garbage made, counted in units: one per root context callback
// (configuration, ticks, service answers), one per stream context the registry had to
// allocate, and for stream callbacks what their context says (HttpContext.callbackUnits):
// one per callback for a context that may allocate anywhere, nothing for the token
// limiter's stream, which counts where it allocates: what selecting limits allocated (the
// attribute values read and the expressions evaluated off the allocation-free paths), a
// limited request's exchange, and one per body chunk of a stream some limit or
// body-dependent selection applies to. A request no limit applies to, whose predicates
// take the allocation-free paths, makes no garbage and adds almost nothing.
//
// Counting is an estimate, and a path that allocates without counting must not grow the
// heap without bound, so two backstops hold whatever the counts say: every eighth stream
// callback counts one unit (a collection at least every 16,384 stream callbacks, a few
// hundredths of a microsecond per request no limit applies to), and the next safe point
// after linear memory grew collects (the allocator doubles memory when it grows: at most
// one collection per doubling).

/** Units of work between collections (about 64 limited requests). */
// @ts-ignore: decorator
@inline const COLLECT_EVERY: u32 = 2048;

/**
 * Units a request that a limit applies to adds for what it allocates: its exchange, the
 * usage reader, counter keys and records, through the callbacks of its stream. With what
 * its selection and body chunks count, a limited request adds about 30 units, as many as
 * when every callback counted one.
 */
// @ts-ignore: decorator
@inline export const LIMITED_REQUEST_UNITS: u32 = 16;

/** Units a request whose selection waits for its body adds (the pending body, the body's values). */
// @ts-ignore: decorator
@inline export const BODY_SELECTION_UNITS: u32 = 8;

let depth: u32 = 0;
let work: u32 = 0;
let streamCallbacks: u32 = 0;
/** Pages of linear memory after the last collection (0: none yet). */
let pagesAtCollection: i32 = 0;

/** Collects when due (enough work counted, or memory grew since the last time) and nothing is on the stack. */
// @ts-ignore: decorator
@inline function collectIfDue(): void {
  if (ASC_RUNTIME == 1 && depth == 0 && (work >= COLLECT_EVERY || memory.size() > pagesAtCollection)) {
    work = 0;
    __collect();
    pagesAtCollection = memory.size();
  }
}

/** Called first by every root context callback export: one unit of work, then a possible collection. */
export function enterCallback(): void {
  work++;
  collectIfDue();
  depth++;
}

/**
 * Called first by every stream callback export. Entering counts only the backstop's
 * eighth; the stream's lookup counts what its context says (registry.ts streamOf).
 */
export function enterStreamCallback(): void {
  if ((++streamCallbacks & 7) == 0) work++;
  collectIfDue();
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
