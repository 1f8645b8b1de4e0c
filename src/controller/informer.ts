// A cache of one resource type kept current by list and watch: list (remember the
// resourceVersion), watch from there, apply each event; when the watch ends, watch again
// from the last resourceVersion seen; when the server says that version is too old (410
// Gone), list again. Errors are retried with backoff. Every change calls `onChange`.
import { type Clock, backoff } from "./clock.ts";
import type { ApiError, KubeClient, Resource, WatchEventType } from "./kube.ts";
import type { Metrics } from "./metrics.ts";
import { type KubeObject, keyOf } from "./types.ts";

export class Informer<T extends KubeObject = KubeObject> {
  private readonly objects = new Map<string, T>();
  private resourceVersion = "";
  private stopWatch?: () => void;
  private cancelRetry?: () => void;
  private failures = 0;
  private stopped = true;
  /** True once the first list has been loaded. */
  synced = false;

  constructor(
    private readonly client: KubeClient,
    readonly resource: Resource,
    private readonly onChange: () => void,
    private readonly clock: Clock,
    private readonly metrics?: Metrics,
    private readonly labelSelector?: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** The objects, sorted by namespace/name. */
  list(): T[] {
    return [...this.objects.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, o]) => o);
  }

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  /**
   * Records what a write of ours returned, before its watch event arrives, unless the
   * cache already holds a newer version (resourceVersions compared as etcd's integers;
   * anything else is taken as newer).
   */
  remember(o: T): void {
    const cached = Number(this.objects.get(keyOf(o))?.metadata.resourceVersion);
    if (!(cached > Number(o.metadata.resourceVersion))) this.objects.set(keyOf(o), o);
  }

  forget(key: string): void {
    this.objects.delete(key);
  }

  start(): void {
    this.stopped = false;
    void this.relist();
  }

  stop(): void {
    this.stopped = true;
    this.stopWatch?.();
    this.cancelRetry?.();
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    try {
      const { items, resourceVersion } = await this.client.list(this.resource, this.labelSelector);
      if (this.stopped) return;
      this.objects.clear();
      for (const o of items) this.objects.set(keyOf(o), o as T);
      this.resourceVersion = resourceVersion;
      this.synced = true;
      this.failures = 0;
      this.onChange();
      await this.watch();
    } catch (e) {
      this.retry(() => this.relist(), e);
    }
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    let expired = false;
    const onEvent = (type: WatchEventType, o: KubeObject) => {
      if (type === "ERROR") {
        const code = (o as unknown as { code?: number }).code;
        if (code === 410) expired = true;
        return;
      }
      if (o?.metadata?.resourceVersion !== undefined) this.resourceVersion = o.metadata.resourceVersion;
      if (type === "BOOKMARK") return;
      if (type === "DELETED") this.objects.delete(keyOf(o));
      else this.objects.set(keyOf(o), o as T);
      this.failures = 0;
      this.onChange();
    };
    const onEnd = (error?: ApiError) => {
      this.stopWatch = undefined;
      if (this.stopped) return;
      const name = this.resource.plural;
      if (expired || error?.code === 410) {
        this.metrics?.inc("tokenlimit_controller_watch_restarts_total", { resource: name, reason: "expired" });
        this.log(`watch of ${name} expired at resourceVersion ${this.resourceVersion}: listing again`);
        void this.relist();
      } else if (error !== undefined) {
        this.metrics?.inc("tokenlimit_controller_watch_restarts_total", { resource: name, reason: "error" });
        this.retry(() => this.watch(), error);
      } else {
        this.metrics?.inc("tokenlimit_controller_watch_restarts_total", { resource: name, reason: "closed" });
        void this.watch();
      }
    };
    try {
      const stop = await this.client.watch(this.resource, this.resourceVersion, this.labelSelector, onEvent, onEnd);
      if (this.stopped) stop();
      else this.stopWatch = stop;
    } catch (e) {
      this.retry(() => this.watch(), e);
    }
  }

  private retry(again: () => Promise<void>, e: unknown): void {
    if (this.stopped) return;
    this.failures++;
    const delay = backoff(this.failures);
    this.log(`${this.resource.plural}: ${(e as Error).message}; retrying in ${delay} ms`);
    this.cancelRetry = this.clock.after(delay, () => void again());
  }
}
