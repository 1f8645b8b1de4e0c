// The reconciler: from what the cluster holds (policies, gateways, routes, the
// WasmPlugins it made) to what it should hold, and the status of every policy. Pure: the
// filter's verdicts come in through `check`, which answers from what was already checked;
// configurations not checked yet are returned in `unchecked`, and the caller checks them
// (by loading the real .wasm) and reconciles again.
import type { FilterVerdict } from "../policy/filter-check.ts";
import { canonical } from "./canonical.ts";
import { compileGateway } from "./compile.ts";
import { type Verdict, policyStatus, sameStatus } from "./conditions.ts";
import { type LimitadorRef, countsInLimitador, gatewayLimits, mergeLimits, withLimits } from "./limitador.ts";
import type { LimitadorLimit } from "../policy/engines.ts";
import { precedenceOrder } from "./merge.ts";
import { GLOBAL_FIELDS, type ResolvedPolicy, resolvePolicy } from "./policy.ts";
import type { Gateway, HTTPRoute, KubeObject, PolicyStatus, TokenRateLimitPolicy, WasmPlugin } from "./types.ts";
import { keyOf } from "./types.ts";
import { type PluginOptions, wasmPluginFor } from "./wasmplugin.ts";

export interface Snapshot {
  policies: TokenRateLimitPolicy[];
  gateways: Gateway[];
  routes: HTTPRoute[];
  /** The WasmPlugins this controller manages (by its label), as they are. */
  plugins: WasmPlugin[];
  /**
   * The Limitador whose `spec.limits` the controller keeps (`--limitador`), and the object
   * as it is (undefined when it does not exist). Absent when no Limitador is kept.
   */
  limitador?: LimitadorRef & { object?: KubeObject };
}

/** The filter's verdict on a configuration (JSON text), or undefined if not checked yet. */
export type Check = (config: string) => FilterVerdict | undefined;

export interface Plan {
  /** Configurations to give the filter before the plan can be trusted; when not empty, the rest is empty. */
  unchecked: string[];
  /** WasmPlugins to create or replace (only those that differ from what exists). */
  apply: WasmPlugin[];
  /** Managed WasmPlugins nothing needs any more. */
  remove: { namespace: string; name: string }[];
  /** Statuses that differ from what the policies carry. */
  statuses: { namespace: string; name: string; status: PolicyStatus }[];
  /** The kept Limitador with the limits it must have, when they differ from its own. */
  limitador?: KubeObject;
}

/** Computes the plan. `now` is the RFC 3339 time new conditions carry. Pure. */
export function reconcile(snapshot: Snapshot, options: PluginOptions, check: Check, now: string): Plan {
  const world = {
    gateways: new Map(snapshot.gateways.map((g) => [keyOf(g), g])),
    routes: new Map(snapshot.routes.map((r) => [keyOf(r), r])),
  };
  const policies = [...snapshot.policies].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
  const verdicts = new Map<string, Verdict>();
  const resolved: ResolvedPolicy[] = [];
  const unchecked = new Set<string>();

  for (const policy of policies) {
    const r = resolvePolicy(policy, world);
    if (!("resolved" in r)) {
      verdicts.set(keyOf(policy), { accepted: false, reason: r.reason, message: r.message });
      continue;
    }
    const filter = check(r.resolved.config);
    if (filter === undefined) unchecked.add(r.resolved.config);
    else if (!filter.accepted) verdicts.set(r.resolved.key, { accepted: false, reason: "Invalid", message: filterMessage(filter) });
    else resolved.push(r.resolved);
  }
  if (unchecked.size > 0) return { unchecked: [...unchecked], apply: [], remove: [], statuses: [] };

  // Fields that configure the whole filter: one value per gateway, the first in precedence wins.
  const conflicts = findConflicts(resolved);
  for (const [key, message] of conflicts) verdicts.set(key, { accepted: false, reason: "Conflicted", message });
  const accepted = resolved.filter((p) => !conflicts.has(p.key));

  const desired: WasmPlugin[] = [];
  const enforcedIn = new Map<string, string[]>();
  const overriddenBy = new Map<string, Set<string>>();
  const rejectedIn = new Map<string, string>();
  const limitadorLimits: LimitadorLimit[][] = [];
  const countedInLimitador = new Set<string>();
  for (const gatewayKey of [...new Set(accepted.flatMap((p) => p.gateways))].sort()) {
    const gateway = world.gateways.get(gatewayKey)!;
    const members = accepted.filter((p) => p.gateways.includes(gatewayKey));
    const compiled = compileGateway(members, globalsOf(members));
    const text = JSON.stringify(compiled.config);
    const filter = check(text);
    if (filter === undefined) {
      unchecked.add(text);
      continue;
    }
    const plugin = wasmPluginFor(gateway, compiled.config, members.map((m) => m.policy), options);
    const label = `${plugin.metadata.namespace}/${plugin.metadata.name}`;
    if (!filter.accepted) {
      for (const m of members) rejectedIn.set(m.key, `the combined configuration of WasmPlugin ${label} was rejected by the filter: ${filterMessage(filter)}`);
      continue;
    }
    if (snapshot.limitador !== undefined && countsInLimitador(compiled.config)) {
      // A limit Limitador cannot count would be no limit at all: its admission would say OK.
      const limits = gatewayLimits(compiled.config);
      if ("errors" in limits) {
        for (const m of members) rejectedIn.set(m.key, `Limitador cannot count the limits of WasmPlugin ${label}: ${limits.errors.join("; ")}`);
        continue;
      }
      limitadorLimits.push(limits.limits);
      for (const m of members) countedInLimitador.add(m.key);
    }
    desired.push(plugin);
    for (const key of compiled.enforced) enforcedIn.set(key, [...(enforcedIn.get(key) ?? []), label]);
    for (const [key, by] of compiled.overriddenBy) {
      const all = overriddenBy.get(key) ?? new Set<string>();
      for (const b of by) all.add(b);
      overriddenBy.set(key, all);
    }
  }
  if (unchecked.size > 0) return { unchecked: [...unchecked], apply: [], remove: [], statuses: [] };

  let limitador: KubeObject | undefined;
  const kept = snapshot.limitador;
  if (kept !== undefined) {
    const limits = mergeLimits(limitadorLimits);
    if (kept.object !== undefined) limitador = withLimits(kept.object, limits);
    else {
      // The WasmPlugin stays: its calls fail and failureMode decides, which is never unmetered by default.
      for (const key of countedInLimitador) {
        rejectedIn.set(key, `its limits count in Limitador, but the Limitador ${kept.namespace}/${kept.name} that should hold them does not exist`);
      }
    }
  }

  for (const p of accepted) {
    const where = enforcedIn.get(p.key);
    const rejected = rejectedIn.get(p.key);
    if (rejected !== undefined) verdicts.set(p.key, { accepted: true, enforced: false, reason: "Invalid", message: rejected });
    else if (where !== undefined) {
      const counted = kept !== undefined && countedInLimitador.has(p.key) ? `, counted in Limitador ${kept.namespace}/${kept.name}` : "";
      verdicts.set(p.key, { accepted: true, enforced: true, message: `limits in force in WasmPlugin ${where.join(", ")}${counted}` });
    }
    else {
      const by = [...(overriddenBy.get(p.key) ?? [])].sort();
      verdicts.set(p.key, { accepted: true, enforced: false, reason: "Overridden", message: `every limit is overridden by ${by.join(", ")}` });
    }
  }

  const statuses: Plan["statuses"] = [];
  for (const policy of policies) {
    const status = policyStatus(verdicts.get(keyOf(policy))!, policy.metadata.generation, policy.status, now);
    if (!sameStatus(policy.status, status)) statuses.push({ namespace: policy.metadata.namespace ?? "", name: policy.metadata.name, status });
  }

  const existing = new Map(snapshot.plugins.map((p) => [keyOf(p), p]));
  const apply = desired.filter((d) => {
    const e = existing.get(keyOf(d));
    return e === undefined || !samePlugin(e, d);
  });
  const wanted = new Set(desired.map(keyOf));
  const remove = snapshot.plugins.filter((p) => !wanted.has(keyOf(p)))
    .map((p) => ({ namespace: p.metadata.namespace ?? "", name: p.metadata.name }))
    .sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1));
  return { unchecked: [], apply, remove, statuses, ...(limitador === undefined ? {} : { limitador }) };
}

