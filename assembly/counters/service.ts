// The narrow interface between a service limiter and the proxy's gRPC calls, so that the
// limiter is testable without a host: a transport starts unary calls and delivers each
// answer (or failure) to the handler given with it, later, from the root context.

/** Why a call to the rate-limit service gave no usable answer. */
export enum ServiceFailure {
  /** Not sent, refused, reset, or closed with an error status. */
  Unavailable = 0,
  /** No answer within `counters.service.timeout`. */
  Timeout = 1,
  /** An answer that does not decode, or does not fit the request. */
  BadAnswer = 2,
}
export const SERVICE_FAILURE_COUNT: i32 = 3;

/** The cause as written in metrics and 503 bodies: unavailable, timeout, bad_answer. */
export function serviceFailureName(f: ServiceFailure): string {
  switch (f) {
    case ServiceFailure.Timeout: return "timeout";
    case ServiceFailure.BadAnswer: return "bad_answer";
    default: return "unavailable";
  }
}

/** The gRPC methods the limiters call. */
export enum ServiceMethod {
  /** envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit */
  ShouldRateLimit = 0,
  /** kuadrant.service.ratelimit.v1.RateLimitService/CheckRateLimit */
  CheckRateLimit = 1,
  /** kuadrant.service.ratelimit.v1.RateLimitService/Report */
  Report = 2,
}

export const ENVOY_RLS_SERVICE = "envoy.service.ratelimit.v3.RateLimitService";
export const KUADRANT_RLS_SERVICE = "kuadrant.service.ratelimit.v1.RateLimitService";

export function serviceNameOf(m: ServiceMethod): string {
  return m == ServiceMethod.ShouldRateLimit ? ENVOY_RLS_SERVICE : KUADRANT_RLS_SERVICE;
}

export function methodNameOf(m: ServiceMethod): string {
  switch (m) {
    case ServiceMethod.CheckRateLimit: return "CheckRateLimit";
    case ServiceMethod.Report: return "Report";
    default: return "ShouldRateLimit";
  }
}

/** Receives the outcome of one call: exactly one of its methods is called, at most once. */
export abstract class ServiceCallHandler {
  /** The serialized answer: `len` bytes at `ptr`, valid only during the call. */
  abstract onAnswer(ptr: usize, len: usize): void;
  abstract onFailure(failure: ServiceFailure): void;
}

/** Starts unary gRPC calls to the rate-limit service. */
export abstract class ServiceTransport {
  /**
   * Starts `method` with `request` (serialized) on Envoy cluster `cluster`. `fromRoot`: the call must outlive the
   * current stream (reports). Returns a token (> 0), or 0 when the call could not start:
   * then the handler is never called.
   */
  abstract call(cluster: string, method: ServiceMethod, request: ArrayBuffer, timeoutMs: u32, fromRoot: bool, handler: ServiceCallHandler): u32;

  /** Cancels call `token`; its handler is never called afterwards. */
  abstract cancel(token: u32): void;
}

/**
 * What the service limiters meet; the filter's subclass exports each as a metric, tests
 * read the totals.
 */
export class ServiceStats {
  calls: i64 = 0;
  failures: StaticArray<i64> = new StaticArray<i64>(SERVICE_FAILURE_COUNT);
  reportsSent: i64 = 0;
  reportsRetried: i64 = 0;
  reportsLost: i64 = 0;
  reportsPending: i64 = 0;
  failOpen: i64 = 0;
  failClosed: i64 = 0;
  cacheHits: i64 = 0;
  cacheMisses: i64 = 0;

  call(): void { this.calls++; }
  failure(f: ServiceFailure): void {
    const i = <i32>f;
    if (i >= 0 && i < SERVICE_FAILURE_COUNT) unchecked(this.failures[i]++);
  }
  /** How long an answered call took, in ms. */
  latency(ms: i64): void {}
  reportSent(): void { this.reportsSent++; }
  reportRetried(): void { this.reportsRetried++; }
  reportLost(): void { this.reportsLost++; }
  pending(n: i64): void { this.reportsPending = n; }
  /** The failure mode let a request through (`allow`) or denied it (`deny`). */
  failureOutcome(allowed: bool): void { if (allowed) this.failOpen++; else this.failClosed++; }
  cacheHit(): void { this.cacheHits++; }
  cacheMiss(): void { this.cacheMisses++; }
}
