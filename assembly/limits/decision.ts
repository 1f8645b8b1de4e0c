// The vocabulary between the filter and a limiter: what to count (CounterSpec), what was
// decided (Decision), and what must be settled when the response ends (CounterHandle).
import { RateAlerts } from "./alerts";

/**
 * How a request is admitted ("admission.mode" in the plugin configuration, which reads it
 * by position in ADMISSION_MODE_NAMES). See README.md for the overshoot each mode allows.
 */
export enum AdmissionMode {
  /** Admit while `used + reserved < limit` on every counter, and reserve the request's estimate until it settles. */
  Reserve = 0,
  /** The same test, reserving nothing (Kuadrant's behaviour). */
  Check = 1,
}

/**
 * Default reservation TTL (`admission.reservationTtl`): ten minutes, the default request
 * timeout of the official OpenAI and Anthropic SDKs, so no request they make outlives its
 * reservation. A reservation expires one to two TTLs after it was taken.
 */
export const DEFAULT_RESERVATION_TTL_MS: i64 = 600_000;

/** The configuration's names of AdmissionMode, indexed by value. */
export const ADMISSION_MODE_NAMES: Array<string> = ["reserve", "check"];

/** Outcome of a limiter call apart from admit/reject. Non-Ok maps to the failure mode. */
export namespace LimitStatus {
  export const Ok: i32 = 0;
  /** Compare-and-swap lost to other writers more than `maxRetries` times in a row. */
  export const Conflict: i32 = 1;
  /** The store answered something other than a value, NotFound or CasMismatch. */
  export const StoreError: i32 = 2;
  /** Asynchronous backends (rate-limit service): the answer comes later. */
  export const Pending: i32 = 3;
  /**
   * The rate-limit service gave no usable answer; `Decision.error` names the cause
   * (unavailable, timeout, bad_answer) and `counters.service.failureMode` applies.
   */
  export const ServiceError: i32 = 4;
}

/** One counter of one rate of one limit that applies to the request. */
export class CounterSpec {
  /**
   * `values` are the evaluated `counters` expressions in order (may be empty).
   * `estimate` (>= 0) overrides, for this counter only, the estimate given to `admit`
   * (for limits that count a different kind of token); -1 uses the admit argument.
   */
  constructor(
    public limitName: string,
    public rateIndex: i32,
    public limit: i64,
    public windowMs: i64,
    public values: string[],
    public estimate: i64 = -1,
  ) {}
  /** Thresholds whose crossing is reported when a charge lands; null: none. */
  alerts: RateAlerts | null = null;
  /** A soft limit's counter: counted and reported, never refuses nor governs the headers. */
  soft: bool = false;
}

// A handle's values until its spec's are copied in: shared by every handle (one array
// fewer per counter and request), so a handle's values are replaced, never changed in place.
const NO_COUNTER_VALUES: string[] = [];

/** What `settle`/`release` need to find a counter again and undo its reservation. */
export class CounterHandle {
  /** Start of the window the reservation was taken in (or the counter was read in). */
  windowStart: i64 = 0;
  /** Tokens this request holds reserved on the counter (0 in check mode or after rollback). */
  reserved: i64 = 0;
  /** Start of the reservation period the reservation was taken in (it expires with it). */
  reservedSince: i64 = 0;
  /** Set once settled or released; later calls skip the handle. */
  done: bool = false;
  /** The counter's `used` after this request's charge landed (-1 until settled). */
  used: i64 = -1;
  /** The rate's limit, values and alerts, copied from the spec. */
  limit: i64 = 0;
  values: string[] = NO_COUNTER_VALUES;
  alerts: RateAlerts | null = null;
  /**
   * The counter's identity key (limits/keys.ts). `key` is where it lives: its slot, found
   * by the limiter (limits/slots.ts), or the rate's overflow counter (then `identity` is
   * that key too).
   */
  identity: ArrayBuffer;
  /** Whether `key` is the counter's slot (false: the limiter looks for it). */
  located: bool = false;
  /** Whether the counter found no slot: `key` is its rate's overflow counter for good. */
  overflowed: bool = false;

  constructor(
    public key: ArrayBuffer,
    public limitName: string,
    public rateIndex: i32,
    public windowMs: i64,
  ) {
    this.identity = key;
  }
}

/** Answer of `Limiter.admit`. */
export class Decision {
  /** True when the request may proceed. False when limited or when `status` is not Ok. */
  admitted: bool = true;
  /** LimitStatus; when not Ok, `error` says why and the caller applies its failure mode. */
  status: i32 = LimitStatus.Ok;
  error: string = "";
  /**
   * Whether the fields below describe a counter. False when no counter applied or when
   * `status` is not Ok: then no rate-limit headers should be sent.
   */
  hasCounter: bool = false;
  /**
   * The counter the client should see: when rejected, the exhausted counter whose window
   * ends last (retrying earlier would fail again); when admitted, the one with the least
   * remaining after this request's reservation (ties: the later reset).
   */
  limitName: string = "";
  rateIndex: i32 = -1;
  /** Index into the specs passed to `admit`. */
  counterIndex: i32 = -1;
  limit: i64 = 0;
  /** `limit - used - reserved` after this request's reservation, never below 0. */
  remaining: i64 = 0;
  /** Milliseconds until that counter's window ends (>= 0). */
  resetMs: i64 = 0;
  /** `resetMs` in whole seconds rounded up; at least 1 when rejected. */
  retryAfterSeconds: i64 = 0;
  /** One per spec, in spec order; pass them to `settle` or `release` when the response ends. */
  handles: CounterHandle[] = [];
  /** Set while `status` is Pending: register a waiter on it to learn the answer. */
  pending: PendingDecision | null = null;
}

/** Receives a pending decision's answer, once, from a later callback. */
export abstract class DecisionWaiter {
  abstract complete(d: Decision): void;
}

/** A decision still being made (LimitStatus.Pending). */
export abstract class PendingDecision {
  waiter: DecisionWaiter | null = null;
}
