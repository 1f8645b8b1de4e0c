// The request side of a stream: which limits apply (selection), and the request body
// admission may need (max_tokens for the reservation, `stream` for stream_options).
import { HeaderMapType, BufferType } from "../abi/status";
import { borrowHeader, getHeader, removeHeader, replaceHeader } from "../abi/headers";
import { BorrowedBytes, bufferLength, setBufferBytes } from "../abi/buffers";
import { nowMillis } from "../abi/time";
import { AttributeOptions, HostAttributeSource, RequestAttributes, isInvalidCredential } from "../attributes";
import { AdmissionMode } from "../limits/decision";
import { Selection, selectLimits } from "../limits/selection";
import { addsStreamUsage, bodyStep, BodyStep, refusesBeforeBody, wantsRequestBody } from "../limits/admission_rules";
import { inspectRequest, addIncludeUsageTo } from "../usage/request";
import { mayCarryJson } from "../usage/http";
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
  const attrs = ATTRIBUTES.reset(policy.attributes);
  const selection = selectLimits(policy, attrs, spareSelection);
  // An expression needed the identity and the credential was unusable: the stream refuses it.
  if (attrs.identityResolved && isInvalidCredential(attrs.identityFailure)) selection.invalidCredential = <i32>attrs.identityFailure;
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
 * forwarded headers could not be corrected afterwards).
 */
export function requestHeadersStep(x: Exchange, endOfStream: bool): StepResult {
  const policy = x.active.policy;
  const config = policy.config;
  // RFC 9110 reads a missing accept-encoding as "any coding": ask for none explicitly.
  if (config.usage.removeAcceptEncoding) replaceHeader(HeaderMapType.RequestHeaders, "accept-encoding", "identity");
  if (!wantsRequestBody(config, endOfStream) || !mayCarryJson(getHeader(HeaderMapType.RequestHeaders, "content-type"))) {
    return startAdmission(x, 0);
  }
  // A remote limiter is asked once, when the body is known: a check first would cost a
  // round trip (and, on envoy-rls, a counted hit) per request.
  if (!policy.limiter.remote) {
    const check = policy.limiter.admit(x.selection.specs, nowMillis(), AdmissionMode.Check, 0);
    if (refusesBeforeBody(check, config)) {
      x.decision = check;
      rejectRequest(x, check);
      return StepResult.Stop;
    }
  }
  if (addsStreamUsage(config, x.path, x.preset.name)) {
    x.mayRewrite = true;
    removeHeader(HeaderMapType.RequestHeaders, "content-length");
  }
  x.phase = Phase.ReadingBody;
  return StepResult.Continue;
}

/** A chunk of the request body while admission waits for it: buffer, or read and admit. */
export function requestBodyStep(x: Exchange, bodySize: u32, endOfStream: bool): StepResult {
  const step = bodyStep(bodySize, endOfStream, x.active.policy.config.admission);
  if (step == BodyStep.Buffer) return StepResult.Buffer;
  let requested: i64 = 0;
  if (step == BodyStep.Read && borrowed.fetch(BufferType.HttpRequestBody, 0, bodySize)) {
    const info = inspectRequest(borrowed.ptr, borrowed.size);
    requested = info.maxOutput();
    if (info.stream && x.mayRewrite) {
      const rewritten = addIncludeUsageTo(info, borrowed.ptr, borrowed.size);
      if (rewritten !== null && setBufferBytes(BufferType.HttpRequestBody, 0, bodySize, rewritten) == 0) {
        x.active.metrics.streamOptionsAdded.inc();
      }
    }
    borrowed.release();
  }
  return startAdmission(x, requested);
}

/**
 * Request trailers while admission waits for the body (a body that ends in trailers never
 * says end of stream): the buffered body is all there is, so it is read (and may be
 * rewritten) as a complete body would be. A body over the limit is admitted unread.
 */
export function requestTrailersStep(x: Exchange): StepResult {
  const size = bufferLength(BufferType.HttpRequestBody);
  if (size < 0 || size > <i64>x.active.policy.config.admission.maxRequestBodyBytes) return startAdmission(x, 0);
  return requestBodyStep(x, <u32>size, true);
}
