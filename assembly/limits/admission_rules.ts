// What the filter does at each point of a request's admission, decided from the policy
// and the limiter's answer alone. Pure: the filter gathers the inputs from the proxy,
// asks here, and applies the answer.
import { AdmissionConfig, FailureMode, OnCounterError, PluginConfig } from "../config";
import { OnInvalidCredential } from "../config/identity";
import { acceptsStreamOptions } from "../usage/http";
import { ServiceFailureMode } from "../config/counters";
import { AdmissionMode, Decision, LimitStatus } from "./decision";
import { RequestInfo } from "../usage/request";
import { satAdd } from "./saturate";
import { I64_MAX } from "../usage/fields";

/** What happens to a request once the limiter has answered. */
export enum AdmissionOutcome {
  /** Within budget: on to the upstream. */
  Admit = 0,
  /** Over budget: the limited reply (429 by default). */
  Reject = 1,
  /** Over budget in a dry run: let through, and counted as limited. */
  DryRunLimited = 2,
  /** The counters could not be consulted and the failure mode allows: let through. */
  FailOpen = 3,
  /** The counters could not be consulted and the failure mode denies: 503. */
  Unavailable = 4,
  /** The backend answers later (LimitStatus.Pending): hold the request until it does. */
  Wait = 5,
}

/**
 * The outcome of decision `d` under `config`: a pending answer waits; a failed one
 * follows `failureMode` (a dry run never denies); a refusal is a 429, or a counted pass
 * in a dry run.
 */
export function admissionOutcome(d: Decision, config: PluginConfig): AdmissionOutcome {
  if (d.status == LimitStatus.Pending) return AdmissionOutcome.Wait;
  if (d.status == LimitStatus.ServiceError) {
    // The rate-limit service's own failure mode (default deny) governs its failures.
    const service = config.counters.service;
    const deny = service === null || service.failureMode == ServiceFailureMode.Deny;
    return deny && !config.dryRun ? AdmissionOutcome.Unavailable : AdmissionOutcome.FailOpen;
  }
  if (d.status != LimitStatus.Ok) {
    return config.failureMode == FailureMode.Deny && !config.dryRun ? AdmissionOutcome.Unavailable : AdmissionOutcome.FailOpen;
  }
  if (d.admitted) return AdmissionOutcome.Admit;
  return config.dryRun ? AdmissionOutcome.DryRunLimited : AdmissionOutcome.Reject;
}

/**
 * Tokens to reserve for a request: its input estimate (`inputTokens`, see
 * `inputTokensOf`) plus its output allowance, the cap on generated tokens it asked for
 * (`requested`: max_tokens or its kin; 0 or less when it did not say, then the default
 * reservation) times the number of outputs it asked for (`outputs`: OpenAI's `n`,
 * Gemini's `candidateCount`), the output part at most the maximum reservation. The input
 * part is not capped: it is what the request already is. Saturates; never negative.
 */
export function reservationFor(inputTokens: i64, requested: i64, outputs: i64, admission: AdmissionConfig): i64 {
  const each = requested > 0 ? requested : admission.defaultReservation;
  const output = satMul(each, outputs < 1 ? 1 : outputs);
  const capped = output > admission.maxReservation ? admission.maxReservation : output;
  return satAdd(inputTokens < 0 ? 0 : inputTokens, capped);
}

/**
 * Tokens assumed for one attachment (base64 media in a `data` member or a `data:` URL):
 * about the most one image costs (OpenAI's high-detail tile count, Anthropic's 1.15
 * megapixel cap at about 750 pixels a token), instead of its base64 bytes as text.
 */
export const ATTACHMENT_TOKENS: i64 = 1600;

/**
 * The input estimate of a request body read by `inspectRequest`: the bytes of its text
 * divided by `admission.bytesPerToken` (rounded up), one token per number (token ids),
 * ATTACHMENT_TOKENS per attachment. A body that is not JSON is estimated from its size
 * (`bodyBytes`), as one that was not read: never 0 for a body that has bytes.
 */
