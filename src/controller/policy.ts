// One TokenRateLimitPolicy as the reconciler sees it: what it targets, which gateways
// and route that reaches, its rules for merging, and the configuration the filter is
// asked to accept for it alone.
import { toPluginConfig } from "../policy/spec.ts";
import type { Rules, Strategy } from "./merge.ts";
import { routePredicate } from "./translate.ts";
import {
  GATEWAY_API_GROUP, type Gateway, type HTTPRoute, type TokenRateLimitPolicy, keyOf,
} from "./types.ts";

/** tokenlimit's extensions and Kuadrant's dataExtraction: they configure the whole filter. */
export const GLOBAL_FIELDS = [
  "identity", "usage", "cost", "admission", "onCounterError", "failureMode", "dryRun", "response", "counters", "dataExtraction",
] as const;

export interface ResolvedPolicy {
  key: string;
  policy: TokenRateLimitPolicy;
  rules: Rules;
  /** The policy's top-level `when`, added to each of its limits. */
  when: unknown[];
  /** Fields that configure the whole filter, as the policy sets them. */
  globals: Record<string, unknown>;
  /** Keys of the gateways the policy reaches. */
  gateways: string[];
  /** For a route policy: the scope (route and rule) and the predicate of its traffic. */
  scope?: { id: string; predicate: string | null };
  /** The plugin configuration of this policy alone, as the filter is asked to accept it. */
  config: string;
}

export type Resolution = { resolved: ResolvedPolicy } | { reason: "Invalid" | "TargetNotFound"; message: string };

export interface World {
  gateways: Map<string, Gateway>;
  routes: Map<string, HTTPRoute>;
}

/** Resolves a policy against the gateways and routes that exist. Pure; never throws. */
export function resolvePolicy(policy: TokenRateLimitPolicy, world: World): Resolution {
  const spec = isMapping(policy.spec) ? policy.spec : {};
  const ref = spec.targetRef;
  const ns = policy.metadata.namespace ?? "";
  if (!isMapping(ref) || typeof ref.name !== "string" || typeof ref.kind !== "string") {
    return { reason: "Invalid", message: "spec.targetRef: expected {group, kind, name}" };
  }
  if (ref.group !== undefined && ref.group !== GATEWAY_API_GROUP) {
    return { reason: "Invalid", message: `spec.targetRef.group: expected ${GATEWAY_API_GROUP}, got ${JSON.stringify(ref.group)}` };
  }
  let gateways: string[];
  let scope: ResolvedPolicy["scope"];
  if (ref.kind === "Gateway") {
    if (ref.sectionName !== undefined) {
      return { reason: "Invalid", message: "spec.targetRef.sectionName: targeting a Gateway listener is not supported; target the Gateway or an HTTPRoute" };
    }
    const key = `${ns}/${ref.name}`;
    if (!world.gateways.has(key)) return { reason: "TargetNotFound", message: `Gateway ${key} not found` };
    gateways = [key];
  } else if (ref.kind === "HTTPRoute") {
    const key = `${ns}/${ref.name}`;
    const route = world.routes.get(key);
    if (route === undefined) return { reason: "TargetNotFound", message: `HTTPRoute ${key} not found` };
    gateways = parentGateways(route).filter((g) => world.gateways.has(g));
    if (gateways.length === 0) return { reason: "TargetNotFound", message: `HTTPRoute ${key} has no parent Gateway that exists` };
    const section = typeof ref.sectionName === "string" ? ref.sectionName : undefined;
    const t = routePredicate(route, section);
    if ("error" in t) return { reason: "Invalid", message: `HTTPRoute ${key}: ${t.error}` };
    scope = { id: section === undefined ? key : `${key}#${section}`, predicate: t.predicate };
  } else {
    return { reason: "Invalid", message: `spec.targetRef.kind: expected Gateway or HTTPRoute, got ${JSON.stringify(ref.kind)}` };
  }

  const kind = isMapping(spec.overrides) ? "overrides" : "defaults";
  const source = isMapping(spec.overrides) ? spec.overrides : isMapping(spec.defaults) ? spec.defaults : spec;
  const strategy: Strategy = source !== spec && source.strategy === "merge" ? "merge" : "atomic";
  const limits = isMapping(source.limits) ? source.limits as Record<string, Record<string, unknown>> : {};
  const globals: Record<string, unknown> = {};
  for (const field of GLOBAL_FIELDS) {
    const value = field === "dataExtraction" && source.dataExtraction !== undefined ? source.dataExtraction : spec[field];
    if (value !== undefined) globals[field] = value;
  }
  const key = keyOf(policy);
  return {
    resolved: {
      key,
      policy,
      rules: {
        policy: key,
        kind: kind === "overrides" && ref.kind === "Gateway" ? "overrides" : "defaults",
        strategy,
        level: ref.kind === "Gateway" ? "gateway" : "route",
        created: policy.metadata.creationTimestamp ?? "",
        limits,
      },
      when: Array.isArray(source.when) ? source.when : [],
      globals,
      gateways,
      ...(scope === undefined ? {} : { scope }),
      config: JSON.stringify(ownConfig(spec, scope?.predicate ?? null)),
    },
  };
}

/**
 * The policy's spec as the filter takes it (without targetRef, as `tokenlimit render`
 * gives it), with the route's predicate added to its top-level `when`: the filter's
 * messages then name the fields as the policy author wrote them.
 */
function ownConfig(spec: Record<string, unknown>, predicate: string | null): Record<string, unknown> {
  const config = toPluginConfig(spec);
  if (predicate === null) return config;
  const holder = isMapping(config.overrides) ? config.overrides : isMapping(config.defaults) ? config.defaults : config;
  holder.when = [...(Array.isArray(holder.when) ? holder.when : []), { predicate }];
  return config;
}

/** Keys of the Gateways an HTTPRoute names as parents. */
export function parentGateways(route: HTTPRoute): string[] {
  const out: string[] = [];
  for (const p of route.spec.parentRefs ?? []) {
    if ((p.group ?? GATEWAY_API_GROUP) !== GATEWAY_API_GROUP || (p.kind ?? "Gateway") !== "Gateway") continue;
    const key = `${p.namespace ?? route.metadata.namespace ?? ""}/${p.name}`;
    if (!out.includes(key)) out.push(key);
  }
  return out.sort();
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
