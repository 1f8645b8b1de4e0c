// The request side of a stream: which limits apply (selection), and the request body
// admission may need (the input estimate, max_tokens and n for the reservation, `stream`
// for stream_options, the cost expression's requestBodyJSON values). A policy whose
// limits depend on the body (requestBodyJSON in `when` or `counters`) selects once the
// body is here (PendingBody, selectOnBodyStep).
import { HeaderMapType, BufferType } from "../abi/status";
import { borrowHeader, getHeader, removeHeader, replaceHeaderBytes } from "../abi/headers";
import { BorrowedBytes, bufferLength, setBufferBytes } from "../abi/buffers";
import { nowMillis } from "../abi/time";
import { AttributeOptions, HostAttributeSource, RequestAttributes, isInvalidCredential } from "../attributes";
import { AdmissionMode } from "../limits/decision";
import { Selection, selectLimits } from "../limits/selection";
import {
  addsStreamUsage, bodyStep, BodyStep, refusesBeforeBody, refusesUnidentified, refusesInvalidCredential, wantsRequestBody, inputTokensOf, inputTokensOfSize,
} from "../limits/admission_rules";
import { inspectRequest, addIncludeUsageTo, RequestInfo } from "../usage/request";
import { BodyJsonState, bodyJsonValue } from "../usage/body_json";
import { Value } from "../cel";
import { unreadableBodyResponse, unidentifiedResponseFor, invalidCredentialResponse, errorFormatFor } from "../limits/limited_response";
import { IdentityFailure, identityFailureName } from "../attributes";
import { mayCarryJsonBytes, parseContentLengthBytes } from "../usage/http";
import { ActivePolicy, Exchange, Phase } from "./exchange";
import { OnUnreadableBody } from "../config/admission";
import { noteWork, LIMITED_REQUEST_UNITS } from "./collector";
import { takeSelection } from "./pools";
import { StepResult, startAdmission, rejectRequest, sendReply } from "./admission_step";

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
  return selectWith(active, ATTRIBUTES.reset(active.policy.attributes));
}

/**
 * The current request's `:path` ("" when absent), read once per request whether the
 * selection, the identity's query token or this asked first. Only after `selectStep`.
 */
export function selectedRequestPath(): string {
  return ATTRIBUTES.requestPath();
}

function selectWith(active: ActivePolicy, attributes: RequestAttributes): Selection {
  const policy = active.policy;
  const selection = selectLimits(policy, attributes, spareSelection);
  // An expression needed the identity and the credential was unusable: the stream refuses it.
  if (attributes.identityResolved && isInvalidCredential(attributes.identityFailure)) selection.invalidCredential = <i32>attributes.identityFailure;
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

// RFC 9110 reads a missing accept-encoding as "any coding": ask for none explicitly, from
// bytes encoded once.
const IDENTITY = String.UTF8.encode("identity");
function askForIdentityEncoding(): void {
  replaceHeaderBytes(HeaderMapType.RequestHeaders, "accept-encoding", changetype<usize>(IDENTITY), <usize>IDENTITY.byteLength);
}

// The request headers a step only inspects are read from the host's bytes in place.
const HEADER = new BorrowedBytes();

/** The request's content-length: -1 when absent or not a plain decimal number (no string). */
function declaredContentLength(): i64 {
  const h = HEADER;
  // An absent header leaves `h` empty, which reads as absent.
  borrowHeader(HeaderMapType.RequestHeaders, "content-length", h);
  const v = parseContentLengthBytes(h.ptr, h.size);
  h.release();
  return v;
}

/** Whether the request's content-type (or its absence) may carry a JSON body (no string). */
function contentTypeMayCarryJson(): bool {
  const h = HEADER;
  borrowHeader(HeaderMapType.RequestHeaders, "content-type", h);
  const json = mayCarryJsonBytes(h.ptr, h.size);
  h.release();
  return json;
}

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
  if (config.usage.removeAcceptEncoding) askForIdentityEncoding();
  // The cost expression's requestBodyJSON needs the body too, in any admission mode.
  const costReadsBody = policy.costRequestPointers.length > 0 && config.admission.readRequestBody && !endOfStream;
  if (!wantsRequestBody(config, endOfStream) && !costReadsBody) {
    if (endOfStream) captureCostValues(x, BodyJsonState.Empty, 0, 0);
    const declared = endOfStream ? 0 : declaredContentLength();
    return startAdmission(x, inputTokensOfSize(declared, config.admission), 0, 1);
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
    x.check = check;
  }
  // Kept before it may be removed: a body over the bound is estimated from it.
  x.declaredBodyBytes = declaredContentLength();
  // Any body is read for the input estimate; only a JSON one may be rewritten.
  if (addsStreamUsage(config, x.path, x.preset.name) && contentTypeMayCarryJson()) {
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
    const r = admitWithBody(x, info, bodySize);
    borrowed.release();
    return r;
  }
  captureCostValues(x, step == BodyStep.Read ? BodyJsonState.NotJson : BodyJsonState.TooLarge, 0, 0);
  return startAdmission(x, unreadBodyTokens(x), 0, 1);
}

