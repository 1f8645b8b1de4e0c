// Kuadrant's defaults and overrides, for the policies that reach one scope of traffic (a
// route, or the rest of a gateway). The semantics follow Kuadrant's documentation, see
// docs/controller.md ("Several policies on one gateway"):
//   - gateway `overrides` > route policies > gateway `defaults` (bare `limits` are
//     implicit defaults);
//   - among policies on the same target, the oldest wins (creationTimestamp, then
//     namespace/name);
//   - `strategy: atomic` (the default): the policy that loses keeps none of its limits;
//     `strategy: merge`: it keeps the limits whose names the winner does not define.
//     The strategy that decides is the gateway policy's: an override's own when it wins,
//     a default's own when it loses.

export type Strategy = "atomic" | "merge";

/** A policy's rules, as the merge sees them. */
export interface Rules {
  /** namespace/name of the policy. */
  policy: string;
  /** `overrides` only when written so on a Gateway; everything else merges as defaults. */
  kind: "defaults" | "overrides";
  strategy: Strategy;
  /** Where the policy is attached: a gateway's policies apply to all of its routes. */
  level: "gateway" | "route";
  created: string;
  limits: Record<string, Record<string, unknown>>;
}

/** One limit in force for a scope: which policy it is from, and its name there. */
export interface EffectiveLimit {
  policy: string;
  name: string;
}

export interface MergeResult {
  effective: EffectiveLimit[];
  /** For each policy that lost limits here, the policies that took them. */
  overriddenBy: Map<string, Set<string>>;
}

/** Orders policies from lowest to highest precedence. */
export function precedenceOrder(rules: Rules[]): Rules[] {
  const rank = (r: Rules) => (r.kind === "overrides" && r.level === "gateway" ? 2 : r.level === "route" ? 1 : 0);
  // Oldest wins, so it comes last within its rank.
  const age = (a: Rules, b: Rules) => (a.created === b.created ? (a.policy < b.policy ? 1 : -1) : a.created < b.created ? 1 : -1);
  return [...rules].sort((a, b) => rank(a) - rank(b) || age(a, b));
}

/**
 * The limits in force for traffic reached by `rules` (the gateway's policies and, for a
 * route, the route's). Pure.
 */
export function mergeScope(rules: Rules[]): MergeResult {
  let effective: (EffectiveLimit & { from: Rules })[] = [];
  const overriddenBy = new Map<string, Set<string>>();
  for (const winner of precedenceOrder(rules)) {
    const names = new Set(Object.keys(winner.limits));
    effective = effective.filter((e) => {
      const strategy = winner.kind === "overrides" && winner.level === "gateway" ? winner.strategy : e.from.strategy;
      const kept = strategy === "merge" && !names.has(e.name);
      if (!kept) {
        const by = overriddenBy.get(e.policy) ?? new Set<string>();
        by.add(winner.policy);
        overriddenBy.set(e.policy, by);
      }
      return kept;
    });
    for (const name of names) effective.push({ policy: winner.policy, name, from: winner });
  }
  return {
    effective: effective.map(({ policy, name }) => ({ policy, name })),
    overriddenBy,
  };
}
