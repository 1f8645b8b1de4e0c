// What Kuadrant's TokenRateLimitPolicy CRD accepts, for the checks only the command can
// make: the filter ignores `targetRef` (it applies to the traffic it is configured on)
// and accepts more than the CRD does (our extension fields, `1d`, long windows), so a
// policy it accepts may still be refused by the Kubernetes API server. These checks are
// about the manifest, never about what the filter does with the spec: that is the
// filter's to say (see filter-check.ts).
import { type Path, type PolicyError, describe, isMapping, unknownField } from "./errors.ts";

/** The fields of the CRD's `spec`. */
const SPEC_FIELDS = ["targetRef", "defaults", "overrides", "limits", "when"];
/** The fields of `spec.defaults` and `spec.overrides`. */
const MERGEABLE_FIELDS = ["strategy", "limits", "when"];
const LIMIT_FIELDS = ["rates", "when", "counters"];
const RATE_FIELDS = ["limit", "window"];
const TARGET_REF_FIELDS = ["group", "kind", "name", "sectionName"];
const TARGET_KINDS = ["Gateway", "HTTPRoute"];
const TARGET_GROUP = "gateway.networking.k8s.io";
/** The CRD's pattern for a window (Gateway API durations, GEP-2257). */
export const KUADRANT_WINDOW = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

/**
 * Errors in `spec.targetRef` at `at`: a mapping naming a Gateway or an HTTPRoute of the
 * Gateway API, with only the fields the CRD has. Never throws.
 */
export function targetRefErrors(ref: unknown, at: Path): PolicyError[] {
  const errors: PolicyError[] = [];
  if (!isMapping(ref)) return [{ path: at, message: `expected a mapping, got ${describe(ref)}` }];
  for (const key of Object.keys(ref)) {
    if (!TARGET_REF_FIELDS.includes(key)) errors.push({ path: [...at, key], message: unknownField(key, TARGET_REF_FIELDS) });
  }
  if (ref.group !== undefined && ref.group !== TARGET_GROUP) {
    errors.push({ path: [...at, "group"], message: `expected ${TARGET_GROUP}, got ${describe(ref.group)}` });
  }
  if (!TARGET_KINDS.includes(ref.kind as string)) {
    errors.push({ path: [...at, "kind"], message: ref.kind === undefined ? "required" : `expected Gateway or HTTPRoute, got ${describe(ref.kind)}` });
  }
  if (typeof ref.name !== "string" || ref.name === "") {
    errors.push({ path: [...at, "name"], message: ref.name === undefined ? "required" : `expected a name, got ${describe(ref.name)}` });
  }
  if (ref.sectionName !== undefined && (typeof ref.sectionName !== "string" || ref.sectionName === "")) {
    errors.push({ path: [...at, "sectionName"], message: `expected a name, got ${describe(ref.sectionName)}` });
  }
  return errors;
}

/**
 * Where a spec that tokenlimit accepts would be refused by Kuadrant's CRD: fields it does
 * not define (tokenlimit's extensions), windows outside its pattern, and a missing
 * `targetRef`. `spec` is the manifest's spec at `at`. Only what the CRD says is looked
 * at; anything else about the values is left to the filter. Never throws.
 */
export function kuadrantWarnings(spec: Record<string, unknown>, at: Path): PolicyError[] {
  const warnings: PolicyError[] = [];
  if (!("targetRef" in spec)) warnings.push({ path: [...at, "targetRef"], message: "required by Kuadrant's CRD (tokenlimit does not use it)" });
  extensions(spec, SPEC_FIELDS, at, warnings);
  for (const key of ["defaults", "overrides"]) {
    const mergeable = spec[key];
    if (!isMapping(mergeable)) continue;
    extensions(mergeable, MERGEABLE_FIELDS, [...at, key], warnings);
    proper(mergeable, [...at, key], warnings);
  }
  proper(spec, at, warnings);
  return warnings;
}

/** `limits` wherever it sits (spec, defaults, overrides). */
function proper(value: Record<string, unknown>, at: Path, warnings: PolicyError[]): void {
  const limits = value.limits;
  if (!isMapping(limits)) return;
  for (const [name, limit] of Object.entries(limits)) {
    if (!isMapping(limit)) continue;
    const path = [...at, "limits", name];
    extensions(limit, LIMIT_FIELDS, path, warnings);
    if (!Array.isArray(limit.rates)) continue;
    limit.rates.forEach((rate, i) => {
      if (!isMapping(rate)) return;
      extensions(rate, RATE_FIELDS, [...path, "rates", i], warnings);
      if (typeof rate.window === "string" && !KUADRANT_WINDOW.test(rate.window)) {
        warnings.push({
          path: [...path, "rates", i, "window"],
          message: `Kuadrant's CRD refuses ${describe(rate.window)}: it takes 1 to 4 parts of up to 5 digits with h, m, s or ms, e.g. 24h`,
        });
      }
    });
  }
}

function extensions(value: Record<string, unknown>, fields: string[], at: Path, warnings: PolicyError[]): void {
  for (const key of Object.keys(value)) {
    if (!fields.includes(key)) warnings.push({ path: [...at, key], message: "tokenlimit extension: Kuadrant's CRD has no such field and refuses it" });
  }
}
