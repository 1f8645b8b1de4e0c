// The two kinds of context the proxy creates: one root context per plugin (configuration,
// timers, outbound calls) and one HTTP context per stream. Filters extend these; every
// callback has a safe default so a subclass overrides only what it uses.
import { FilterHeadersStatus, FilterDataStatus, FilterTrailersStatus } from "../abi/status";

export class HttpContext {
  constructor(public id: u32, public root: RootContext) {}
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

export class RootContext {
  constructor(public id: u32) {}
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
  onDone(): bool { return true; }
  onDelete(): void {}
}
