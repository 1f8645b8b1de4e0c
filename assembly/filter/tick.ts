// The root context's tick period, shared by whatever needs ticks (the budget alert
// webhook's retries, and any other periodic work): each asks for the period it needs, the
// tick runs at the shortest asked for, and nobody stops it for the others. A tick with
// nothing to do costs one callback.
import { setTickPeriod } from "../abi/time";

export class TickPeriod {
  /** The period in force (ms); 0 while nothing asked for ticks. */
  current: u32 = 0;

  /** Makes the root tick at least every `ms` milliseconds (> 0) from now on. */
  request(ms: u32): void {
    if (ms == 0 || (this.current != 0 && this.current <= ms)) return;
    this.current = ms;
    setTickPeriod(ms);
  }
}
