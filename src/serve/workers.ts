// Which worker VM serves a connection: round-robin, one worker for the connection's
// lifetime, as Envoy's listener hands each accepted connection to one worker thread.
import type { Socket } from "node:net";

export class WorkerSelector {
  private next = 0;
  private readonly assigned = new WeakMap<Socket, number>();

  constructor(readonly count: number) {
    if (!(Number.isInteger(count) && count >= 1)) throw new RangeError("workers must be an integer >= 1");
  }

  /** The worker of `socket`, assigned on first sight. */
  forConnection(socket: Socket): number {
    let w = this.assigned.get(socket);
    if (w === undefined) {
      w = this.next;
      this.next = (this.next + 1) % this.count;
      this.assigned.set(socket, w);
    }
    return w;
  }
}
