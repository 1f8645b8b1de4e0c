// An HTTPRoute's hostnames and matches, as one CEL predicate the filter evaluates per
// request: a policy on a route limits only the requests that route would take. The exact
// translation, and what it cannot express, is in docs/controller.md ("Route policies").
import type { HTTPRoute, HTTPRouteMatch } from "./types.ts";

/** A predicate (null: every request matches), or why the route cannot be expressed. */
export type RouteTranslation = { predicate: string | null } | { error: string };

/**
 * The predicate of `route`, or of its rule named `ruleName` (a targetRef's sectionName).
 * Pure; never throws. The predicate reads `request.host`, `request.url_path`,
 * `request.method`, `request.headers` and `request.query`.
 */
export function routePredicate(route: HTTPRoute, ruleName?: string): RouteTranslation {
  const rules = route.spec.rules ?? [];
  const chosen = ruleName === undefined ? rules : rules.filter((r) => r.name === ruleName);
  if (ruleName !== undefined && chosen.length === 0) return { error: `HTTPRoute has no rule named ${JSON.stringify(ruleName)}` };
  const alternatives: (string | null)[] = [];
  for (const rule of chosen) {
    const matches = rule.matches === undefined || rule.matches.length === 0 ? [{}] : rule.matches;
    for (const match of matches) {
      const t = matchPredicate(match);
      if ("error" in t) return t;
      alternatives.push(t.predicate);
    }
  }
  // A route without rules routes nothing; a rule without matches routes every path.
  const paths = rules.length === 0 ? "false" : alternatives.includes(null) ? null : any(alternatives as string[]);
  return { predicate: all([hostPredicate(route.spec.hostnames ?? []), paths]) };
}

/** Gateway API hostnames: exact, or `*.` followed by a suffix of one or more labels. */
export function hostPredicate(hostnames: string[]): string | null {
  if (hostnames.length === 0) return null;
  return any(hostnames.map((h) => {
    // :authority may carry a port, which Gateway API hostnames never do.
    if (h.startsWith("*.")) return `request.host.matches(${cel(`^[^:]+${escapeRegex(h.slice(1))}(:[0-9]+)?$`)})`;
    return `request.host == ${cel(h)} || request.host.startsWith(${cel(h + ":")})`;
  }));
}

function matchPredicate(match: HTTPRouteMatch): RouteTranslation {
  const parts: (string | null)[] = [];
  const path = match.path ?? {};
  const type = path.type ?? "PathPrefix";
  const value = path.value ?? "/";
  if (type === "Exact") parts.push(`request.url_path == ${cel(value)}`);
  else if (type === "PathPrefix") {
    // Element-wise: `/v1` matches `/v1` and `/v1/models`, not `/v1beta`; a trailing slash is ignored.
    const prefix = value.replace(/\/+$/, "");
    parts.push(prefix === "" ? null : `request.url_path == ${cel(prefix)} || request.url_path.startsWith(${cel(prefix + "/")})`);
  } else if (type === "RegularExpression") parts.push(`request.url_path.matches(${cel(`^(${value})$`)})`);
  else return { error: `path match type ${JSON.stringify(type)} is not supported` };

  if (match.method !== undefined) parts.push(`request.method == ${cel(match.method)}`);
  for (const h of match.headers ?? []) {
    // Envoy hands the filter lower-case header names.
    const name = cel(h.name.toLowerCase());
    const t = h.type ?? "Exact";
    if (t === "Exact") parts.push(`${name} in request.headers && request.headers[${name}] == ${cel(h.value)}`);
    else if (t === "RegularExpression") parts.push(`${name} in request.headers && request.headers[${name}].matches(${cel(`^(${h.value})$`)})`);
    else return { error: `header match type ${JSON.stringify(t)} is not supported` };
  }
  for (const q of match.queryParams ?? []) {
    const t = q.type ?? "Exact";
    if (t !== "Exact") return { error: `queryParams match type ${JSON.stringify(t)} cannot be expressed (only Exact)` };
    parts.push(`request.query.matches(${cel(`(^|&)${escapeRegex(q.name)}=${escapeRegex(q.value)}(&|$)`)})`);
  }
  return { predicate: all(parts) };
}

/** The conjunction of predicates; null ones (always true) are left out. */
export function all(parts: (string | null)[]): string | null {
  const kept = parts.filter((p): p is string => p !== null);
  if (kept.length === 0) return null;
  if (kept.length === 1) return kept[0];
  return kept.map((p) => (hasTopLevelOr(p) ? `(${p})` : p)).join(" && ");
}

/** The disjunction of predicates. */
export function any(parts: string[]): string {
  if (parts.length === 1) return parts[0];
  return parts.map(group).join(" || ");
}

/** The negation of a predicate. */
export function not(p: string): string {
  return `!(${p})`;
}

/** Whether `p` has a `||` outside parentheses and string literals. */
function hasTopLevelOr(p: string): boolean {
  let depth = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '"') {
      for (i++; i < p.length && p[i] !== '"'; i++) if (p[i] === "\\") i++;
    } else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (depth === 0 && c === "|" && p[i + 1] === "|") return true;
  }
  return false;
}

function group(p: string): string {
  return /&&|\|\|/.test(p) ? `(${p})` : p;
}

/** A CEL string literal (JSON's escapes are CEL's). */
export function cel(s: string): string {
  return JSON.stringify(s);
}

function escapeRegex(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}
