// One HTTP stream through the token limiter: a thin driver of the steps in
// request_steps.ts, admission_step.ts and response_steps.ts. A request some limit applies
// to keeps the policy it started under (in its Exchange) until the stream ends, whatever
// configuration arrives meanwhile; decisions are made in limits/ and usage/, the steps
// apply them.
//
// Request:  headers -> select limits -> [buffer body: max_tokens, stream] -> admit
// Response: headers -> usage reader -> body chunks pass through the reader -> charge
// A request no limit applies to stops after the selection, with nothing allocated for
// the later steps.
import { HttpContext } from "./context";
import { TokenLimitRoot } from "./root";
import { FilterHeadersStatus, FilterDataStatus, FilterTrailersStatus } from "../abi/status";
import { refusesUnidentified, refusesInvalidCredential } from "../limits/admission_rules";
import { unidentifiedResponseFor, invalidCredentialResponse, errorFormatFor } from "../limits/limited_response";
import { IdentityFailure, identityFailureName } from "../attributes";
import { Exchange, Phase } from "./exchange";
import { noteWork, LIMITED_REQUEST_UNITS, BODY_SELECTION_UNITS } from "./collector";
import { StepResult, sendReply } from "./admission_step";
import {
  selectStep, selectedRequestPath, requestHeadersStep, requestBodyStep, requestTrailersStep, isHeadRequest, awaitBodyForSelection, selectOnBodyStep, PendingBody,
} from "./request_steps";
import { bodyStep, BodyStep } from "../limits/admission_rules";
import { responseHeadersStep, responseBodyStep, settleStep, chargeTrailerStep } from "./response_steps";

export class TokenLimitStream extends HttpContext {
  private limiterRoot: TokenLimitRoot;
  /** Set when a limit applies to the request; null for every other request. */
  private exchange: Exchange | null = null;
  /** Set while the body is buffered for a policy whose limits depend on it. */
  private pending: PendingBody | null = null;

  constructor(id: u32, root: TokenLimitRoot) {
    super(id, root);
    this.limiterRoot = root;
    // What a stream allocates is counted where it is allocated: a request no limit applies
    // to, which allocates nothing, counts nothing.
    this.callbackUnits = 0;
  }

  /** Serves another stream of the same root: nothing of the last one is kept. */
  reuse(id: u32): void {
    super.reuse(id);
    this.exchange = null;
    this.pending = null;
  }

  onRequestHeaders(headerCount: u32, endOfStream: bool): i32 {
    const active = this.limiterRoot.active;
    if (active === null) return FilterHeadersStatus.Continue;
    if (active.policy.selectionReadsBody && !endOfStream) {
      noteWork(BODY_SELECTION_UNITS);
      this.pending = awaitBodyForSelection(active);
      return FilterHeadersStatus.Continue;
    }
    const selection = selectStep(active);
    noteWork(selection.allocationUnits);
    const config = active.policy.config;
    if (refusesInvalidCredential(selection.invalidCredential, config)) {
      sendReply(invalidCredentialResponse(<u32>config.identity.invalidStatus, identityFailureName(<IdentityFailure>selection.invalidCredential),
        errorFormatFor(selectedRequestPath(), config.response.format)));
      return FilterHeadersStatus.StopIteration;
    }
    if (refusesUnidentified(selection.counterErrors, active.policy.config)) {
      sendReply(unidentifiedResponseFor(active.policy.config, selection, selectedRequestPath()));
      return FilterHeadersStatus.StopIteration;
    }
    if (selection.specs.length == 0) return FilterHeadersStatus.Continue;
    const x = new Exchange(active, selection, selectedRequestPath());
    x.head = isHeadRequest();
    x.streamId = this.id;
    noteWork(LIMITED_REQUEST_UNITS);
    this.exchange = x;
    return requestHeadersStep(x, endOfStream) == StepResult.Stop ? FilterHeadersStatus.StopIteration : FilterHeadersStatus.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): i32 {
    const pending = this.pending;
    if (pending !== null) {
      noteWork(1);
      pending.seen = bodySize;
      const step = bodyStep(bodySize, endOfStream, pending.active.policy.config.admission);
      if (step == BodyStep.Buffer) return FilterDataStatus.StopIterationAndBuffer;
      if (this.selectOnBody(pending, bodySize, step == BodyStep.Read) != StepResult.Stop) return FilterDataStatus.Continue;
      const y = this.exchange;
      return y !== null && y.phase == Phase.Admitting ? FilterDataStatus.StopIterationAndBuffer : FilterDataStatus.StopIterationNoBuffer;
    }
    const x = this.exchange;
    if (x === null || x.phase != Phase.ReadingBody) return FilterDataStatus.Continue;
    noteWork(1);
    const r = requestBodyStep(x, bodySize, endOfStream);
    // A pending answer holds the body for the continue; a local reply drops it.
    if (r == StepResult.Buffer || (r == StepResult.Stop && x.phase == Phase.Admitting)) return FilterDataStatus.StopIterationAndBuffer;
    return r == StepResult.Stop ? FilterDataStatus.StopIterationNoBuffer : FilterDataStatus.Continue;
  }

  /** A body that ends in trailers never saw end of stream: read what was buffered, and admit. */
  onRequestTrailers(trailerCount: u32): i32 {
    const pending = this.pending;
    if (pending !== null) {
      return this.selectOnBody(pending, pending.seen, false) == StepResult.Stop ? FilterTrailersStatus.StopIteration : FilterTrailersStatus.Continue;
    }
    const x = this.exchange;
    if (x === null || x.phase != Phase.ReadingBody) return FilterTrailersStatus.Continue;
    return requestTrailersStep(x) == StepResult.Stop ? FilterTrailersStatus.StopIteration : FilterTrailersStatus.Continue;
  }

  /** Selects (and admits) with the body buffered for it; keeps the exchange when a limit applies. */
  private selectOnBody(pending: PendingBody, bodySize: u32, complete: bool): StepResult {
    this.pending = null;
    const r = selectOnBodyStep(pending, bodySize, complete);
    const x = r.exchange;
    // A pending admission resumes this stream from its callback, later.
    if (x !== null) x.streamId = this.id;
    this.exchange = x;
    return r.result;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): i32 {
    const x = this.exchange;
    if (x !== null && x.phase != Phase.Done) responseHeadersStep(x, endOfStream);
    return FilterHeadersStatus.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): i32 {
    const x = this.exchange;
    if (x !== null && x.phase != Phase.Done) {
      // A long response is read chunk by chunk: what reading allocates grows with it.
      noteWork(1);
      responseBodyStep(x, bodySize, endOfStream);
      if (endOfStream) chargeTrailerStep(x);
    }
    return FilterDataStatus.Continue;
  }

  onResponseTrailers(trailerCount: u32): i32 {
    const x = this.exchange;
    if (x !== null && x.phase != Phase.Done) settleStep(x, false);
    return FilterTrailersStatus.Continue;
  }

  /** The stream is over; one that ended before its response did is charged as aborted. */
  onLog(): void {
    this.pending = null;
    const x = this.exchange;
    if (x === null) return;
    if (x.phase != Phase.Done) {
      x.active.metrics.streamsAborted.inc();
      settleStep(x, true);
    }
    this.exchange = null;
    x.release();
  }
}
