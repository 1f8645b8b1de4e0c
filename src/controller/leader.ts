// Leader election on a coordination.k8s.io/v1 Lease, so that of several replicas exactly
// one writes. The holder renews the lease every retry period; another replica takes it
// only once renewTime + leaseDurationSeconds has passed. A holder that cannot renew stops
// calling itself leader after the renew deadline, which is shorter than the lease
// duration: it has stopped writing before anyone else may start.
import { type Clock, microTime } from "./clock.ts";
import { type KubeClient, type Resource, asApiError } from "./kube.ts";
import type { KubeObject } from "./types.ts";

export const LEASES: Resource = { group: "coordination.k8s.io", version: "v1", plural: "leases" };

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface ElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export type LeaseAction = { action: "create" | "renew" | "takeover"; spec: LeaseSpec } | { action: "wait"; holder: string };

/** What `identity` should do about `lease` at `now` (ms). Pure. */
export function decide(lease: Lease | undefined, identity: string, now: number, leaseDurationMs: number): LeaseAction {
  const fresh: LeaseSpec = {
    holderIdentity: identity,
    leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
    acquireTime: microTime(now),
    renewTime: microTime(now),
    leaseTransitions: 0,
  };
  if (lease === undefined) return { action: "create", spec: fresh };
  const spec = lease.spec ?? {};
  if (spec.holderIdentity === identity) return { action: "renew", spec: { ...spec, renewTime: microTime(now) } };
  const renewed = spec.renewTime === undefined ? 0 : Date.parse(spec.renewTime);
  const expires = renewed + (spec.leaseDurationSeconds ?? 0) * 1000;
  if (spec.holderIdentity && now < expires) return { action: "wait", holder: spec.holderIdentity };
  return { action: "takeover", spec: { ...fresh, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } };
}

export class LeaderElector {
  private leading = false;
  private lastRenew = Number.NEGATIVE_INFINITY;
  private cancel?: () => void;
  private stopped = true;
  private wasLeader = false;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;

  constructor(
    private readonly client: KubeClient,
    private readonly o: ElectionOptions,
    private readonly clock: Clock,
    private readonly onChange: (leading: boolean) => void = () => {},
    private readonly log: (line: string) => void = () => {},
  ) {
    this.leaseDurationMs = o.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = o.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = o.retryPeriodMs ?? 2_000;
  }

  /** Whether this replica holds the lease and renewed it within the renew deadline. */
  isLeader(): boolean {
    return this.leading && this.clock.now() - this.lastRenew < this.renewDeadlineMs;
  }

  start(): void {
    this.stopped = false;
    void this.loop();
  }

  /** Stops; with `release`, a held lease is given up so another replica takes over at once. */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    this.cancel?.();
    if (release && this.leading) {
      this.leading = false;
      this.notify();
      try {
        const lease = await this.client.get(LEASES, this.o.namespace, this.o.name) as Lease | undefined;
        if (lease?.spec?.holderIdentity === this.o.identity) {
          await this.client.replace(LEASES, this.o.namespace, this.o.name, { ...lease, spec: { ...lease.spec, holderIdentity: "" } });
        }
      } catch (e) {
        this.log(`releasing lease: ${asApiError(e).message}`);
      }
    }
  }

  private async loop(): Promise<void> {
    if (this.stopped) return;
    await this.step();
    if (!this.stopped) this.cancel = this.clock.after(this.retryPeriodMs, () => void this.loop());
  }

  /** One attempt to acquire or renew the lease. */
  async step(): Promise<void> {
    const { namespace, name, identity } = this.o;
    try {
      const lease = await this.client.get(LEASES, namespace, name) as Lease | undefined;
      const now = this.clock.now();
      const d = decide(lease, identity, now, this.leaseDurationMs);
      if (d.action === "wait") {
        this.leading = false;
      } else if (d.action === "create") {
        await this.client.create(LEASES, namespace, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace }, spec: d.spec });
        this.won(now, d.action);
      } else {
        await this.client.replace(LEASES, namespace, name, { ...lease!, spec: d.spec });
        this.won(now, d.action);
      }
    } catch (e) {
      const err = asApiError(e);
      // 409: another replica wrote the lease between our read and our write; it won.
      if (err.code === 409) this.leading = false;
      else this.log(`lease ${namespace}/${name}: ${err.code} ${err.message}`);
    }
    this.notify();
  }

  private won(now: number, action: string): void {
    if (!this.leading && action !== "renew") this.log(`acquired lease ${this.o.namespace}/${this.o.name} as ${this.o.identity}`);
    this.leading = true;
    this.lastRenew = now;
  }

  private notify(): void {
    const now = this.isLeader();
    if (now !== this.wasLeader) {
      this.wasLeader = now;
      this.onChange(now);
    }
  }
}
