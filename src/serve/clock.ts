// Time for a host-test Host that serves real traffic. host-test runs nothing in the
// background: its clock moves only when told. `FollowingClock` moves it with the machine's
// clock, waking up when the next tick, call response or timeout falls due; `held` keeps it
// still (the demo and tests move it by hand), running only what is due now.
import type { Host } from "../../host-test/index.ts";

export class FollowingClock {
  private timer: NodeJS.Timeout | null = null;
  private offsetMs: number;
  private stopped = false;

  /** Follows the machine's clock from the host's current time; `held`: stays still instead. */
  constructor(private readonly host: Host, private held = false) {
    this.offsetMs = host.clock.now() - Date.now();
  }

  /** Brings the host's clock up to date, runs what is due, and sleeps until the next task. */
  pump(): void {
    if (this.stopped) return;
    if (this.held) this.host.flush();
    else {
      const target = Date.now() + this.offsetMs;
      const behind = target - this.host.clock.now();
      if (behind > 0) this.host.clock.advance(behind);
      else this.host.flush();
    }
    this.arm();
  }

  /** Sets the host's wall clock (later: runs what falls due) and, unless held, keeps following from there. */
  set(ms: number): void {
    this.host.clock.set(ms);
    this.offsetMs = ms - Date.now();
    this.pump();
  }

  /** The host's wall clock, ms since the epoch. */
  now(): number {
    return this.host.clock.now();
  }

  /** Whether the clock is held still. */
  get isHeld(): boolean {
    return this.held;
  }

  /** Holds the clock still (true) or lets it follow the machine's from where it is (false). */
  hold(held: boolean): void {
    this.held = held;
    this.offsetMs = this.host.clock.now() - Date.now();
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const due = this.host.clock.nextDueIn();
    if (due === undefined || (this.held && due > 0)) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, Math.min(Math.max(due, 0), 2 ** 31 - 1));
    this.timer.unref();
  }
}
