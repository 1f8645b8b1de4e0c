// What a finished (or cut) response costs each of its counters. Pure: usage in,
// one cost per counter spec out, plus flags for the metrics that make every
// zero or fallback charge visible.

import { CostMode, OnMissingUsage, TokenKind } from "../config";
import { evaluate, Kind, MapResolver, MapValue, Value } from "../cel";
import { REQUEST_BODY_JSON_PREFIX, RESPONSE_BODY_JSON_PREFIX } from "../cel/planner";
import { Usage, tokensForBytes, TEXT_BYTES_PER_TOKEN } from "../usage/usage";
import { costOf as weightedCost, roundUpClamped, USAGE_FIELD_NAMES, usageFieldValue } from "../usage/cost";
import { satAdd } from "./saturate";
import { CompiledPolicy } from "./policy";
import { Selection } from "./selection";

/** `flags` bit: the stream ended before the response did (client or upstream reset). */
export const RESPONSE_ABORTED: i32 = 1;
/** `flags` bit: the request was a HEAD, whose response has no body by definition. */
export const REQUEST_HEAD: i32 = 2;

/** `101 Switching Protocols`: the stream became a WebSocket (or another protocol). */
export const STATUS_UPGRADE: i32 = 101;

/**
 * Whether a response with this status carries no generated content (RFC 9110): an
 * informational status other than 101 (an upgrade, whose traffic is not HTTP any more),
 * 204, 304, or a redirection. Unknown statuses (0) are not: they get the fallback.
 */
export function isBodilessStatus(status: i32): bool {
  return (status >= 100 && status < 200 && status != 101) || status == 204 || (status >= 300 && status < 400);
}

// Largest cost we charge; keeps every later addition far from i64 overflow.
const MAX_COST: i64 = 1 << 53;

export class ChargeResult {
  /** One cost per counter spec of the selection, in the same order. */
  costs: Array<i64> = new Array<i64>();
  /** The response's cost before per-limit token kinds (what `tokens_charged` counts). */
  tokens: i64 = 0;
  /** A response that should have reported usage did not (or it could not be read). */
  usageMissing: bool = false;
  /** The charge is the configured fallback, not reported usage. */
  fallback: bool = false;
  /** An upstream error status charged nothing. */
  upstreamErrorUncharged: bool = false;
  /** The cost expression failed to evaluate (total tokens were charged instead). */
  expressionErrors: i32 = 0;
  /** A 101 upgrade, charged `usage.upgradeTokens`. */
  upgrade: bool = false;

  /** Empties the result for another response, keeping the costs array's storage. */
  reset(): ChargeResult {
    this.costs.length = 0;
    this.tokens = 0;
    this.usageMissing = false;
    this.fallback = false;
    this.upstreamErrorUncharged = false;
    this.expressionErrors = 0;
    this.upgrade = false;
    return this;
  }
}

/**
 * The charge for a response with HTTP `status`, `usage` as read from its body (null
 * when no body reader ran), `estimate` the tokens admission assumed (the reservation),
 * `inputEstimate` the tokens estimated from the request's own text (0 when unknown),
 * `unreadable` when the body was compressed (its `bodyBytes` are then compressed bytes).
 * Rules, in order:
 * - 5xx: nothing, unless `usage.charge5xx` and usage was reported;
 * - 101 (an upgrade: what follows is not HTTP, and cannot be read): `usage.upgradeTokens`;
 * - usage reported (and readable): the configured cost; a stream that ended (cut, or
 *   closed after an error event) with neither output nor total reported is costed with
 *   an estimate of the text it saw as its output, and counts as usage missing;
 * - 4xx without usage: nothing;
 * - without usage, a HEAD request or a status with no content (isBodilessStatus): nothing;
 * - otherwise (2xx without usage, compressed body, cut stream): `usage.onMissing`, never
 *   less than what passed (`seenTokens`) plus the input estimate unless it is "zero":
 *   a client cannot make a cut or unrecognised stream cheap by asking for a small
 *   reservation.
 * The result is written to `into` (emptied first; by default a new ChargeResult), so that
 * a caller that uses it at once may reuse one. Never traps.
 */
