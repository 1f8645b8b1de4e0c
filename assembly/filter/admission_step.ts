// The admission step: asks the limiter whether the request may proceed and applies the
// answer (continue, 429, 503, or a counted pass in a dry run). The answer is applied by
// `completeAdmission`, separate from the asking, so that a backend that answers later
// (LimitStatus.Pending, e.g. a rate-limit service over gRPC) holds the request now and
// completes it from its callback, then resumes the stream when the result is Continue.
import { sendLocalResponse, continueStream, setEffectiveContext } from "../abi/stream";
import { nowMillis } from "../abi/time";
import { logEnabled, logInfo } from "../abi/log";
import { LogLevel, StreamType } from "../abi/status";
import { Decision, DecisionWaiter, LimitStatus } from "../limits/decision";
import { currentContextId } from "./registry";
import { AdmissionOutcome, admissionOutcome, reservationFor } from "../limits/admission_rules";
import { LimitedResponse, unavailableResponse, errorFormatFor } from "../limits/limited_response";
import { sendLimitedReply } from "./limited_reply";
import { Exchange, Phase } from "./exchange";
import { recordLimitedForLog } from "./access_log";

/** What a step tells the stream to do with the callback it runs in. */
export enum StepResult {
  /** Let the request (or response) go on. */
  Continue = 0,
  /** Keep buffering the request body: admission waits for more of it. */
  Buffer = 1,
  /** Hold the stream: a local reply was sent, or an answer is pending. */
  Stop = 2,
}

/**
 * Asks the limiter for `x`, reserving for `inputTokens` of input (the estimate of the
 * request body) and `requested` output tokens (0: not known) times `outputs`, and applies
 * the answer at once unless it is pending.
 */
export function startAdmission(x: Exchange, inputTokens: i64, requested: i64, outputs: i64): StepResult {
  const policy = x.active.policy;
  const admission = policy.config.admission;
  x.inputEstimate = inputTokens < 0 ? 0 : inputTokens;
  x.estimate = reservationFor(x.inputEstimate, requested, outputs, admission);
  x.phase = Phase.Admitting;
  const check = x.check;
  x.check = null;
  const limiter = policy.limiter;
  const specs = x.selection.specs;
  const d = check !== null
    ? limiter.admitAfterCheck(check, specs, nowMillis(), admission.mode, x.estimate, x.inputEstimate)
    : limiter.admit(specs, nowMillis(), admission.mode, x.estimate, x.inputEstimate);
  const pending = d.pending;
  if (d.status == LimitStatus.Pending && pending !== null) pending.waiter = new ResumeStream(x);
  return completeAdmission(x, d);
}

/**
 * Completes a pending admission from the callback that brought the answer (in the root
 * context): applies it in the stream's context, and resumes the request when it may go
 * on. An answer for a stream that is over (reset while waiting) is dropped.
 */
class ResumeStream extends DecisionWaiter {
  constructor(readonly x: Exchange) { super(); }

  complete(d: Decision): void {
    const x = this.x;
    if (x.phase != Phase.Admitting) return;
    const back = currentContextId();
    setEffectiveContext(x.streamId);
    if (completeAdmission(x, d) == StepResult.Continue) continueStream(StreamType.Request);
    setEffectiveContext(back);
  }
}

/** Applies the limiter's answer `d` for `x`: counts it, and replies locally when it refuses. */
export function completeAdmission(x: Exchange, d: Decision): StepResult {
  x.decision = d;
  const active = x.active;
  const metrics = active.metrics;
  const policy = active.policy;
  switch (admissionOutcome(d, policy.config)) {
    case AdmissionOutcome.Wait:
      return StepResult.Stop;
    case AdmissionOutcome.Unavailable:
      countFailure(x, d, false);
      x.phase = Phase.Done;
      sendReply(unavailableResponse(policy.headerNames, errorFormatFor(x.path, policy.config.response.format),
        d.status == LimitStatus.ServiceError ? d.error : ""));
      return StepResult.Stop;
    case AdmissionOutcome.FailOpen:
      countFailure(x, d, true);
      x.phase = Phase.Admitted;
      return StepResult.Continue;
    case AdmissionOutcome.Reject:
      rejectRequest(x, d);
      return StepResult.Stop;
    case AdmissionOutcome.DryRunLimited:
      metrics.dryRunLimited.inc();
      countLimited(x, d);
      if (logEnabled(LogLevel.Info)) logInfo("tokenlimit: dry run: would limit on " + d.limitName + " (remaining " + d.remaining.toString() + ")");
      x.phase = Phase.Admitted;
      return StepResult.Continue;
    default:
      metrics.requestsAdmitted.inc();
      const starts = x.selection.limitStarts;
      for (let i = 0, n = starts.length; i < n; i++) active.metricsOfSpec(x.selection, unchecked(starts[i])).admitted.inc();
      x.phase = Phase.Admitted;
      return StepResult.Continue;
  }
}

/** Counts a decision that failed: a store error, or a rate-limit service's failure outcome. */
function countFailure(x: Exchange, d: Decision, allowed: bool): void {
  const metrics = x.active.metrics;
  if (d.status == LimitStatus.ServiceError) metrics.service.failureOutcome(allowed);
  else metrics.storeErrors.inc();
}

/** Answers `x` with the limited reply for refusal `d` and counts it. */
export function rejectRequest(x: Exchange, d: Decision): void {
  const active = x.active;
  const policy = active.policy;
  const response = policy.config.response;
  x.phase = Phase.Done;
  active.metrics.requestsLimited.inc();
  countLimited(x, d);
  recordLimitedForLog(x, d);
  sendLimitedReply(d, <u32>response.status, response.message, policy.headerNames, errorFormatFor(x.path, response.format));
}

/** Counts refusal `d` on the limit of its governing counter (the limiter's index is checked, not trusted). */
function countLimited(x: Exchange, d: Decision): void {
  const i = d.counterIndex;
  if (d.hasCounter && i >= 0 && i < x.selection.specs.length) x.active.metricsOfSpec(x.selection, i).limited.inc();
}

/** Sends `r` as the stream's local reply. */
export function sendReply(r: LimitedResponse): void {
  sendLocalResponse(r.status, r.details, String.UTF8.encode(r.body), r.headers);
}
