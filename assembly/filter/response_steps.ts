// The response side of a stream: read the usage as the body passes (never holding it),
// then charge what the response cost, or give the reservation back when there was none.
import { HeaderMapType, BufferType, LogLevel } from "../abi/status";
import { addHeader, borrowHeader, replaceHeaderBytes, replaceHeaderUtf8 } from "../abi/headers";
import { BorrowedBytes } from "../abi/buffers";
import { nowMillis } from "../abi/time";
import { logDebug, logEnabled } from "../abi/log";
import { HeaderSink, writeAdmittedHeaders } from "../limits/headers";
import { ChargeResult, chargeFor, RESPONSE_ABORTED, REQUEST_HEAD } from "../limits/charge";
import { isReadableEncodingBytes, modeForContentTypeBytes, parseStatusCodeBytes } from "../usage/http";
import { Usage } from "../usage/usage";
import { Exchange, Phase } from "./exchange";
import { takeReaderWithin } from "./pools";
import { BodyCapture } from "../usage/body_capture";
import { BodyJsonState, bodyJsonValue } from "../usage/body_json";
import { MODE_SSE, MODE_NDJSON } from "../usage/reader";
import { Value } from "../cel/value";
import { recordChargeForLog } from "./access_log";

// Shared by every stream of the VM: one chunk is inspected at a time.
const borrowed = new BorrowedBytes();
/** Budget headers go straight onto the response being forwarded. */
class ResponseHeaderSink extends HeaderSink {
  put(name: string, valuePtr: usize, valueLen: usize): void {
    replaceHeaderBytes(HeaderMapType.ResponseHeaders, name, valuePtr, valueLen);
  }
  putUtf8(name: string, nameUtf8: ArrayBuffer, valuePtr: usize, valueLen: usize): void {
    replaceHeaderUtf8(HeaderMapType.ResponseHeaders, changetype<usize>(nameUtf8), <usize>nameUtf8.byteLength, valuePtr, valueLen);
  }
}
const RESPONSE_HEADERS = new ResponseHeaderSink();
// The response headers a step only inspects, one at a time.
const HEADER = new BorrowedBytes();
// A charge is recorded and settled as soon as it is computed: one result serves them all.
const CHARGE = new ChargeResult();
// Largest slice of a response body copied into Wasm memory at once.
const RESPONSE_WINDOW_BYTES: u32 = 64 * 1024;

/** Response headers: start the usage reader, add the budget headers, charge a bodiless response. */
export function responseHeadersStep(x: Exchange, endOfStream: bool): void {
  const active = x.active;
  const policy = active.policy;
  x.responseStarted = true;
  // The headers are read from the host's bytes in place; an absent one leaves `h` empty,
  // which each reading takes as absent.
  const h = HEADER;
  borrowHeader(HeaderMapType.ResponseHeaders, ":status", h);
  x.responseStatus = parseStatusCodeBytes(h.ptr, h.size);
  borrowHeader(HeaderMapType.ResponseHeaders, "content-encoding", h);
  if (!isReadableEncodingBytes(h.ptr, h.size)) {
    x.unreadable = true;
    active.metrics.usageUnreadable.inc();
  }
  borrowHeader(HeaderMapType.ResponseHeaders, "content-type", h);
  const mode = modeForContentTypeBytes(h.ptr, h.size);
  h.release();
  const reader = takeReaderWithin(x.preset, policy.config.usage.maxConcurrentReads);
  if (reader !== null) {
    reader.beginMode(mode, x.preset);
    x.reader = reader;
    if (policy.costResponsePointers.length > 0) {
      // Only for a cost expression that reads the response body: a stream keeps its end.
      x.responseCapture = new BodyCapture(reader.mode == MODE_SSE || reader.mode == MODE_NDJSON);
    }
  } else {
    active.metrics.usageNotReadAtCapacity.inc();
  }
  const d = x.decision;
  if (d !== null && policy.config.response.admittedHeaders) writeAdmittedHeaders(d, policy.headerNames, RESPONSE_HEADERS);
  if (endOfStream) settleStep(x, false);
}

/**
 * After the last chunk of a response body was charged: the charge as a trailer, when the
 * policy asks for one (Envoy adds trailers to a response that has none only there).
 */
