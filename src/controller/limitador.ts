// The limits of the Limitador that counts for the gateways whose configuration says
// `counters.backend: "limitador"`: the controller owns that Limitador's `spec.limits`
// (Kuadrant's limitador-operator CRD, limitador.kuadrant.io/v1alpha1) as Kuadrant's
// operator owns its own Limitador's, so that a policy reaches enforcement without a hand
// step. The limits are what `tokenlimit render --format limitador` prints for each
// gateway's configuration (src/policy/engines.ts). Pure.
import { countersSettings } from "../policy/descriptors.ts";
import { type LimitadorLimit, limitadorLimits, problemLine } from "../policy/engines.ts";
import { canonical } from "./canonical.ts";
import type { KubeObject } from "./types.ts";

export const LIMITADOR_GROUP = "limitador.kuadrant.io";
export const LIMITADOR_VERSION = "v1alpha1";
export const LIMITADOR_PLURAL = "limitadors";

/** The Limitador the controller keeps, as `--limitador namespace/name` names it. */
export interface LimitadorRef {
  namespace: string;
  name: string;
}

/** `namespace/name`, or why not. */
export function parseLimitadorRef(text: string): LimitadorRef | { error: string } {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(text);
  if (m === null) return { error: `--limitador must be namespace/name of a Limitador resource, got ${JSON.stringify(text)}` };
  return { namespace: m[1], name: m[3] };
}

/** Whether a gateway's configuration counts in Limitador. */
export function countsInLimitador(config: Record<string, unknown>): boolean {
  return countersSettings(config).backend === "limitador";
}

/** The Limitador limits of one gateway's configuration, or the rates Limitador cannot count. */
export function gatewayLimits(config: Record<string, unknown>): { limits: LimitadorLimit[] } | { errors: string[] } {
  const r = limitadorLimits(config);
  return "errors" in r ? { errors: r.errors.map(problemLine) } : { limits: r.value };
}

/**
 * Every gateway's limits as one list: the same limit reached from two gateways once,
 * sorted by namespace and name so that the object does not change when nothing did.
 */
export function mergeLimits(lists: LimitadorLimit[][]): LimitadorLimit[] {
  const byText = new Map<string, LimitadorLimit>();
  for (const l of lists.flat()) byText.set(canonical(l), l);
  return [...byText.values()].sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name) || a.seconds - b.seconds);
}

/** The Limitador with `limits` as its `spec.limits`, or undefined when it already has them. */
export function withLimits(limitador: KubeObject, limits: LimitadorLimit[]): KubeObject | undefined {
  const spec = (typeof limitador.spec === "object" && limitador.spec !== null ? limitador.spec : {}) as Record<string, unknown>;
  if (canonical(spec.limits ?? []) === canonical(limits)) return undefined;
  return { ...limitador, spec: { ...spec, limits } };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
