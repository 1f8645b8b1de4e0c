// Memory the host hands to the guest. Envoy allocates every returned buffer through the
// module's exported `malloc` and writes its address and size into two u32 slots that the
// guest passes in. We allocate those outside the managed heap so that a body chunk can be
// scanned in place and freed at once, without touching the garbage collector: from a
// small bump arena (host_arena.ts) when they fit, else from the unmanaged heap.

import { arenaAlloc, arenaFree } from "./host_arena";

// Largest block the runtime's allocator accepts (its BLOCK_MAXSIZE, 1 GiB) less its header.
// @ts-ignore: decorator
@inline const HOST_ALLOC_MAX: usize = (1 << 30) - 64;

// Two scratch u32 slots (address, size) and one u64 slot, reused by every hostcall.
const SLOTS: usize = memory.data(24);

/** Address of the slot receiving a returned buffer's address. */
// @ts-ignore: decorator
@inline export function resultPtrSlot(): usize { return SLOTS; }
/** Address of the slot receiving a returned buffer's size. */
// @ts-ignore: decorator
@inline export function resultSizeSlot(): usize { return SLOTS + 4; }
/** Address of an 8-byte slot for u64 results (time, metric values, cas). */
// @ts-ignore: decorator
@inline export function u64Slot(): usize { return SLOTS + 8; }
/** Address of a spare u32 slot (cas, tokens, flags). */
// @ts-ignore: decorator
@inline export function u32Slot(): usize { return SLOTS + 16; }

/** Clears the result slots before a hostcall so a host that writes nothing reads as empty. */
export function clearResult(): void {
  store<u32>(SLOTS, 0);
  store<u32>(SLOTS + 4, 0);
}

/** The buffer the last hostcall returned, moved into a managed ArrayBuffer (frees the host's). */
export function takeResult(): ArrayBuffer {
  const ptr = <usize>load<u32>(SLOTS);
  const size = <i32>load<u32>(SLOTS + 4);
  store<u32>(SLOTS, 0);
  store<u32>(SLOTS + 4, 0);
  if (ptr == 0 || size <= 0) {
    if (ptr != 0) hostFree(ptr);
    return new ArrayBuffer(0);
  }
  const out = new ArrayBuffer(size);
  memory.copy(changetype<usize>(out), ptr, <usize>size);
  hostFree(ptr);
  return out;
}

/**
 * The buffer the last hostcall returned, copied into `reuse` when it has exactly that size
 * (then `reuse` is returned and nothing is allocated), else into a new ArrayBuffer.
 */
export function takeResultInto(reuse: ArrayBuffer): ArrayBuffer {
  const ptr = <usize>load<u32>(SLOTS);
  const size = <i32>load<u32>(SLOTS + 4);
  if (ptr == 0 || size != reuse.byteLength) return takeResult();
  store<u32>(SLOTS, 0);
  store<u32>(SLOTS + 4, 0);
  memory.copy(changetype<usize>(reuse), ptr, <usize>size);
  hostFree(ptr);
  return reuse;
}

/**
 * The buffer the last hostcall returned, decoded as UTF-8 straight from the host's copy
 * (which is then freed): one allocation, the string. "" when nothing was returned.
 */
export function takeResultString(): string {
  const ptr = <usize>load<u32>(SLOTS);
  const size = <usize>load<u32>(SLOTS + 4);
  store<u32>(SLOTS, 0);
  store<u32>(SLOTS + 4, 0);
  if (ptr == 0) return "";
  const out = size == 0 ? "" : String.UTF8.decodeUnsafe(ptr, size);
  hostFree(ptr);
  return out;
}

/** Frees whatever the last hostcall returned, unread. */
export function dropResult(): void {
  const ptr = <usize>load<u32>(SLOTS);
  store<u32>(SLOTS, 0);
  store<u32>(SLOTS + 4, 0);
  if (ptr != 0) hostFree(ptr);
}

// Names passed to the host (header names) are encoded here instead of in a new buffer.
// @ts-ignore: decorator
@inline const NAME_SCRATCH_BYTES: i32 = 256;
const NAME_SCRATCH: usize = memory.data(NAME_SCRATCH_BYTES);

/**
 * `name` as UTF-8 in a scratch buffer valid until the next call, or 0 when it does not fit
 * (the caller then encodes it the ordinary way). Its length is `scratchNameLength()`.
 */
export function scratchName(name: string): usize {
  // At most 3 bytes per UTF-16 unit.
  if (name.length * 3 > NAME_SCRATCH_BYTES) return 0;
  scratchLength = String.UTF8.encodeUnsafe(changetype<usize>(name), name.length, NAME_SCRATCH);
  return NAME_SCRATCH;
}
let scratchLength: usize = 0;
// @ts-ignore: decorator
@inline export function scratchNameLength(): usize { return scratchLength; }

/**
 * Allocation entry the host calls; returns 0 for a zero-size request and for one larger
 * than the heap can ever serve (the host then fails that hostcall instead of the VM
 * trapping on the allocator's error).
 */
export function hostMalloc(size: usize): usize {
  if (size == 0) return 0;
  const p = arenaAlloc(size);
  if (p != 0) return p;
  if (size > HOST_ALLOC_MAX) return 0;
  return heap.alloc(size);
}

/** Frees memory allocated with `hostMalloc` (arena or heap); 0 is ignored. */
export function hostFree(ptr: usize): void {
  if (ptr == 0 || arenaFree(ptr)) return;
  heap.free(ptr);
}
