// Simulated time and the event loop. Everything asynchronous in Envoy (tick timers, call
// responses, shared-queue notifications, call timeouts) is a task on this loop; nothing
// happens until the test drives it, so runs are deterministic.

interface Task {
  due: number; // monotonic ms
  seq: number;
  run: () => void;
  cancelled: boolean;
}

/** A handle to cancel a scheduled task. */
export interface TaskHandle {
  cancel(): void;
}

export class Scheduler {
  private mono = 1000; // monotonic ms since an arbitrary boot
  private wallOffset: number; // wall ms = mono + wallOffset
  private seq = 0;
  private tasks: Task[] = [];
  private running = false;

  constructor(nowMs: number) {
    this.wallOffset = nowMs - this.mono;
  }

  /** Wall-clock milliseconds since the Unix epoch. */
  nowMs(): number {
    return this.mono + this.wallOffset;
  }

  /** Wall-clock nanoseconds since the Unix epoch (proxy_get_current_time_nanoseconds). */
  nowNanos(): bigint {
    return msToNanos(this.nowMs());
  }

  /** Monotonic nanoseconds (WASI clock 1). */
  monotonicNanos(): bigint {
    return msToNanos(this.mono);
  }

  /** Runs `run` after `delayMs` of simulated time (0: on the next loop turn). */
  schedule(delayMs: number, run: () => void): TaskHandle {
    const t: Task = { due: this.mono + Math.max(0, delayMs), seq: this.seq++, run, cancelled: false };
    this.tasks.push(t);
    return { cancel: () => { t.cancelled = true; } };
  }

  /** Number of tasks not yet run. */
  get pending(): number {
    return this.tasks.filter((t) => !t.cancelled).length;
  }

  /** Milliseconds until the next task, or undefined when none. */
  nextDueIn(): number | undefined {
    let best: number | undefined;
    for (const t of this.tasks) if (!t.cancelled && (best === undefined || t.due < best)) best = t.due;
    return best === undefined ? undefined : Math.max(0, best - this.mono);
  }

  /** Runs every task due now, including ones they schedule for now. */
  flush(): void {
    this.runUntil(this.mono);
  }

  /** Moves time forward by `ms`, running tasks in due order as their time comes. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError("clock.advance: ms must be >= 0");
    this.runUntil(this.mono + ms);
  }

  /** Sets the wall clock. Later times advance (running tasks); earlier ones jump back without running anything. */
  set(wallMs: number): void {
    const now = this.nowMs();
    if (wallMs >= now) this.advance(wallMs - now);
    else this.wallOffset -= now - wallMs;
  }

  private runUntil(target: number): void {
    if (this.running) {
      // A task advancing time from inside the loop: just move the clock.
      this.mono = Math.max(this.mono, target);
      return;
    }
    this.running = true;
    try {
      for (;;) {
        let next: Task | undefined;
        for (const t of this.tasks) {
          if (t.cancelled || t.due > target) continue;
          if (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq)) next = t;
        }
        if (!next) break;
        this.tasks.splice(this.tasks.indexOf(next), 1);
        this.mono = Math.max(this.mono, next.due);
        next.run();
      }
      this.tasks = this.tasks.filter((t) => !t.cancelled);
      this.mono = Math.max(this.mono, target);
    } finally {
      this.running = false;
    }
  }
}

function msToNanos(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

/** The test-facing clock (`host.clock`). */
export class Clock {
  constructor(private readonly s: Scheduler) {}
  /** Wall-clock ms since the epoch. */
  now(): number {
    return this.s.nowMs();
  }
  /** Wall-clock ns since the epoch, as the filter reads it. */
  nowNanos(): bigint {
    return this.s.nowNanos();
  }
  /** Sets the wall clock (forward runs due timers on every VM; backward only moves the clock). */
  set(ms: number): void {
    this.s.set(ms);
  }
  /** Milliseconds of simulated time until the next scheduled task (tick, call response, timeout), or undefined. */
  nextDueIn(): number | undefined {
    return this.s.nextDueIn();
  }
  /** Advances time, firing `on_tick`, call responses and timeouts as they fall due. */
  advance(ms: number): void {
    this.s.advance(ms);
  }
}
