// Each request's charge, handed to Envoy's access log as filter state: proxy_set_property
// stores the bytes under `wasm.<path>` as a CelState (Envoy's
// source/extensions/common/wasm/context.cc, Context::setProperty), which
// `%FILTER_STATE(wasm.tokenlimit.charge:PLAIN)%` prints as they are.
import { setProperty } from "../abi/properties";
import { chargeRecord, limitedRecord } from "../limits/charge_record";
import { ChargeResult } from "../limits/charge";
import { Decision } from "../limits/decision";
import { Usage } from "../usage/usage";
import { Exchange } from "./exchange";

/** The property path of the charge; the filter state key is `wasm.` + this. */
export const CHARGE_PROPERTY = "tokenlimit.charge";
const CHARGE_PATH = String.UTF8.encode(CHARGE_PROPERTY);

/** Records what `x` was charged, when the policy asks for it. */
export function recordChargeForLog(x: Exchange, d: Decision, charge: ChargeResult, usage: Usage | null, aborted: bool): void {
  const policy = x.active.policy;
  if (!policy.config.accessLogFilterState) return;
  setProperty(CHARGE_PATH, String.UTF8.encode(chargeRecord(policy, x.selection, d, charge, usage, aborted)));
}

/** Records that `x` was refused by `d`, when the policy asks for it. */
export function recordLimitedForLog(x: Exchange, d: Decision): void {
  const policy = x.active.policy;
  if (!policy.config.accessLogFilterState) return;
  setProperty(CHARGE_PATH, String.UTF8.encode(limitedRecord(policy, x.selection, d)));
}