// Admits `x` with its body read (`borrowed`, described by `info`): the reservation from
// the body, the stream_options rewrite, the cost expression's body values.
function admitWithBody(x: Exchange, info: RequestInfo, bodySize: u32): StepResult {
  const input = inputTokensOf(info, <i64>bodySize, x.active.policy.config.admission);
  captureCostValues(x, info.valid ? BodyJsonState.Json : BodyJsonState.NotJson, borrowed.ptr, borrowed.size);
  if (info.stream && x.mayRewrite) {
    const rewritten = addIncludeUsageTo(info, borrowed.ptr, borrowed.size);
    if (rewritten !== null && setBufferBytes(BufferType.HttpRequestBody, 0, bodySize, rewritten) == 0) {
      x.active.metrics.streamOptionsAdded.inc();
    }
  }
  return startAdmission(x, input, info.maxOutput(), info.outputCount());
}

/**
 * The values the cost expression's `requestBodyJSON` pointers name in the body [ptr,
 * ptr+len) in `state`, kept on `x` for the charge (the body is gone by then).
 */
function captureCostValues(x: Exchange, state: BodyJsonState, ptr: usize, len: usize): void {
  const pointers = x.active.policy.costRequestPointers;
  const n = pointers.length;
  if (n == 0) return;
  const values = new Array<Value>(n);
  for (let i = 0; i < n; i++) unchecked(values[i] = bodyJsonValue(state, ptr, len, unchecked(pointers[i]), "the request body"));
  x.costRequestValues = values;
}

/**
 * A request whose limits depend on its body, while the body is buffered. Envoy lets a
 * filter read the request headers only during the headers callback, so everything the
 * selection may read from them is resolved then, into this request's own resolver.
 */
export class PendingBody {
  /** This request's resolver, its header-borne attributes already resolved. */
  attributes: RequestAttributes;
  /** The request's `:path` ("" when absent). */
  path: string = "";
  /** A HEAD request. */
  head: bool = false;
  /** The request's content-length at the headers (-1: none). */
  declared: i64 = -1;
  /** content-length was removed: the body may be rewritten (stream_options). */
  mayRewrite: bool = false;
  /** Body bytes buffered so far. */
  seen: u32 = 0;
  constructor(readonly active: ActivePolicy) {
    this.attributes = new RequestAttributes(HOST_ATTRIBUTES, active.policy.attributes);
  }
}

/**
 * At request headers, for a policy whose limits depend on the request body
 * (`requestBodyJSON` in a `when` or `counters`): the headers go on (Envoy hands the body
 * only to a filter that let them), without content-length when the body may be
 * rewritten, and the body is to be buffered for the selection.
 */
export function awaitBodyForSelection(active: ActivePolicy): PendingBody {
  const out = new PendingBody(active);
  const names = active.policy.selectionAttributeNames;
  for (let i = 0, n = names.length; i < n; i++) out.attributes.resolve(unchecked(names[i]));
  const p0 = getHeader(HeaderMapType.RequestHeaders, ":path");
  out.path = p0 === null ? "" : p0;
  out.head = isHeadRequest();
  const config = active.policy.config;
  if (config.usage.removeAcceptEncoding) askForIdentityEncoding();
  out.declared = declaredContentLength();
  if (config.usage.includeStreamUsage && contentTypeMayCarryJson()) {
    const path = out.path;
    if (addsStreamUsage(config, path, active.policy.presets.forPath(path).name)) {
      removeHeader(HeaderMapType.RequestHeaders, "content-length");
      out.mayRewrite = true;
    }
  }
  return out;
}

