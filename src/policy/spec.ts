// The `spec` of a TokenRateLimitPolicy: shape checks and the plugin configuration the
// filter takes. The limits and predicates are checked in full, with the filter's own
// rules (limit names, windows up to 366 days); tokenlimit's extensions (identity,
// usage, cost, ...) and Kuadrant's dataExtraction are passed through untouched and
// checked by the filter itself (`tokenlimit validate --wasm`), so that this file never
// disagrees with it.
import { parseWindow } from "./duration.ts";
import { type Path, type PolicyError, describe, isMapping, unknownField } from "./errors.ts";

/** Kuadrant's own spec fields. */
export const KUADRANT_FIELDS = ["targetRef", "defaults", "overrides", "limits", "when", "dataExtraction"] as const;
/** tokenlimit's extensions to the spec, documented in docs/configuration.md. */
export const EXTENSION_FIELDS = [
  "identity", "usage", "cost", "admission", "onCounterError", "failureMode", "dryRun", "response", "counters",
] as const;

const SPEC_FIELDS: readonly string[] = [...KUADRANT_FIELDS, ...EXTENSION_FIELDS];
const MERGEABLE_FIELDS = ["strategy", "limits", "when", "dataExtraction"];
/** `tokens` (which tokens a limit counts) is tokenlimit's; the rest is Kuadrant's. */
const LIMIT_FIELDS = ["rates", "when", "counters", "tokens"];
const RATE_FIELDS = ["limit", "window"];
const TARGET_KINDS = ["Gateway", "HTTPRoute"];
const TARGET_GROUP = "gateway.networking.k8s.io";
/** Limit names become metric names and counter keys in the filter. */
const LIMIT_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** The filter's longest window: anything longer is taken for a typo. */
const MAX_WINDOW_MS = 366 * 86_400_000;

/** The JSON object the filter receives as its plugin configuration. */
export type PluginConfig = Record<string, unknown>;

/**
 * Checks a policy spec found at `at` (`["spec"]` in a manifest, `[]` for a bare spec).
 * Returns every problem found (not just the first); an empty list means the spec is
 * valid. Never throws.
 */
export function validateSpec(spec: unknown, at: Path): PolicyError[] {
  const errors: PolicyError[] = [];
  const fail = (path: Path, message: string) => errors.push({ path, message });
  if (!isMapping(spec)) {
    fail(at, `expected a mapping, got ${describe(spec)}`);
    return errors;
  }
  for (const key of Object.keys(spec)) {
    if (!SPEC_FIELDS.includes(key)) fail([...at, key], unknownField(key, SPEC_FIELDS));
  }
  if ("targetRef" in spec) checkTargetRef(spec.targetRef, [...at, "targetRef"], fail);

  const explicit = (["defaults", "overrides"] as const).filter((k) => k in spec);
  if (explicit.length === 2) fail([...at, "overrides"], "not allowed together with defaults");
  if (explicit.length > 0) {
    for (const key of ["limits", "when"]) {
      if (key in spec) fail([...at, key], `not allowed together with ${explicit[0]} (Kuadrant ignores it then); move it into ${explicit[0]}`);
    }
    for (const key of explicit) checkMergeable(spec[key], [...at, key], fail);
  } else {
    checkProper(spec, at, fail);
  }
  return errors;
}

/**
 * The plugin configuration for a valid spec: the spec as written without `targetRef`
 * (which names where Kuadrant attaches the policy; the filter applies to the traffic
 * it is configured on). Keys keep their order; values are copied.
 */
export function toPluginConfig(spec: Record<string, unknown>): PluginConfig {
  const out: PluginConfig = {};
  for (const [key, value] of Object.entries(spec)) {
    if (key !== "targetRef") out[key] = structuredClone(value);
  }
  return out;
}

type Fail = (path: Path, message: string) => void;

function checkTargetRef(ref: unknown, at: Path, fail: Fail): void {
  if (!isMapping(ref)) return fail(at, `expected a mapping, got ${describe(ref)}`);
  if (ref.group !== undefined && ref.group !== TARGET_GROUP) {
    fail([...at, "group"], `expected ${TARGET_GROUP}, got ${describe(ref.group)}`);
  }
  if (!TARGET_KINDS.includes(ref.kind as string)) {
    fail([...at, "kind"], ref.kind === undefined ? "required" : `expected Gateway or HTTPRoute, got ${describe(ref.kind)}`);
  }
  if (typeof ref.name !== "string" || ref.name === "") {
    fail([...at, "name"], ref.name === undefined ? "required" : `expected a name, got ${describe(ref.name)}`);
  }
}

