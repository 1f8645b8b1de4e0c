// The two kinds of context the proxy creates: one root context per plugin (configuration,
// timers, outbound calls) and one HTTP context per stream. Filters extend these; every
// callback has a safe default so a subclass overrides only what it uses.
import { FilterHeadersStatus, FilterDataStatus, FilterTrailersStatus } from "../abi/status";

export class HttpContext {
  constructor(public id: u32, public root: RootContext) {}
  /**
   * Units of work each callback of this context counts towards the next collection
   * (collector.ts): one, for a context that may allocate in any callback; 0 for one that
   * counts what it allocates itself (noteWork), as the token limiter's stream does.
   */
  callbackUnits: u32 = 1;
  /**
   * Makes a deleted stream's context serve stream `id`: a subclass clears what it kept of
   * its last stream (and calls this). The registry never hands out a context twice at once.
   */
  reuse(id: u32): void { this.id = id; }
  onRequestHeaders(headerCount: u32, endOfStream: bool): i32 { return FilterHeadersStatus.Continue; }
  onRequestBody(bodySize: u32, endOfStream: bool): i32 { return FilterDataStatus.Continue; }
  onRequestTrailers(trailerCount: u32): i32 { return FilterTrailersStatus.Continue; }
  onResponseHeaders(headerCount: u32, endOfStream: bool): i32 { return FilterHeadersStatus.Continue; }
  onResponseBody(bodySize: u32, endOfStream: bool): i32 { return FilterDataStatus.Continue; }
  onResponseTrailers(trailerCount: u32): i32 { return FilterTrailersStatus.Continue; }
  /** The stream is complete (or reset); access logs may be written. */
  onLog(): void {}
  /** Returns true when the context has nothing pending. */
  onDone(): bool { return true; }
  onDelete(): void {}
}

// Spare stream contexts a root keeps for its next streams: enough for a worker's usual
// concurrency, so that a stream costs no allocation, without holding a burst's worth.
// @ts-ignore: decorator
@inline const MAX_SPARE_CONTEXTS: i32 = 64;

export class RootContext {
  constructor(public id: u32) {}
  private spares: Array<HttpContext> = new Array<HttpContext>();
  onVmStart(vmConfigurationSize: u32): bool { return true; }
  /** Reads the plugin configuration; false rejects it. */
  onConfigure(configurationSize: u32): bool { return true; }
  onTick(): void {}
  onQueueReady(token: u32): void {}
  onHttpCallResponse(token: u32, headerCount: u32, bodySize: u32, trailerCount: u32): void {}
  onGrpcReceiveInitialMetadata(token: u32, headerCount: u32): void {}
  onGrpcReceive(token: u32, messageSize: u32): void {}
  onGrpcTrailingMetadata(token: u32, trailerCount: u32): void {}
  onGrpcClose(token: u32, statusCode: u32): void {}
  newHttpContext(id: u32): HttpContext { return new HttpContext(id, this); }
  /** A deleted stream's context made ready for stream `id`, or null when none is spare. */
  takeSpareHttpContext(id: u32): HttpContext | null {
    const spares = this.spares;
    if (spares.length == 0) return null;
    const c = spares.pop();
    c.reuse(id);
    return c;
  }
  /** Keeps the context of a deleted stream for a later one (up to MAX_SPARE_CONTEXTS). */
  keepSpareHttpContext(c: HttpContext): void {
    if (this.spares.length < MAX_SPARE_CONTEXTS) this.spares.push(c);
  }
  onDone(): bool { return true; }
  onDelete(): void {}
}
