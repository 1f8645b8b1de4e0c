// The control loop: four informers (policies, Gateways, HTTPRoutes, the WasmPlugins it
// keeps), and the Limitador it keeps (read at each pass), feed one reconciler; any change,
// a resync timer or a retry runs it. Only the leader writes. A failed write is retried with backoff: the whole state is reconciled
// again, so a 409 (someone changed the object) is fixed by working from the new object.
import { type Clock, backoff, rfc3339 } from "./clock.ts";
import { Informer } from "./informer.ts";
import { type KubeClient, type Resource, asApiError } from "./kube.ts";
import type { Metrics } from "./metrics.ts";
import type { Plan, Snapshot } from "./reconcile.ts";
import {
  GATEWAY_API_GROUP, GATEWAY_API_VERSION, type Gateway, type HTTPRoute, POLICY_GROUP, POLICY_PLURAL, POLICY_VERSION,
  type TokenRateLimitPolicy, WASMPLUGIN_GROUP, WASMPLUGIN_VERSION, type WasmPlugin, keyOf,
} from "./types.ts";
import { type FilterVerdicts, plan } from "./validation.ts";
import { MANAGED_BY, MANAGED_BY_LABEL, type PluginOptions } from "./wasmplugin.ts";
import { LIMITADOR_GROUP, LIMITADOR_PLURAL, LIMITADOR_VERSION, type LimitadorRef } from "./limitador.ts";

export const POLICIES: Resource = { group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL };
export const GATEWAYS: Resource = { group: GATEWAY_API_GROUP, version: GATEWAY_API_VERSION, plural: "gateways" };
export const HTTPROUTES: Resource = { group: GATEWAY_API_GROUP, version: GATEWAY_API_VERSION, plural: "httproutes" };
export const WASMPLUGINS: Resource = { group: WASMPLUGIN_GROUP, version: WASMPLUGIN_VERSION, plural: "wasmplugins" };
export const LIMITADORS: Resource = { group: LIMITADOR_GROUP, version: LIMITADOR_VERSION, plural: LIMITADOR_PLURAL };

export interface ControllerOptions {
  client: KubeClient;
  plugin: PluginOptions;
  verdicts: FilterVerdicts;
  clock: Clock;
  metrics: Metrics;
  /** Whether this replica may write now (the leader elector's answer). */
  isLeader: () => boolean;
  /** Only policies with these labels (`key=value,...`); the others are never touched. */
  policySelector?: string;
  /** Full reconciliation this often even without events (ms). */
  resyncMs?: number;
  /**
   * The Limitador whose `spec.limits` the controller keeps for the gateways that count in
   * Limitador. Read at every reconciliation (one object: no watch), so a hand edit is
   * undone at the next change or resync.
   */
  limitador?: LimitadorRef;
  log?: (line: string) => void;
}

export class Controller {
  readonly policies: Informer<TokenRateLimitPolicy>;
  readonly gateways: Informer<Gateway>;
  readonly routes: Informer<HTTPRoute>;
  readonly plugins: Informer<WasmPlugin>;
  private running = false;
  private again = false;
  private failures = 0;
  private cancelTimer?: () => void;
  private stopped = true;
  private idleWaiters: (() => void)[] = [];
  private readonly log: (line: string) => void;

  constructor(private readonly o: ControllerOptions) {
    this.log = o.log ?? (() => {});
    const changed = () => this.trigger();
    this.policies = new Informer(o.client, POLICIES, changed, o.clock, o.metrics, o.policySelector, this.log);
    this.gateways = new Informer(o.client, GATEWAYS, changed, o.clock, o.metrics, undefined, this.log);
    this.routes = new Informer(o.client, HTTPROUTES, changed, o.clock, o.metrics, undefined, this.log);
    this.plugins = new Informer(o.client, WASMPLUGINS, changed, o.clock, o.metrics, `${MANAGED_BY_LABEL}=${MANAGED_BY}`, this.log);
  }

  private get informers() {
    return [this.policies, this.gateways, this.routes, this.plugins];
  }

  /** Whether every informer has loaded its first list. */
  get synced(): boolean {
    return this.informers.every((i) => i.synced);
  }

  start(): void {
    this.stopped = false;
    for (const i of this.informers) i.start();
  }

  stop(): void {
    this.stopped = true;
    for (const i of this.informers) i.stop();
    this.cancelTimer?.();
  }

