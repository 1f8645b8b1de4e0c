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
import { FilterHeadersStatus, FilterDataStatus, FilterTrailersStatus, HeaderMapType } from "../abi/status";
import { getHeader } from "../abi/headers";
import { refusesUnidentified } from "../limits/admission_rules";
import { unidentifiedResponseFor } from "../limits/limited_response";
import { Exchange, Phase } from "./exchange";
import { noteWork, LIMITED_REQUEST_UNITS } from "./collector";
import { StepResult, sendReply, startAdmission } from "./admission_step";
import { selectStep, requestHeadersStep, requestBodyStep, isHeadRequest } from "./request_steps";
import { responseHeadersStep, responseBodyStep, settleStep } from "./response_steps";

export class TokenLimitStream extends HttpContext {
  private limiterRoot: TokenLimitRoot;
  /** Set when a limit applies to the request; null for every other request. */
  private exchange: Exchange | null = null;

  constructor(id: u32, root: TokenLimitRoot) {
    super(id, root);
    this.limiterRoot = root;
  }

  onRequestHeaders(headerCount: u32, endOfStream: bool): i32 {
    const active = this.limiterRoot.active;
    if (active === null) return FilterHeadersStatus.Continue;
    const selection = selectStep(active);
    if (refusesUnidentified(selection.counterErrors, active.policy.config)) {
      const p = getHeader(HeaderMapType.RequestHeaders, ":path");
      sendReply(unidentifiedResponseFor(active.policy.config, selection, p === null ? "" : p));
      return FilterHeadersStatus.StopIteration;
    }
    if (selection.specs.length == 0) return FilterHeadersStatus.Continue;
    const path = getHeader(HeaderMapType.RequestHeaders, ":path");
    const x = new Exchange(active, selection, path === null ? "" : path);
    x.head = isHeadRequest();
    x.streamId = this.id;
    noteWork(LIMITED_REQUEST_UNITS);
    this.exchange = x;
    return requestHeadersStep(x, endOfStream) == StepResult.Stop ? FilterHeadersStatus.StopIteration : FilterHeadersStatus.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): i32 {
    const x = this.exchange;
    if (x === null || x.phase != Phase.ReadingBody) return FilterDataStatus.Continue;
    const r = requestBodyStep(x, bodySize, endOfStream);
    if (r == StepResult.Buffer) return FilterDataStatus.StopIterationAndBuffer;
    return r == StepResult.Stop ? FilterDataStatus.StopIterationNoBuffer : FilterDataStatus.Continue;
  }

  /** A body that ends in trailers never saw end of stream: admit with what we have. */
  onRequestTrailers(trailerCount: u32): i32 {
    const x = this.exchange;
    if (x === null || x.phase != Phase.ReadingBody) return FilterTrailersStatus.Continue;
    return startAdmission(x, 0) == StepResult.Stop ? FilterTrailersStatus.StopIteration : FilterTrailersStatus.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): i32 {
    const x = this.exchange;
    if (x !== null && x.phase != Phase.Done) responseHeadersStep(x, endOfStream);
    return FilterHeadersStatus.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): i32 {
    const x = this.exchange;
    if (x !== null && x.phase != Phase.Done) responseBodyStep(x, bodySize, endOfStream);
    return FilterDataStatus.Continue;
  }

  onResponseTrailers(trailerCount: u32): i32 {
    const x = this.exchange;
    if (x !== null && x.phase != Phase.Done) settleStep(x, false);
    return FilterTrailersStatus.Continue;
  }

  /** The stream is over; one that ended before its response did is charged as aborted. */
  onLog(): void {
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
