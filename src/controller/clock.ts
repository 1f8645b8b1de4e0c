// Time, injected: the controller reads the time and sets timers only through a Clock, so
// tests drive backoff, resync and lease expiry without waiting.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` after `ms`; returns the function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** The delay before retry number `failures` (1, 2, ...): doubling from `baseMs`, capped at `maxMs`. */
export function backoff(failures: number, baseMs = 500, maxMs = 60_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
}

/** RFC 3339 with microseconds, as Kubernetes writes MicroTime (Lease renewTime). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** RFC 3339 to the second, as Kubernetes writes Time (lastTransitionTime). */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