function checkMergeable(value: unknown, at: Path, fail: Fail): void {
  if (!isMapping(value)) return fail(at, `expected a mapping, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (!MERGEABLE_FIELDS.includes(key)) fail([...at, key], unknownField(key, MERGEABLE_FIELDS));
  }
  if ("strategy" in value && value.strategy !== "atomic" && value.strategy !== "merge") {
    fail([...at, "strategy"], `expected atomic or merge, got ${describe(value.strategy)}`);
  }
  checkProper(value, at, fail);
}

/** `limits` and the top-level `when`, wherever they sit (spec, defaults, overrides). */
function checkProper(value: Record<string, unknown>, at: Path, fail: Fail): void {
  if ("when" in value) checkEntries(value.when, [...at, "when"], "predicate", fail);
  const limits = value.limits;
  const path = [...at, "limits"];
  if (limits === undefined) return fail(path, "required");
  if (!isMapping(limits)) return fail(path, `expected a mapping of named limits, got ${describe(limits)}`);
  const names = Object.keys(limits);
  if (names.length === 0) return fail(path, "expected at least one limit");
  for (const name of names) {
    if (!LIMIT_NAME.test(name)) fail([...path, name], "expected a limit name of 1 to 128 letters, digits, '_', '.' or '-'");
    else checkLimit(limits[name], [...path, name], fail);
  }
}

function checkLimit(limit: unknown, at: Path, fail: Fail): void {
  if (!isMapping(limit)) return fail(at, `expected a mapping, got ${describe(limit)}`);
  for (const key of Object.keys(limit)) {
    if (!LIMIT_FIELDS.includes(key)) fail([...at, key], unknownField(key, LIMIT_FIELDS));
  }
  const rates = limit.rates;
  if (rates === undefined) fail([...at, "rates"], "required");
  else if (!Array.isArray(rates)) fail([...at, "rates"], `expected a list, got ${describe(rates)}`);
  else if (rates.length === 0) fail([...at, "rates"], "expected at least one rate");
  else rates.forEach((rate, i) => checkRate(rate, [...at, "rates", i], fail));
  if ("when" in limit) checkEntries(limit.when, [...at, "when"], "predicate", fail);
  if ("counters" in limit) checkEntries(limit.counters, [...at, "counters"], "expression", fail);
}

function checkRate(rate: unknown, at: Path, fail: Fail): void {
  if (!isMapping(rate)) return fail(at, `expected a mapping, got ${describe(rate)}`);
  for (const key of Object.keys(rate)) {
    if (!RATE_FIELDS.includes(key)) fail([...at, key], unknownField(key, RATE_FIELDS));
  }
  const limit = rate.limit;
  if (limit === undefined) fail([...at, "limit"], "required");
  else if (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit <= 0) {
    fail([...at, "limit"], `expected a positive integer, got ${describe(limit)}`);
  }
  const window = rate.window;
  if (window === undefined) return fail([...at, "window"], "required");
  const ms = typeof window === "string" ? parseWindow(window) : null;
  if (ms === null) fail([...at, "window"], `expected a duration such as 30s, 1m, 24h, 1h30m, 500ms or 1d, got ${describe(window)}`);
  else if (ms === 0) fail([...at, "window"], `expected a duration longer than zero, got ${describe(window)}`);
  else if (ms > MAX_WINDOW_MS) fail([...at, "window"], `expected a duration of at most 366d, got ${describe(window)}`);
}

/** `when` (`{predicate}`) and `counters` (`{expression}`) lists: one CEL string per entry. */
function checkEntries(list: unknown, at: Path, field: "predicate" | "expression", fail: Fail): void {
  if (!Array.isArray(list)) return fail(at, `expected a list, got ${describe(list)}`);
  list.forEach((entry, i) => {
    const path = [...at, i];
    if (!isMapping(entry)) return fail(path, `expected a mapping with ${field}, got ${describe(entry)}`);
    for (const key of Object.keys(entry)) if (key !== field) fail([...path, key], unknownField(key, [field]));
    const cel = entry[field];
    if (cel === undefined) fail([...path, field], "required");
    else if (typeof cel !== "string" || cel.trim() === "") {
      fail([...path, field], `expected a CEL expression, got ${describe(cel)}`);
    }
  });
}
