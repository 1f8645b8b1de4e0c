// A bump arena for the buffers the host returns. Each one (a header value, a shared-data
// value, a body chunk) is read and freed within the callback that asked for it, so they
// need no general allocator: the arena hands out consecutive 8-byte-aligned blocks and
// counts the ones outstanding; when the last is freed, in whatever order, it starts over
// from its base. A request that does not fit in what is left returns 0 (the caller then
// uses the heap). A block held across later allocations only delays the restart.

/** Bytes in the arena: headers, counters and typical body chunks fit; larger go to the heap. */
// @ts-ignore: decorator
@inline export const HOST_ARENA_BYTES: usize = 16 * 1024;

// The arena's memory, taken from the heap on first use and kept for the life of the VM.
let base: usize = 0;
// Offset of the first free byte (a multiple of 8, at most HOST_ARENA_BYTES).
let top: usize = 0;
// Blocks handed out and not yet freed.
let live: u32 = 0;

/** A block of `size` (> 0) bytes from the arena, or 0 when it does not fit in what is left. */
export function arenaAlloc(size: usize): usize {
  // Compared before rounding, so that no size (up to usize max) can wrap the arithmetic.
  if (size == 0 || size > HOST_ARENA_BYTES - top) return 0;
  if (base == 0) base = heap.alloc(HOST_ARENA_BYTES);
  const p = base + top;
  // top and HOST_ARENA_BYTES are multiples of 8, so the rounded size still fits.
  top += (size + 7) & ~<usize>7;
  live++;
  return p;
}

/**
 * Frees `ptr` if the arena handed it out (true), else leaves it alone (false: it is the
 * heap's). The arena restarts from its base once every block is freed; a stray second
 * free when none is outstanding is ignored.
 */
export function arenaFree(ptr: usize): bool {
  if (base == 0 || ptr - base >= HOST_ARENA_BYTES) return false;
  if (live > 0 && --live == 0) top = 0;
  return true;
}

/** Blocks outstanding (for tests). */
export function arenaLive(): u32 { return live; }

/** Bytes handed out since the arena last restarted (for tests). */
export function arenaUsed(): usize { return top; }

/** Whether `ptr` lies in the arena (for tests). */
export function inArena(ptr: usize): bool { return base != 0 && ptr - base < HOST_ARENA_BYTES; }