/** What selecting on the body decided: the exchange to keep (null: none) and the step result. */
export class BodySelection {
  exchange: Exchange | null = null;
  result: StepResult = StepResult.Continue;
}
const BODY_SELECTION = new BodySelection();

/**
 * The request body of a policy that selects on it is here (`complete`: all of it, within
 * the bound; else over the bound, or ended in trailers): selects the limits with it, and
 * admits. A body the selection needed but cannot read (too large, not a JSON object) is
 * refused with 413 or 400. Returns a shared object, valid until the next call.
 */
export function selectOnBodyStep(pending: PendingBody, bodySize: u32, complete: bool): BodySelection {
  const out = BODY_SELECTION;
  const active = pending.active;
  out.exchange = null;
  out.result = StepResult.Continue;
  const policy = active.policy;
  const attributes = pending.attributes;
  let info: RequestInfo | null = null;
  let state = BodyJsonState.TooLarge;
  if (complete && bodySize == 0) {
    state = BodyJsonState.Empty;
  } else if (complete && borrowed.fetch(BufferType.HttpRequestBody, 0, bodySize)) {
    info = inspectRequest(borrowed.ptr, borrowed.size);
    state = info.valid ? BodyJsonState.Json : BodyJsonState.NotJson;
  } else if (complete) {
    state = BodyJsonState.NotJson;
  }
  attributes.withRequestBody(state, borrowed.ptr, borrowed.size);
  const selection = selectWith(active, attributes);
  const path = pending.path;
  if (attributes.unreadableBodyRead) active.metrics.bodiesUnreadable.inc();
  if (attributes.unreadableBodyRead && !policy.config.dryRun && policy.config.admission.onUnreadableBody == OnUnreadableBody.Reject) {
    sendReply(unreadableBodyResponse(state == BodyJsonState.TooLarge, errorFormatFor(path, policy.config.response.format)));
    out.result = StepResult.Stop;
  } else if (refusesInvalidCredential(selection.invalidCredential, policy.config)) {
    sendReply(invalidCredentialResponse(<u32>policy.config.identity.invalidStatus, identityFailureName(<IdentityFailure>selection.invalidCredential),
      errorFormatFor(path, policy.config.response.format)));
    out.result = StepResult.Stop;
  } else if (refusesUnidentified(selection.counterErrors, policy.config)) {
    sendReply(unidentifiedResponseFor(policy.config, selection, path));
    out.result = StepResult.Stop;
  } else if (selection.specs.length > 0) {
    const x = new Exchange(active, selection, path);
    x.head = pending.head;
    x.mayRewrite = pending.mayRewrite;
    x.declaredBodyBytes = pending.declared;
    x.requestBodyBytes = <i64>bodySize;
    noteWork(LIMITED_REQUEST_UNITS);
    out.exchange = x;
    if (info !== null) {
      out.result = admitWithBody(x, info, bodySize);
    } else {
      captureCostValues(x, state, 0, 0);
      out.result = startAdmission(x, bodySize == 0 && complete ? 0 : unreadBodyTokens(x), 0, 1);
    }
  }
  if (info !== null) borrowed.release();
  return out;
}

/** The input estimate of a body that was not read: its declared length or what arrived, the larger. */
export function unreadBodyTokens(x: Exchange): i64 {
  const declared = x.declaredBodyBytes;
  const seen = x.requestBodyBytes;
  return inputTokensOfSize(declared > seen ? declared : seen, x.active.policy.config.admission);
}

/**
 * Request trailers while admission waits for the body (a body that ends in trailers never
 * says end of stream): the buffered body is all there is, so it is read (and may be
 * rewritten) as a complete body would be. A body over the limit is admitted unread.
 */
export function requestTrailersStep(x: Exchange): StepResult {
  const size = bufferLength(BufferType.HttpRequestBody);
  if (size < 0 || size > <i64>x.active.policy.config.admission.maxRequestBodyBytes) {
    if (size > x.requestBodyBytes) x.requestBodyBytes = size;
    return startAdmission(x, unreadBodyTokens(x), 0, 1);
  }
  return requestBodyStep(x, <u32>size, true);
}
