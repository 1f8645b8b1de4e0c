// What the steps of one stream share. `ActivePolicy` is installed whole by the root at
// configure time and never changed; a stream keeps the one it started under. `Exchange`
// is the state of one request that a limit applies to, built only for such requests:
// a request no limit applies to gets nothing but a look at the policy.
import { CompiledPolicy } from "../limits/policy";
import { Selection } from "../limits/selection";
import { Decision } from "../limits/decision";
import { Preset } from "../usage/presets";
import { Value } from "../cel/value";
import { BodyCapture } from "../usage/body_capture";
import { ResponseUsageReader } from "../usage/reader";
import { FilterMetrics, LimitMetrics } from "./metrics";
import { giveReader, giveSelection } from "./pools";
import { AlertNotifier } from "./alert_webhook";

/** A compiled policy with the metrics its streams report to. */
export class ActivePolicy {
  constructor(
    readonly policy: CompiledPolicy,
    readonly metrics: FilterMetrics,
    /** Per-limit metrics, indexed like `policy.limits` (no lookup by name per request). */
    readonly limitMetrics: Array<LimitMetrics>,
    /** Where the policy's limiter reports budget alerts. */
    readonly notifier: AlertNotifier,
  ) {}

  /** The metrics of the limit of spec `specIndex` of `selection` (a valid index: not checked). */
  metricsOfSpec(selection: Selection, specIndex: i32): LimitMetrics {
    return unchecked(this.limitMetrics[unchecked(selection.limitOfSpec[specIndex])]);
  }
}

/** Where a request stands: what the steps have done so far. */
export enum Phase {
  /** Request headers passed; the body is being buffered for admission. */
  ReadingBody = 0,
  /** The limiter is being asked, or will answer later. */
  Admitting = 1,
  /** Admitted (or let through): the response will be read and charged. */
  Admitted = 2,
  /** Answered locally, or charged: nothing more to do. */
  Done = 3,
}

/** One request some limit applies to. */
export class Exchange {
  /** Set by every step; the request-headers step runs first and always sets it. */
  phase: Phase = Phase.Admitting;
  /** The tokens admission assumed (the reservation in reserve mode). */
  estimate: i64 = 0;
  /**
   * The input part of `estimate`: the prompt's tokens as estimated from the request body
   * (its text, or its size when it was not read or is not JSON).
   */
  inputEstimate: i64 = 0;
  /** Request body bytes seen so far while admission waits for the body. */
  requestBodyBytes: i64 = 0;
  /** The request's content-length when admission waits for the body (-1: none). */
  declaredBodyBytes: i64 = -1;
  /** The values of the cost expression's `requestBodyJSON` pointers (policy.costRequestPointers), once the body was read. */
  costRequestValues: Array<Value> | null = null;
  /** The response body kept for the cost expression's `responseBodyJSON` (bounded); null when it uses none. */
  responseCapture: BodyCapture | null = null;
  decision: Decision | null = null;
  /**
   * The local limiter's check at the request headers, while admission waits for the body:
   * admission starts from the counters it found (null: none, or already used).
   */
  check: Decision | null = null;
  /** Tokens the settlement charged (-1 until settled). */
  charged: i64 = -1;
  /** The request body may be rewritten (stream_options); content-length was dropped. */
  mayRewrite: bool = false;
  /** Which usage fields the response carries, chosen once from the path. */
  preset: Preset;
  reader: ResponseUsageReader | null = null;
  responseStarted: bool = false;
  responseStatus: i32 = 0;
  /** The response body cannot be read (compressed). */
  unreadable: bool = false;
  /** A HEAD request: its response has no body, so it is charged nothing without usage. */
  head: bool = false;
  /** The stream's context id: to resume it when an admission answered later completes, and to make it current again after alerts are dispatched as the root. */
  streamId: u32 = 0;

  /**
   * Gives the selection and the reader back to their pools once the stream is over;
   * nothing reads them afterwards.
   */
  release(): void {
    const r = this.reader;
    if (r !== null) giveReader(r);
    this.reader = null;
    this.responseCapture = null;
    this.costRequestValues = null;
    this.check = null;
    giveSelection(this.selection);
  }

  constructor(
    readonly active: ActivePolicy,
    readonly selection: Selection,
    /** The request's `:path` ("" when absent). */
    readonly path: string,
  ) {
    this.preset = active.policy.presets.forPath(path);
  }
}