export function inputTokensOf(info: RequestInfo, bodyBytes: i64, admission: AdmissionConfig): i64 {
  if (!info.valid) return inputTokensOfSize(bodyBytes, admission);
  const text = ceilDiv(info.textBytes, <i64>admission.bytesPerToken);
  return satAdd(satAdd(text, info.numbers), satMul(info.attachments, ATTACHMENT_TOKENS));
}

/** The input estimate of a body known only by its size: `bytes` / bytesPerToken, rounded up. */
export function inputTokensOfSize(bytes: i64, admission: AdmissionConfig): i64 {
  return bytes <= 0 ? 0 : ceilDiv(bytes, <i64>admission.bytesPerToken);
}

function ceilDiv(a: i64, b: i64): i64 {
  if (a <= 0) return 0;
  const d = b < 1 ? 1 : b;
  return a / d + (a % d != 0 ? 1 : 0);
}

function satMul(a: i64, b: i64): i64 {
  if (a <= 0 || b <= 0) return 0;
  return a > I64_MAX / b ? I64_MAX : a * b;
}

/**
 * True when a request whose counter could not be determined for `counterErrors` limits
 * is refused (403) instead of skipping those limits. A dry run never refuses.
 */
export function refusesUnidentified(counterErrors: i32, config: PluginConfig): bool {
  return counterErrors > 0 && config.onCounterError == OnCounterError.Reject && !config.dryRun;
}

/**
 * True when a request whose credential is present but unusable (`invalidCredential`, an
 * IdentityFailure; 0 = none) is refused: a limit needed the identity, and the policy does
 * not treat such callers as anonymous. A dry run never refuses.
 */
export function refusesInvalidCredential(invalidCredential: i32, config: PluginConfig): bool {
  return invalidCredential != 0 && config.identity.onInvalid == OnInvalidCredential.Reject && !config.dryRun;
}

/**
 * True when admission should wait for the request body, before knowing its content type:
 * there is a body, reading it is allowed, and it tells something (max_tokens for a
 * reservation, or `stream` for adding stream_options). The filter then reads the body
 * only if it is JSON.
 */
export function wantsRequestBody(config: PluginConfig, endOfStream: bool): bool {
  const admission = config.admission;
  return !endOfStream && admission.readRequestBody &&
    (admission.mode == AdmissionMode.Reserve || config.usage.includeStreamUsage);
}

/**
 * At request headers, when the body is to be read: a check (no reservation) made now
 * refuses a caller whose budget is already gone, before the headers go upstream. Only a
 * definite refusal counts; a failed or pending check leaves the decision to the body.
 */
export function refusesBeforeBody(check: Decision, config: PluginConfig): bool {
  return check.status == LimitStatus.Ok && !check.admitted && !config.dryRun;
}

/**
 * True when a streaming request to `path` may get `stream_options.include_usage` added:
 * enabled in the configuration, and an OpenAI-compatible route (`presetName` is the
 * usage preset chosen for the path).
 */
export function addsStreamUsage(config: PluginConfig, path: string, presetName: string): bool {
  return config.usage.includeStreamUsage && acceptsStreamOptions(path, presetName);
}

/** What to do with a chunk of the request body while admission waits for it. */
export enum BodyStep {
  /** Keep buffering: more is coming and the limit is not reached. */
  Buffer = 0,
  /** The whole body is here and small enough: read it, then admit. */
  Read = 1,
  /** Admit without reading: the body is over the limit (or ended at trailers). */
  Skip = 2,
}

/**
 * The step for a request body of `bodySize` bytes so far. A body over the limit is not
 * read even when it arrives whole (a buffering filter in front): copying it would grow
 * Wasm memory with the request.
 */
export function bodyStep(bodySize: u32, endOfStream: bool, admission: AdmissionConfig): BodyStep {
  const size = <i64>bodySize;
  const max = <i64>admission.maxRequestBodyBytes;
  if (!endOfStream) return size < max ? BodyStep.Buffer : BodyStep.Skip;
  return size <= max ? BodyStep.Read : BodyStep.Skip;
}
