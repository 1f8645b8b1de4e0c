// The request side of a stream: which limits apply (selection), and the request body
// admission may need (max_tokens for the reservation, `stream` for stream_options).
import { HeaderMapType, BufferType } from "../abi/status";
import { borrowHeader, getHeader, removeHeader } from "../abi/headers";
import { BorrowedBytes, setBufferBytes } from "../abi/buffers";
import { nowMillis } from "../abi/time";
import { AttributeOptions, HostAttributeSource, RequestAttributes } from "../attributes";
import { AdmissionMode } from "../limits/decision";
import { Selection, selectLimits } from "../limits/selection";
import {
  addsStreamUsage, bodyStep, BodyStep, refusesBeforeBody, wantsRequestBody, inputTokensOf, inputTokensOfSize,
} from "../limits/admission_rules";
import { inspectRequest, addIncludeUsageTo } from "../usage/request";
import { isJsonContentType, parseContentLength } from "../usage/http";
import { ActivePolicy, Exchange, Phase } from "./exchange";
import { takeSelection } from "./pools";
import { StepResult, startAdmission, rejectRequest } from "./admission_step";

// Shared by every stream of the VM: the request body is scanned in place, one at a time.
const borrowed = new BorrowedBytes();
// Holds no state: one instance serves every request's attribute resolver.
const HOST_ATTRIBUTES = new HostAttributeSource();
// Requests are selected one at a time and nothing keeps the resolver past its selection
// (the values it returned are kept, not the resolver), so one serves them all.
const ATTRIBUTES = new RequestAttributes(HOST_ATTRIBUTES, new AttributeOptions());
// Most requests match no limit and keep no selection: they all fill this one. A request
// that keeps it (its Exchange holds it) leaves a new one for the next.
let spareSelection = takeSelection();

/**
 * Evaluates `active`'s limits for the current request and counts evaluation errors.
 * Identity outcomes are counted by the policy's identity statistics as they happen. The
 * selection is the stream's to keep only when a limit applies (specs not empty).
 */
export function selectStep(active: ActivePolicy): Selection {
  const policy = active.policy;
  const selection = selectLimits(policy, ATTRIBUTES.reset(policy.attributes), spareSelection);
  if (selection.specs.length > 0) spareSelection = takeSelection();
  const metrics = active.metrics;
  metrics.expressionErrors.add(selection.expressionErrors);
  metrics.counterErrors.add(selection.counterErrors);
  return selection;
}

/** Whether the request's method is HEAD (read in place: no string). */
export function isHeadRequest(): bool {
  const m = METHOD;
  const found = borrowHeader(HeaderMapType.RequestHeaders, ":method", m);
  const head = found && m.size == 4 && load<u32>(m.ptr) == 0x44414548; // "HEAD", little-endian
  m.release();
  return head;
}
const METHOD = new BorrowedBytes();

/**
 * At request headers, once limits apply: admits now, or (when the body tells the
 * reservation or may be rewritten) refuses an exhausted caller at once and waits for the
 * body. Envoy never hands the body to a filter that paused the headers, so in that case
 * the headers go on now, without content-length when the body may be rewritten (the
 * forwarded headers could not be corrected afterwards). A body that is not read is
 * estimated from its content-length.
 */
export function requestHeadersStep(x: Exchange, endOfStream: bool): StepResult {
  const policy = x.active.policy;
  const config = policy.config;
  if (config.usage.removeAcceptEncoding) removeHeader(HeaderMapType.RequestHeaders, "accept-encoding");
  if (!wantsRequestBody(config, endOfStream)) {
    const declared = endOfStream ? 0 : parseContentLength(getHeader(HeaderMapType.RequestHeaders, "content-length"));
    return startAdmission(x, inputTokensOfSize(declared, config.admission), 0, 1);
  }
  const check = policy.limiter.admit(x.selection.specs, nowMillis(), AdmissionMode.Check, 0);
  if (refusesBeforeBody(check, config)) {
    x.decision = check;
    rejectRequest(x, check);
    return StepResult.Stop;
  }
  // Kept before it may be removed: a body over the bound is estimated from it.
  x.declaredBodyBytes = parseContentLength(getHeader(HeaderMapType.RequestHeaders, "content-length"));
  // Any body is read for the input estimate; only a JSON one may be rewritten.
  if (addsStreamUsage(config, x.path, x.preset.name) && isJsonContentType(getHeader(HeaderMapType.RequestHeaders, "content-type"))) {
    x.mayRewrite = true;
    removeHeader(HeaderMapType.RequestHeaders, "content-length");
  }
  x.phase = Phase.ReadingBody;
  return StepResult.Continue;
}

/**
 * A chunk of the request body while admission waits for it: buffer, or read and admit.
 * A body over the bound is admitted unread, its input estimated from its declared length
 * or from what was buffered, whichever is larger.
 */
export function requestBodyStep(x: Exchange, bodySize: u32, endOfStream: bool): StepResult {
  const admission = x.active.policy.config.admission;
  x.requestBodyBytes = <i64>bodySize;
  const step = bodyStep(bodySize, endOfStream, admission);
  if (step == BodyStep.Buffer) return StepResult.Buffer;
  if (step == BodyStep.Read && borrowed.fetch(BufferType.HttpRequestBody, 0, bodySize)) {
    const info = inspectRequest(borrowed.ptr, borrowed.size);
    const input = inputTokensOf(info, <i64>bodySize, admission);
    if (info.stream && x.mayRewrite) {
      const rewritten = addIncludeUsageTo(info, borrowed.ptr, borrowed.size);
      if (rewritten !== null && setBufferBytes(BufferType.HttpRequestBody, 0, bodySize, rewritten) == 0) {
        x.active.metrics.streamOptionsAdded.inc();
      }
    }
    borrowed.release();
    return startAdmission(x, input, info.maxOutput(), info.outputCount());
  }
  return startAdmission(x, unreadBodyTokens(x), 0, 1);
}

/** The input estimate of a body that was not read: its declared length or what arrived, the larger. */
export function unreadBodyTokens(x: Exchange): i64 {
  const declared = x.declaredBodyBytes;
  const seen = x.requestBodyBytes;
  return inputTokensOfSize(declared > seen ? declared : seen, x.active.policy.config.admission);
}
