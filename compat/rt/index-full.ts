// The SDK (@solo-io/proxy-runtime 0.1.8) was written for AssemblyScript 0.14's
// reference-counting runtime. AssemblyScript 0.27 replaced it with a tracing GC
// whose equivalents of retain/release are pin/unpin.

/** Keeps `ptr` alive until `__release`; maps the old retain onto `__pin`. */
export function __retain(ptr: usize): usize {
  if (ptr == 0) return 0;
  return __pin(ptr);
}

/** Lets the GC reclaim `ptr` again; maps the old release onto `__unpin`. */
export function __release(ptr: usize): void {
  if (ptr != 0) __unpin(ptr);
}