export function chargeFor(policy: CompiledPolicy, selection: Selection, usage: Usage | null, status: i32,
  estimate: i64, inputEstimate: i64, unreadable: bool, flags: i32, into: ChargeResult = new ChargeResult(),
  requestValues: Array<Value> | null = null, responseValues: Array<Value> | null = null): ChargeResult {
  const out = into.reset();
  const config = policy.config;
  const reported = usage !== null && usage.hasUsage && !unreadable;
  const n = selection.specs.length;
  if (status >= 500 && !(reported && config.usage.charge5xx)) {
    out.upstreamErrorUncharged = true;
    return fill(out, n, 0);
  }
  if (status == STATUS_UPGRADE) {
    out.upgrade = true;
    out.tokens = saturate(config.usage.upgradeTokens);
    return fill(out, n, out.tokens);
  }
  if (reported) {
    const u = usage!;
    const aborted = (flags & RESPONSE_ABORTED) != 0;
    // Anthropic reports input when a stream starts and output only at its end: a stream
    // that stops in between (client reset, or an `error` event) generated text all the same.
    // (`u` is this response's own result, so it can take the estimate in place.)
    if (!u.hasOutput && !u.hasTotal && (aborted || u.streaming)) {
      out.usageMissing = true;
      const extra = u.estimatedOutputTokens();
      u.output = satAdd(u.output, extra);
      u.total = satAdd(u.total, extra);
    }
    const total = saturate(u.total);
    const cost = costOf(policy, u, total, out, requestValues, responseValues);
    out.tokens = cost;
    for (let i = 0; i < n; i++) {
      const kind = unchecked(policy.limits[unchecked(selection.limitOfSpec[i])]).tokens;
      if (kind == TokenKind.Input) out.costs.push(saturate(u.input));
      else if (kind == TokenKind.Output) out.costs.push(saturate(u.output));
      else out.costs.push(cost);
    }
    return out;
  }
  if (status >= 400) {
    out.upstreamErrorUncharged = true;
    return fill(out, n, 0);
  }
  if ((flags & REQUEST_HEAD) != 0 || isBodilessStatus(status)) return fill(out, n, 0);
  out.usageMissing = true;
  out.fallback = true;
  let fallback: i64 = 0;
  const onMissing = config.usage.onMissing;
  if (onMissing != OnMissingUsage.Zero) {
    const floor = satAdd(seenTokens(usage, unreadable, <i64>config.admission.bytesPerToken), inputEstimate > 0 ? inputEstimate : 0);
    fallback = onMissing == OnMissingUsage.Reservation && estimate > floor ? estimate : floor;
  }
  out.tokens = saturate(fallback);
  return fill(out, n, out.tokens);
}

/**
 * Tokens of output a response without usage is taken to have produced, from what passed:
 * its generated text (`Usage#seenTextBytes`), or for a compressed body its compressed size
 * (text compresses, so this is an underestimate, never zero for a body that passed).
 */
export function seenTokens(usage: Usage | null, unreadable: bool, bytesPerToken: i64 = TEXT_BYTES_PER_TOKEN): i64 {
  if (usage === null) return 0;
  return tokensForBytes(unreadable ? usage.bodyBytes : usage.seenTextBytes(), bytesPerToken);
}

/** The configured cost of reported usage: total, weighted, or a CEL expression. */
function costOf(policy: CompiledPolicy, u: Usage, total: i64, out: ChargeResult,
  requestValues: Array<Value> | null, responseValues: Array<Value> | null): i64 {
  const cost = policy.config.cost;
  const weights = policy.weights;
  if (weights !== null) return saturate(weightedCost(u, weights, TokenKind.Total));
  const program = policy.cost;
  if (cost.mode == CostMode.Expression && program !== null) {
    const r = usageResolver(u, total);
    bodyValues(r, REQUEST_BODY_JSON_PREFIX, policy.costRequestPointers, requestValues, "the request body was not read");
    bodyValues(r, RESPONSE_BODY_JSON_PREFIX, policy.costResponsePointers, responseValues, "the response body was not read");
    const v = evaluate(program, r);
    if (v.kind == Kind.Int) return saturate(v.i);
    if (v.kind == Kind.Uint) return v.i < 0 ? MAX_COST : saturate(v.i);
    if (v.kind == Kind.Double) return saturate(roundUpClamped(v.d));
    out.expressionErrors++;
  }
  return total;
}

/**
 * `usage.<field>` for the cost expression, under OpenAI's and the Responses API's names
 * (the expression was compiled to ask for these names only).
 */
function usageResolver(u: Usage, total: i64): MapResolver {
  const r = new MapResolver();
  for (let i = 0; i < USAGE_FIELD_NAMES.length; i++) {
    const name = unchecked(USAGE_FIELD_NAMES[i]);
    r.set("usage." + name, Value.int(name == "total_tokens" ? total : usageFieldValue(u, i)));
  }
  return r;
}

/**
 * `requestBodyJSON(p)` / `responseBodyJSON(p)` for the cost expression: the values found
 * when the body passed (`values`, in the order of `pointers`), or `missing` as an error.
 */
function bodyValues(r: MapResolver, prefix: string, pointers: Array<string>, values: Array<Value> | null, missing: string): void {
  for (let i = 0, n = pointers.length; i < n; i++) {
    const v = values !== null && i < values.length ? unchecked(values[i]) : Value.error(missing);
    r.set(prefix + unchecked(pointers[i]), v);
  }
}

function fill(out: ChargeResult, n: i32, cost: i64): ChargeResult {
  for (let i = 0; i < n; i++) out.costs.push(cost);
  return out;
}

function saturate(v: i64): i64 {
  if (v < 0) return 0;
  return v > MAX_COST ? MAX_COST : v;
}
