// One HTTP stream through the token limiter. Proxy-Wasm glue only: it gathers what
// the decision modules need from the proxy, calls them, and applies their answers
// (continue, pause, local reply, header and body edits).
//
// Request:  headers -> select limits (CEL) -> [buffer body: max_tokens, stream] -> admit
// Response: headers -> usage reader -> body chunks pass through the reader -> charge
import { HttpContext } from "./context";
import { TokenLimitRoot } from "./root";
import { FilterHeadersStatus, FilterDataStatus, FilterTrailersStatus, HeaderMapType, BufferType } from "../abi/status";
import { getHeader, removeHeader, replaceHeader } from "../abi/headers";
import { BorrowedBytes, setBufferBytes } from "../abi/buffers";
import { sendLocalResponse } from "../abi/stream";
import { nowMillis } from "../abi/time";
import { logDebug, logEnabled, logInfo } from "../abi/log";
import { LogLevel } from "../abi/status";
import { FailureMode, OnCounterError } from "../config";
import { HostAttributeSource, RequestAttributes, IdentityFailure } from "../attributes";
import { Selection, selectLimits } from "../limits/selection";
import { AdmissionMode, Decision, LimitStatus } from "../limits/decision";
import { rateLimitHeaders } from "../limits/headers";
import { LimitedResponse, limitedResponse, unidentifiedResponse, unavailableResponse } from "../limits/limited_response";
import { ChargeResult, chargeFor, RESPONSE_ABORTED } from "../limits/charge";
import { CompiledPolicy } from "../limits/policy";
import { LocalLimiter } from "../limits/local_limiter";
import { ResponseUsageReader } from "../usage/reader";
import { inspectRequest, addIncludeUsageTo } from "../usage/request";
import { Usage } from "../usage/usage";
import { Preset } from "../usage/presets";

// Shared by every stream of the VM: the request body is scanned in place, one at a time.
const borrowed = new BorrowedBytes();
// Holds no state: one instance serves every request's attribute resolver.
const HOST_ATTRIBUTES = new HostAttributeSource();
// Largest slice of a response body copied into Wasm memory at once.
const RESPONSE_WINDOW_BYTES: u32 = 64 * 1024;

export class TokenLimitStream extends HttpContext {
  private limiterRoot: TokenLimitRoot;
  /** A limit applies to this request; everything below is meaningful only then. */
  private active: bool = false;
  // The policy and limiter this request was selected under: a reconfiguration while the
  // stream is open must not mix two policies' limit indexes.
  private policy: CompiledPolicy | null = null;
  private limiter: LocalLimiter | null = null;
  private selection: Selection | null = null;
  private decision: Decision | null = null;
  private estimate: i64 = 0;
  private waitingForBody: bool = false;
  private mayRewrite: bool = false;
  private path: string = "";
  /** Which usage fields the response carries, chosen once from the path. */
  private preset: Preset | null = null;
  private reader: ResponseUsageReader | null = null;
  private responseStarted: bool = false;
  private responseStatus: i32 = 0;
  private unreadable: bool = false;
  private settled: bool = false;

  constructor(id: u32, root: TokenLimitRoot) {
    super(id, root);
    this.limiterRoot = root;
  }

