// Each request's charge, handed to Envoy's access log as filter state: proxy_set_property
// stores the bytes under `wasm.<path>` as a CelState (Envoy's
// source/extensions/common/wasm/context.cc, Context::setProperty), which
// `%FILTER_STATE(wasm.tokenlimit.charge:PLAIN)%` prints as they are.
import { setPropertyBytes } from "../abi/properties";
import { JsonByteWriter } from "../json/byte_writer";
import { chargeRecord, limitedRecord } from "../limits/charge_record";
import { ChargeResult } from "../limits/charge";
import { Decision } from "../limits/decision";
import { Usage } from "../usage/usage";
import { Exchange } from "./exchange";

/** The property path of the charge; the filter state key is `wasm.` + this. */
export const CHARGE_PROPERTY = "tokenlimit.charge";
const CHARGE_PATH = String.UTF8.encode(CHARGE_PROPERTY);
// One per VM: the record is handed to the host at once, so the next request may reuse it.
const RECORD = new JsonByteWriter();

/** Records what `x` was charged, when the policy asks for it. */
export function recordChargeForLog(x: Exchange, d: Decision, charge: ChargeResult, usage: Usage | null, aborted: bool): void {
  const policy = x.active.policy;
  if (!policy.config.accessLogFilterState) return;
  const r = chargeRecord(RECORD, policy, x.selection, d, charge, usage, aborted);
  setPropertyBytes(CHARGE_PATH, r.ptr, <usize>r.length);
}

/** Records that `x` was refused by `d`, when the policy asks for it. */
export function recordLimitedForLog(x: Exchange, d: Decision): void {
  const policy = x.active.policy;
  if (!policy.config.accessLogFilterState) return;
  const r = limitedRecord(RECORD, policy, x.selection, d);
  setPropertyBytes(CHARGE_PATH, r.ptr, <usize>r.length);
}
