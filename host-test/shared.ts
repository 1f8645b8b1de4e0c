// Shared data and shared queues (cpp-host src/shared_data.cc, src/shared_queue.cc). Both are
// process-wide and partitioned by vm_id, so every VM with the same vm_id (all worker VMs
// and the canary) sees the same keys. The CAS counter is global: every successful set
// gets the next value (starting at 1, never 0); cas 0 in a set means "unconditionally".
import { WasmResult } from "./abi.ts";

/** A stored value and its cas. */
export interface SharedEntry {
  value: Uint8Array;
  cas: number;
}

/** Runs before a filter's proxy_set_shared_data (see `SharedData.setFromGuest`). */
export type SharedWriteHook = (vmId: string, key: string) => void;

export class SharedData {
  private data = new Map<string, Map<string, SharedEntry>>();
  private cas = 1;
  /** Test hooks run before each write a filter makes. */
  readonly writeHooks: SharedWriteHook[] = [];
  private inHook = false;

  private nextCas(): number {
    const r = this.cas;
    this.cas = (this.cas + 1) >>> 0;
    if (this.cas === 0) this.cas = 1;
    return r;
  }

  /** proxy_get_shared_data: NotFound for a missing key. */
  get(vmId: string, key: string): { status: number; entry?: SharedEntry } {
    const e = this.data.get(vmId)?.get(key);
    return e ? { status: WasmResult.Ok, entry: e } : { status: WasmResult.NotFound };
  }

  /** proxy_set_shared_data: CasMismatch when `cas` is non-zero and differs; a missing key is created. */
  set(vmId: string, key: string, value: Uint8Array, cas: number): number {
    let m = this.data.get(vmId);
    if (!m) this.data.set(vmId, (m = new Map()));
    const e = m.get(key);
    if (e && cas !== 0 && cas !== e.cas) return WasmResult.CasMismatch;
    m.set(key, { value: value.slice(), cas: this.nextCas() });
    return WasmResult.Ok;
  }

  /**
   * A filter's proxy_set_shared_data: the hooks run first (as another worker's write
   * landing between this worker's read and its write would), then `set`. Writes the
   * hooks make are not hooked.
   */
  setFromGuest(vmId: string, key: string, value: Uint8Array, cas: number): number {
    if (!this.inHook && this.writeHooks.length > 0) {
      this.inHook = true;
      try {
        for (const hook of [...this.writeHooks]) hook(vmId, key);
      } finally {
        this.inHook = false;
      }
    }
    return this.set(vmId, key, value, cas);
  }

  /** All entries of a vm_id (test observer). */
  entries(vmId: string): Array<[string, SharedEntry]> {
    return [...(this.data.get(vmId) ?? new Map()).entries()];
  }
}

/** Where a queue's notifications go: the registering VM's root context. */
export interface QueueOwner {
  notify(contextId: number, token: number): void;
}

interface Queue {
  items: Uint8Array[];
  owner: QueueOwner;
  contextId: number;
}

export class SharedQueues {
  private tokens = new Map<string, number>(); // vmId \0 name -> token
  private queues = new Map<number, Queue>();
  private next = 1;

  private nextToken(): number {
    for (;;) {
      const t = this.next;
      this.next = (this.next + 1) >>> 0;
      if (t !== 0 && !this.queues.has(t)) return t;
    }
  }

  /** Registers (or re-registers, keeping queued data) `name`; the last registrant gets on_queue_ready. */
  register(vmId: string, name: string, owner: QueueOwner, contextId: number): number {
    const key = `${vmId}\0${name}`;
    let token = this.tokens.get(key);
    if (token === undefined) {
      token = this.nextToken();
      this.tokens.set(key, token);
    }
    const q = this.queues.get(token);
    this.queues.set(token, { items: q?.items ?? [], owner, contextId });
    return token;
  }

  /** The token of `name` under `vmId`, or 0. */
  resolve(vmId: string, name: string): number {
    return this.tokens.get(`${vmId}\0${name}`) ?? 0;
  }

  /** proxy_dequeue_shared_queue: NotFound (unknown token), Empty, or Ok with the data. */
  dequeue(token: number): { status: number; data?: Uint8Array } {
    const q = this.queues.get(token);
    if (!q) return { status: WasmResult.NotFound };
    const d = q.items.shift();
    return d ? { status: WasmResult.Ok, data: d } : { status: WasmResult.Empty };
  }

  /** proxy_enqueue_shared_queue: posts on_queue_ready to the registrant's thread. */
  enqueue(token: number, data: Uint8Array): number {
    const q = this.queues.get(token);
    if (!q) return WasmResult.NotFound;
    q.items.push(data.slice());
    q.owner.notify(q.contextId, token);
    return WasmResult.Ok;
  }

  /** Queued items of a queue (test observer). */
  peek(vmId: string, name: string): Uint8Array[] {
    const t = this.resolve(vmId, name);
    return t ? [...(this.queues.get(t)?.items ?? [])] : [];
  }
}