  onRequestHeaders(headerCount: u32, endOfStream: bool): i32 {
    const root = this.limiterRoot;
    const policy = root.policy;
    const limiter = root.limiter;
    if (policy === null || limiter === null) return FilterHeadersStatus.Continue;
    this.policy = policy;
    this.limiter = limiter;
    const path = getHeader(HeaderMapType.RequestHeaders, ":path");
    this.path = path === null ? "" : path;

    const attributes = new RequestAttributes(HOST_ATTRIBUTES, root.attributes);
    const selection = selectLimits(policy, attributes);
    const metrics = root.metrics;
    metrics.expressionErrors.add(selection.expressionErrors);
    if (attributes.identityFailure != IdentityFailure.None) metrics.identityMissing.inc();
    const config = policy.config;
    if (selection.counterErrors > 0) {
      metrics.counterErrors.add(selection.counterErrors);
      if (config.onCounterError == OnCounterError.Reject && !config.dryRun) {
        return this.reply(unidentifiedResponse(403, selection.counterErrorLimit));
      }
    }
    if (selection.specs.length == 0) return FilterHeadersStatus.Continue;
    this.active = true;
    this.selection = selection;
    const preset = root.presets.forPath(this.path);
    this.preset = preset;
    if (config.usage.removeAcceptEncoding) removeHeader(HeaderMapType.RequestHeaders, "accept-encoding");

    const admission = config.admission;
    const wantBody = !endOfStream && admission.readRequestBody &&
      (admission.mode == AdmissionMode.Reserve || config.usage.includeStreamUsage) && hasJsonBody();
    if (!wantBody) return this.admit(admission.defaultReservation) ? FilterHeadersStatus.Continue : FilterHeadersStatus.StopIteration;

    // Envoy never hands the body to a filter that paused the headers, so the headers go on
    // now: refuse an exhausted caller first, and drop content-length where the body may be
    // rewritten (the forwarded headers could not be corrected afterwards).
    const probe = this.limiter!.admit(selection.specs, nowMillis(), AdmissionMode.Check, 0);
    if (probe.status == LimitStatus.Ok && !probe.admitted && !config.dryRun) {
      this.decision = probe;
      this.active = false;
      return this.reject(probe);
    }
    if (config.usage.includeStreamUsage && acceptsStreamOptions(this.path, preset.name)) {
      this.mayRewrite = true;
      removeHeader(HeaderMapType.RequestHeaders, "content-length");
    }
    this.waitingForBody = true;
    return FilterHeadersStatus.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): i32 {
    if (!this.waitingForBody) return FilterDataStatus.Continue;
    const policy = this.policy!;
    const config = policy.config;
    if (!endOfStream && <i64>bodySize < <i64>config.admission.maxRequestBodyBytes) return FilterDataStatus.StopIterationAndBuffer;
    this.waitingForBody = false;

    let estimate = config.admission.defaultReservation;
    // A body over the limit is not read, even when it arrives whole in one chunk (a
    // buffering filter in front): copying it would grow Wasm memory with the request.
    const readable = endOfStream && <i64>bodySize <= <i64>config.admission.maxRequestBodyBytes;
    if (readable && borrowed.fetch(BufferType.HttpRequestBody, 0, bodySize)) {
      const info = inspectRequest(borrowed.ptr, borrowed.size);
      const maxOutput = info.maxOutput();
      if (maxOutput > 0) estimate = maxOutput;
      if (info.stream && this.mayRewrite) {
        const rewritten = addIncludeUsageTo(info, borrowed.ptr, borrowed.size);
        if (rewritten !== null && setBufferBytes(BufferType.HttpRequestBody, 0, bodySize, rewritten) == 0) {
          this.limiterRoot.metrics.streamOptionsAdded.inc();
        }
      }
      borrowed.release();
    }
    return this.admit(estimate) ? FilterDataStatus.Continue : FilterDataStatus.StopIterationNoBuffer;
  }

  /** A body that ends in trailers never saw end of stream: admit with what we have. */
  onRequestTrailers(trailerCount: u32): i32 {
    if (!this.waitingForBody) return FilterTrailersStatus.Continue;
    this.waitingForBody = false;
    return this.admit(this.policy!.config.admission.defaultReservation)
      ? FilterTrailersStatus.Continue : FilterTrailersStatus.StopIteration;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): i32 {
    if (!this.active) return FilterHeadersStatus.Continue;
    const root = this.limiterRoot;
    const config = this.policy!.config;
    this.responseStarted = true;
    const status = getHeader(HeaderMapType.ResponseHeaders, ":status");
    this.responseStatus = status === null ? 0 : parseStatus(status);
    const encoding = getHeader(HeaderMapType.ResponseHeaders, "content-encoding");
    if (encoding !== null && encoding.length > 0 && encoding.toLowerCase() != "identity") {
      this.unreadable = true;
      root.metrics.usageUnreadable.inc();
    }
    const contentType = getHeader(HeaderMapType.ResponseHeaders, "content-type");
    const reader = new ResponseUsageReader(this.preset!);
    reader.begin(contentType === null ? "" : contentType);
    this.reader = reader;
    const d = this.decision;
    if (d !== null && config.response.admittedHeaders) {
      const headers = rateLimitHeaders(d, root.headerNames);
      for (let i = 0; i < headers.length; i++) {
        const h = unchecked(headers[i]);
        // A dry run admits a request its budget would refuse: the client was not refused,
        // so it gets no retry-after (limit, remaining 0 and reset still say where it stands).
        if (!d.admitted && h.name == root.headerNames.retryAfter) continue;
        replaceHeader(HeaderMapType.ResponseHeaders, h.name, h.value);
      }
    }
    if (endOfStream) this.settle(false);
    return FilterHeadersStatus.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): i32 {
    if (!this.active || this.settled) return FilterDataStatus.Continue;
    const reader = this.reader;
    if (reader !== null && !this.unreadable && bodySize > 0) {
      // In bounded windows: one chunk can hold the whole body (a buffering filter in
      // front), and Wasm memory never shrinks once a fetch has grown it.
      const size = <u64>bodySize;
      for (let start: u64 = 0; start < size; start += <u64>RESPONSE_WINDOW_BYTES) {
        const left = size - start;
        const n = left < <u64>RESPONSE_WINDOW_BYTES ? <u32>left : RESPONSE_WINDOW_BYTES;
        if (!borrowed.fetch(BufferType.HttpResponseBody, <u32>start, n)) break;
        reader.feed(borrowed.ptr, borrowed.size);
        borrowed.release();
      }
    }
    if (endOfStream) this.settle(false);
    return FilterDataStatus.Continue;
  }

  onResponseTrailers(trailerCount: u32): i32 {
    if (this.active && !this.settled) this.settle(false);
    return FilterTrailersStatus.Continue;
  }

  /** The stream is over; one that ended before its response did is charged as aborted. */
  onLog(): void {
    if (this.active && !this.settled) {
      this.limiterRoot.metrics.streamsAborted.inc();
      this.settle(true);
    }
  }

