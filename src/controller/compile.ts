// The plugin configuration of one Gateway: every policy that reaches it, merged scope by
// scope (each route that has policies of its own, and the rest of the gateway), compiled
// into one `limits` map whose `when` lists say which traffic each limit is for.
import { createHash } from "node:crypto";
import { type EffectiveLimit, mergeScope } from "./merge.ts";
import type { ResolvedPolicy } from "./policy.ts";
import { any, not } from "./translate.ts";

/** The scope of the gateway's traffic that no route policy claims. */
const REST = "";

export interface CompiledGateway {
  config: Record<string, unknown>;
  /** Policies with at least one limit in force, and where each lost limits. */
  enforced: Set<string>;
  overriddenBy: Map<string, Set<string>>;
}

/**
 * Compiles `policies` (all accepted, all reaching the same gateway) and the fields that
 * configure the whole filter (`globals`, already free of conflicts). Limits are named
 * `<namespace>.<policy>.<limit>` so that policies never collide; a gateway policy's
 * limit in force on several routes is one limit with one counter, as in Kuadrant. Pure.
 */
export function compileGateway(policies: ResolvedPolicy[], globals: Record<string, unknown>): CompiledGateway {
  const byKey = new Map(policies.map((p) => [p.key, p]));
  const gatewayLevel = policies.filter((p) => p.scope === undefined);
  const scopes = new Map<string, { predicate: string | null; policies: ResolvedPolicy[] }>();
  for (const p of policies) {
    if (p.scope === undefined) continue;
    const s = scopes.get(p.scope.id) ?? { predicate: p.scope.predicate, policies: [] };
    s.policies.push(p);
    scopes.set(p.scope.id, s);
  }
  const scopeIds = [...scopes.keys()].sort();
  const routePredicates = scopeIds.map((id) => scopes.get(id)!.predicate);
  const restPredicate = routePredicates.length === 0 ? null
    : routePredicates.includes(null) ? "false" : not(any(routePredicates as string[]));

  // Where each (policy, limit) is in force.
  const where = new Map<string, { limit: EffectiveLimit; scopes: Set<string> }>();
  const overriddenBy = new Map<string, Set<string>>();
  const record = (scope: string, members: ResolvedPolicy[]) => {
    const merged = mergeScope(members.map((p) => p.rules));
    for (const e of merged.effective) {
      const id = `${e.policy}\u0000${e.name}`;
      const entry = where.get(id) ?? { limit: e, scopes: new Set<string>() };
      entry.scopes.add(scope);
      where.set(id, entry);
    }
    for (const [p, by] of merged.overriddenBy) {
      const all = overriddenBy.get(p) ?? new Set<string>();
      for (const b of by) all.add(b);
      overriddenBy.set(p, all);
    }
  };
  for (const id of scopeIds) record(id, [...gatewayLevel, ...scopes.get(id)!.policies]);
  record(REST, gatewayLevel);

  const allScopes = [...scopeIds, REST];
  const limits: Record<string, unknown> = {};
  const enforced = new Set<string>();
  const entries = [...where.values()].sort((a, b) => cmp(a.limit.policy, b.limit.policy) || cmp(a.limit.name, b.limit.name));
  for (const { limit, scopes: inForce } of entries) {
    const policy = byKey.get(limit.policy)!;
    const spec = policy.rules.limits[limit.name] ?? {};
    let scopePredicate: string | null = null;
    if (!allScopes.every((s) => inForce.has(s))) {
      const ps = allScopes.filter((s) => inForce.has(s)).map((s) => (s === REST ? restPredicate : scopes.get(s)!.predicate));
      scopePredicate = ps.includes(null) ? null : any(ps as string[]);
    }
    const when = [
      ...policy.when,
      ...(scopePredicate === null ? [] : [{ predicate: scopePredicate }]),
      ...(Array.isArray(spec.when) ? spec.when : []),
    ];
    const compiled: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(spec)) if (k !== "when") compiled[k] = structuredClone(v);
    if (when.length > 0) compiled.when = structuredClone(when);
    limits[limitName(limit, limits)] = compiled;
    enforced.add(limit.policy);
  }
  return { config: { limits, ...structuredClone(globals) }, enforced, overriddenBy };
}

/** `<namespace>.<policy>.<limit>`, within the filter's 128 characters and unique. */
function limitName(limit: EffectiveLimit, taken: Record<string, unknown>): string {
  const [ns, name] = limit.policy.split("/");
  let out = `${ns}.${name}.${limit.name}`;
  if (out.length > 128 || out in taken) {
    const hash = createHash("sha256").update(`${limit.policy}/${limit.name}`).digest("hex").slice(0, 8);
    out = `${out.slice(0, 119)}-${hash}`;
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