  /** Asks for a reconciliation (coalesced: one runs at a time, and one more after it if asked meanwhile). */
  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.run();
  }

  /** Resolves when no reconciliation is running or asked for (for tests and shutdown). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    this.running = true;
    do {
      this.again = false;
      this.cancelTimer?.();
      let delay = this.o.resyncMs ?? 300_000;
      if (!this.synced) delay = -1; // informers call trigger() when they load
      else if (!this.o.isLeader()) this.o.metrics.inc("tokenlimit_controller_reconciles_total", { result: "standby" });
      else {
        const started = this.o.clock.now();
        const ok = await this.reconcileOnce();
        this.o.metrics.observe("tokenlimit_controller_reconcile_duration_seconds", (this.o.clock.now() - started) / 1000);
        this.o.metrics.inc("tokenlimit_controller_reconciles_total", { result: ok ? "success" : "error" });
        if (ok) this.failures = 0;
        else delay = backoff(++this.failures);
      }
      if (delay >= 0 && !this.stopped) this.cancelTimer = this.o.clock.after(delay, () => this.trigger());
    } while (this.again && !this.stopped);
    this.running = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** One pass: plan from the caches, then write. False when a write failed. */
  async reconcileOnce(): Promise<boolean> {
    const snapshot: Snapshot = {
      policies: this.policies.list(),
      gateways: this.gateways.list(),
      routes: this.routes.list(),
      plugins: this.plugins.list(),
    };
    let p: Plan;
    try {
      const kept = this.o.limitador;
      if (kept !== undefined) snapshot.limitador = { ...kept, object: await this.o.client.get(LIMITADORS, kept.namespace, kept.name) };
      p = await plan(snapshot, this.o.plugin, this.o.verdicts, rfc3339(this.o.clock.now()));
    } catch (e) {
      this.log(`reconcile: ${(e as Error).message}`);
      return false;
    }
    this.o.metrics.set("tokenlimit_controller_filter_verdicts", this.o.verdicts.size);
    let ok = true;
    const write = async (object: string, op: string, f: () => Promise<void>) => {
      // Leadership may have been lost while the filter judged: check before each write.
      if (!this.o.isLeader()) {
        ok = false;
        return;
      }
      try {
        await f();
        this.o.metrics.inc("tokenlimit_controller_writes_total", { object, op, result: "success" });
      } catch (e) {
        const err = asApiError(e);
        ok = false;
        this.o.metrics.inc("tokenlimit_controller_writes_total", { object, op, result: String(err.code || "error") });
        this.log(`${op} ${object}: ${err.code} ${err.message}`);
      }
    };
    // Limits first: a WasmPlugin that counts in Limitador must not call it before they are there.
    if (p.limitador !== undefined) {
      const limitador = p.limitador;
      await write("limitador", "replace", async () => {
        await this.o.client.replace(LIMITADORS, limitador.metadata.namespace ?? "", limitador.metadata.name, limitador);
      });
      if (!ok) return false;
    }
    for (const desired of p.apply) {
      const ns = desired.metadata.namespace ?? "";
      const existing = this.plugins.get(keyOf(desired));
      await write("wasmplugin", existing ? "replace" : "create", async () => {
        const written = existing
          ? await this.o.client.replace(WASMPLUGINS, ns, desired.metadata.name, { ...desired, metadata: { ...desired.metadata, resourceVersion: existing.metadata.resourceVersion } })
          : await this.o.client.create(WASMPLUGINS, ns, desired);
        this.plugins.remember(written as WasmPlugin);
      });
    }
    for (const r of p.remove) {
      await write("wasmplugin", "delete", async () => {
        try {
          await this.o.client.delete(WASMPLUGINS, r.namespace, r.name);
        } catch (e) {
          if (asApiError(e).code !== 404) throw e; // already gone (garbage-collected) is fine
        }
        this.plugins.forget(`${r.namespace}/${r.name}`);
      });
    }
    // Enforced must not be claimed for a plugin that was not written: statuses wait for the retry.
    if (!ok) return false;
    for (const s of p.statuses) {
      await write("policy", "status", async () => {
        try {
          this.policies.remember(await this.o.client.patchStatus(POLICIES, s.namespace, s.name, s.status) as TokenRateLimitPolicy);
        } catch (e) {
          if (asApiError(e).code !== 404) throw e; // the policy was deleted meanwhile
        }
      });
    }
    this.o.metrics.set("tokenlimit_controller_wasmplugins", this.plugins.list().length);
    const reasons = new Map<string, number>();
    for (const policy of this.policies.list()) {
      const reason = policy.status?.conditions?.find((c) => c.type === "Accepted")?.reason ?? "Unknown";
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    this.o.metrics.replace("tokenlimit_controller_policies", [...reasons].map(([reason, n]) => [{ reason }, n]));
    return ok;
  }
}