  /** Admits against every applicable counter; false when a local reply was sent. */
  private admit(requested: i64): bool {
    const root = this.limiterRoot;
    const config = this.policy!.config;
    const admission = config.admission;
    let estimate = requested > 0 ? requested : admission.defaultReservation;
    if (estimate > admission.maxReservation) estimate = admission.maxReservation;
    this.estimate = estimate;
    const d = this.limiter!.admit(this.selection!.specs, nowMillis(), admission.mode, estimate);
    this.decision = d;
    const metrics = root.metrics;
    if (d.status != LimitStatus.Ok) {
      metrics.storeErrors.inc();
      if (config.failureMode == FailureMode.Deny && !config.dryRun) {
        this.active = false;
        this.reply(unavailableResponse());
        return false;
      }
      return true;
    }
    if (!d.admitted) {
      if (config.dryRun) {
        metrics.dryRunLimited.inc();
        metrics.limit(d.limitName).limited.inc();
        if (logEnabled(LogLevel.Info)) logInfo("tokenlimit: dry run: would limit on " + d.limitName + " (remaining " + d.remaining.toString() + ")");
        return true;
      }
      this.active = false;
      this.reject(d);
      return false;
    }
    metrics.requestsAdmitted.inc();
    this.countAdmitted();
    return true;
  }

  private countAdmitted(): void {
    const selection = this.selection!;
    const metrics = this.limiterRoot.metrics;
    const starts = selection.limitStarts;
    for (let i = 0; i < starts.length; i++) {
      metrics.limit(unchecked(selection.specs[unchecked(starts[i])]).limitName).admitted.inc();
    }
  }

  private reject(d: Decision): i32 {
    const root = this.limiterRoot;
    const response = this.policy!.config.response;
    root.metrics.requestsLimited.inc();
    if (d.hasCounter) root.metrics.limit(d.limitName).limited.inc();
    return this.reply(limitedResponse(d, <u32>response.status, response.message, root.headerNames));
  }

  private reply(r: LimitedResponse): i32 {
    sendLocalResponse(r.status, r.details, String.UTF8.encode(r.body), r.headers);
    return FilterHeadersStatus.StopIteration;
  }

  /** Replaces the reservations by what the response cost (or its fallback). Once. */
  private settle(aborted: bool): void {
    this.settled = true;
    const d = this.decision;
    const selection = this.selection;
    const limiter = this.limiter;
    if (d === null || selection === null || limiter === null) return;
    const handles = d.handles;
    const now = nowMillis();
    if (!this.responseStarted) {
      limiter.release(handles, now);
      return;
    }
    const reader = this.reader;
    const usage: Usage | null = reader === null ? null : reader.finish();
    const charge = chargeFor(this.policy!, selection, usage, this.responseStatus, this.estimate,
      this.unreadable, aborted ? RESPONSE_ABORTED : 0);
    this.record(charge);
    limiter.settle(handles, charge.costs, now);
  }

  private record(charge: ChargeResult): void {
    const metrics = this.limiterRoot.metrics;
    if (charge.usageMissing) metrics.usageMissing.inc();
    if (charge.fallback) metrics.fallbackCharges.inc();
    if (charge.upstreamErrorUncharged) metrics.upstreamErrorsUncharged.inc();
    metrics.expressionErrors.add(charge.expressionErrors);
    metrics.tokensCharged.add(charge.tokens);
    const selection = this.selection!;
    const starts = selection.limitStarts;
    for (let i = 0; i < starts.length; i++) {
      const first = unchecked(starts[i]);
      metrics.limit(unchecked(selection.specs[first]).limitName).tokens.add(unchecked(charge.costs[first]));
    }
    if (logEnabled(LogLevel.Debug)) logDebug("tokenlimit: charged " + charge.tokens.toString() + " tokens");
  }
}

/** True when the request declares a JSON body (the only kind we read). */
function hasJsonBody(): bool {
  const ct = getHeader(HeaderMapType.RequestHeaders, "content-type");
  if (ct === null) return true;
  return ct.toLowerCase().includes("json");
}

/** The numeric value of a `:status` header; 0 if it is not a number. */
function parseStatus(s: string): i32 {
  let v = 0;
  const n = s.length;
  if (n == 0 || n > 3) return 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return 0;
    v = v * 10 + c;
  }
  return v;
}

/**
 * OpenAI chat completions and completions (and the servers compatible with them) accept
 * `stream_options`; other APIs reject unknown fields or report usage by themselves. The
 * configured provider has the last word: an Anthropic, Gemini or Responses route is never
 * rewritten, whatever its path looks like (`preset` is the name of the path's preset).
 */
function acceptsStreamOptions(path: string, preset: string): bool {
  if (preset != "openai" && preset != "custom" && preset != "any") return false;
  let p = path;
  const q = p.indexOf("?");
  if (q >= 0) p = p.substring(0, q);
  while (p.length > 1 && p.endsWith("/")) p = p.substring(0, p.length - 1);
  return p.endsWith("/chat/completions") || p.endsWith("/completions");
}