/** Whether an existing WasmPlugin already says what the desired one says. */
function samePlugin(existing: WasmPlugin, desired: WasmPlugin): boolean {
  const pick = (p: WasmPlugin) => ({
    labels: p.metadata.labels,
    annotations: p.metadata.annotations,
    ownerReferences: p.metadata.ownerReferences,
    spec: p.spec,
  });
  return canonical(pick(existing)) === canonical(pick(desired));
}

/** The filter's errors, one sentence. */
function filterMessage(v: FilterVerdict): string {
  const lines = v.logs.filter((l) => !l.startsWith("warn: ")).map((l) => l.replace(/^(error|critical): (tokenlimit: )?/, ""));
  if (v.failure !== undefined) lines.push(v.failure);
  return lines.length === 0 ? "the filter rejected the configuration" : lines.join("; ");
}

/**
 * Policies whose whole-filter fields disagree with a policy of higher precedence on one
 * of their gateways, with the message saying which field and which policy.
 */
function findConflicts(policies: ResolvedPolicy[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const gateway of [...new Set(policies.flatMap((p) => p.gateways))].sort()) {
    const members = policies.filter((p) => p.gateways.includes(gateway));
    const order = precedenceOrder(members.map((m) => m.rules)).reverse();
    const setBy = new Map<string, string>();
    const values = new Map(members.map((m) => [m.key, m.globals]));
    for (const rules of order) {
      const globals = values.get(rules.policy)!;
      for (const field of GLOBAL_FIELDS) {
        if (!(field in globals)) continue;
        const owner = setBy.get(field);
        if (owner === undefined) setBy.set(field, rules.policy);
        else if (canonical(values.get(owner)![field]) !== canonical(globals[field]) && !out.has(rules.policy)) {
          out.set(rules.policy, `spec.${field} differs from ${owner}'s; it configures the filter of the whole Gateway ${gateway}, so policies there must agree on it`);
        }
      }
    }
  }
  return out;
}

/** The whole-filter fields of conflict-free policies, in precedence order. */
function globalsOf(members: ResolvedPolicy[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const byKey = new Map(members.map((m) => [m.key, m]));
  for (const rules of precedenceOrder(members.map((m) => m.rules)).reverse()) {
    for (const [k, v] of Object.entries(byKey.get(rules.policy)!.globals)) if (!(k in out)) out[k] = v;
  }
  const ordered: Record<string, unknown> = {};
  for (const field of GLOBAL_FIELDS) if (field in out) ordered[field] = out[field];
  return ordered;
}
