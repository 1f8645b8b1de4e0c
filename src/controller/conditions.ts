// Status conditions of a TokenRateLimitPolicy, named as Kuadrant names them: `Accepted`
// (the policy is valid and its target exists) and `Enforced` (its limits are in a
// WasmPlugin). Each carries the generation it describes.
import { canonical } from "./canonical.ts";
import type { Condition, PolicyStatus } from "./types.ts";

export const ACCEPTED = "Accepted";
export const ENFORCED = "Enforced";

export const Reason = {
  Accepted: "Accepted",
  Invalid: "Invalid",
  TargetNotFound: "TargetNotFound",
  Conflicted: "Conflicted",
  Enforced: "Enforced",
  Overridden: "Overridden",
} as const;

/** What the reconciler decided about a policy, before it becomes conditions. */
export type Verdict =
  | { accepted: false; reason: "Invalid" | "TargetNotFound" | "Conflicted"; message: string }
  | { accepted: true; enforced: true; message: string }
  | { accepted: true; enforced: false; reason: "Overridden" | "Invalid"; message: string };

/**
 * The status for `verdict` at `generation`. A condition whose status, reason and message
 * are unchanged keeps its lastTransitionTime from `previous`; the others get `now`.
 * `Enforced` is absent while the policy is not accepted. Pure.
 */
export function policyStatus(verdict: Verdict, generation: number | undefined, previous: PolicyStatus | undefined, now: string): PolicyStatus {
  const conditions: Omit<Condition, "lastTransitionTime">[] = [];
  const gen = generation === undefined ? {} : { observedGeneration: generation };
  if (!verdict.accepted) {
    conditions.push({ type: ACCEPTED, status: "False", reason: verdict.reason, message: verdict.message, ...gen });
  } else {
    conditions.push({ type: ACCEPTED, status: "True", reason: Reason.Accepted, message: "TokenRateLimitPolicy has been accepted", ...gen });
    conditions.push(verdict.enforced
      ? { type: ENFORCED, status: "True", reason: Reason.Enforced, message: verdict.message, ...gen }
      : { type: ENFORCED, status: "False", reason: verdict.reason, message: verdict.message, ...gen });
  }
  return {
    ...gen,
    conditions: conditions.map((c) => {
      const old = previous?.conditions?.find((p) => p.type === c.type);
      const same = old !== undefined && old.status === c.status && old.reason === c.reason && old.message === c.message;
      return { ...c, lastTransitionTime: same ? old.lastTransitionTime : now };
    }),
  };
}

/** Whether two statuses say the same (so that no write is needed). */
export function sameStatus(a: PolicyStatus | undefined, b: PolicyStatus): boolean {
  return a !== undefined && canonical(a) === canonical(b);
}