export function chargeTrailerStep(x: Exchange): void {
  const name = x.active.policy.config.chargeTrailer;
  if (name.length == 0 || x.charged < 0) return;
  addHeader(HeaderMapType.ResponseTrailers, name, x.charged.toString());
}

/** A response body chunk: passes through the usage reader; the last one charges. */
export function responseBodyStep(x: Exchange, bodySize: u32, endOfStream: bool): void {
  const reader = x.reader;
  if (reader !== null && x.unreadable) {
    // Compressed: not read, but its size is what it will be charged by.
    reader.skip(bodySize);
  } else if (reader !== null && bodySize > 0) {
    // In bounded windows: one chunk can hold the whole body (a buffering filter in
    // front), and Wasm memory never shrinks once a fetch has grown it.
    const size = <u64>bodySize;
    for (let start: u64 = 0; start < size; start += <u64>RESPONSE_WINDOW_BYTES) {
      const left = size - start;
      const n = left < <u64>RESPONSE_WINDOW_BYTES ? <u32>left : RESPONSE_WINDOW_BYTES;
      if (!borrowed.fetch(BufferType.HttpResponseBody, <u32>start, n)) break;
      reader.feed(borrowed.ptr, borrowed.size);
      const capture = x.responseCapture;
      if (capture !== null) capture.append(borrowed.ptr, borrowed.size);
      borrowed.release();
    }
  }
  if (endOfStream) settleStep(x, false);
}

/**
 * Replaces the reservations by what the response cost (or its fallback); gives them back
 * when no response started. `aborted`: the stream ended before its response did. Once.
 */
export function settleStep(x: Exchange, aborted: bool): void {
  x.phase = Phase.Done;
  const d = x.decision;
  if (d === null) return;
  const policy = x.active.policy;
  const now = nowMillis();
  if (!x.responseStarted) {
    policy.limiter.release(d.handles, now);
    return;
  }
  const reader = x.reader;
  const usage: Usage | null = reader === null ? null : reader.finish();
  let flags = aborted ? RESPONSE_ABORTED : 0;
  if (x.head) flags |= REQUEST_HEAD;
  const charge = chargeFor(policy, x.selection, usage, x.responseStatus, x.estimate, x.inputEstimate, x.unreadable, flags, CHARGE,
    x.costRequestValues, responseValues(x));
  recordCharge(x, charge);
  x.charged = charge.tokens;
  policy.limiter.settle(d.handles, charge.costs, now);
  // Alerts the settlement crossed leave now, as the root, without holding this stream.
  x.active.notifier.flush(x.streamId);
  recordChargeForLog(x, d, charge, usage, aborted);
}

/** The values of the cost expression's `responseBodyJSON` pointers in the response kept for them; null when none. */
function responseValues(x: Exchange): Array<Value> | null {
  const capture = x.responseCapture;
  if (capture === null) return null;
  const pointers = x.active.policy.costResponsePointers;
  const state = x.unreadable ? BodyJsonState.NotJson : capture.document();
  const values = new Array<Value>(pointers.length);
  for (let i = 0, n = pointers.length; i < n; i++) {
    unchecked(values[i] = bodyJsonValue(state, capture.docPtr, capture.docLen, unchecked(pointers[i]), "the response body"));
  }
  x.responseCapture = null;
  return values;
}

function recordCharge(x: Exchange, charge: ChargeResult): void {
  const active = x.active;
  const metrics = active.metrics;
  if (charge.usageMissing) metrics.usageMissing.inc();
  if (charge.fallback) metrics.fallbackCharges.inc();
  if (charge.upstreamErrorUncharged) metrics.upstreamErrorsUncharged.inc();
  if (charge.upgrade) metrics.upgradesCharged.inc();
  metrics.expressionErrors.add(charge.expressionErrors);
  metrics.tokensCharged.add(charge.tokens);
  const selection = x.selection;
  const starts = selection.limitStarts;
  for (let i = 0, n = starts.length; i < n; i++) {
    const first = unchecked(starts[i]);
    active.metricsOfSpec(selection, first).tokens.add(unchecked(charge.costs[first]));
  }
  if (logEnabled(LogLevel.Debug)) logDebug("tokenlimit: charged " + charge.tokens.toString() + " tokens");
}
