// The rate-limit service over the proxy's gRPC calls. Every call is made from the root
// context (the effective context is switched to it and back), so that it lives as long as
// the VM, not the stream: a report completes after its stream is gone, and an admission
// call is cancelled by the limiter itself when its stream goes. Answers arrive in the
// root context and are handed to the call's handler by token.
import { grpcCall, grpcCancel, getStatus } from "../abi/calls";
import { BorrowedBytes } from "../abi/buffers";
import { BufferType, WasmResult } from "../abi/status";
import { setEffectiveContext } from "../abi/stream";
import { nowMillis } from "../abi/time";
import { Header } from "../abi/headers";
import { ServiceCallHandler, ServiceFailure, ServiceMethod, ServiceStats, ServiceTransport, methodNameOf, serviceNameOf } from "../counters/service";
import { currentContextId } from "./registry";

/** gRPC DEADLINE_EXCEEDED. */
const GRPC_DEADLINE_EXCEEDED: u32 = 4;
const NO_METADATA = new Array<Header>(0);

export class GrpcServiceTransport extends ServiceTransport {
  private handlers: Map<u32, ServiceCallHandler> = new Map<u32, ServiceCallHandler>();
  private startedMs: Map<u32, i64> = new Map<u32, i64>();
  private answer: BorrowedBytes = new BorrowedBytes();

  constructor(readonly rootId: u32, readonly stats: ServiceStats) { super(); }

  /** Calls in flight (tests and the pending gauge). */
  get inFlight(): i32 { return this.handlers.size; }

  call(cluster: string, method: ServiceMethod, request: ArrayBuffer, timeoutMs: u32, fromRoot: bool, handler: ServiceCallHandler): u32 {
    const back = this.enterRoot();
    const r = grpcCall(cluster, serviceNameOf(method), methodNameOf(method), NO_METADATA, request, timeoutMs);
    this.leaveRoot(back);
    this.stats.call();
    if (r.status != WasmResult.Ok || r.token == 0) {
      this.stats.failure(ServiceFailure.Unavailable);
      return 0;
    }
    this.handlers.set(r.token, handler);
    this.startedMs.set(r.token, nowMillis());
    return r.token;
  }

  cancel(token: u32): void {
    if (!this.handlers.has(token)) return;
    this.forget(token);
    const back = this.enterRoot();
    grpcCancel(token);
    this.leaveRoot(back);
  }

  /** proxy_on_grpc_receive: the answer of a unary call. */
  onReceive(token: u32, size: u32): void {
    if (!this.handlers.has(token)) return;
    const handler = this.handlers.get(token);
    this.stats.latency(nowMillis() - this.startedMs.get(token));
    this.forget(token);
    const b = this.answer;
    if (size > 0 && !b.fetch(BufferType.GrpcReceiveBuffer, 0, size)) {
      this.stats.failure(ServiceFailure.BadAnswer);
      handler.onFailure(ServiceFailure.BadAnswer);
      return;
    }
    handler.onAnswer(b.ptr, b.size);
    b.release();
  }

  /** proxy_on_grpc_close: a call that failed, timed out or was refused. */
  onClose(token: u32, status: u32): void {
    if (!this.handlers.has(token)) return;
    const handler = this.handlers.get(token);
    this.forget(token);
    const s = getStatus();
    // Envoy's async client reports a timeout as DEADLINE_EXCEEDED, or as UNAVAILABLE with
    // the router's "upstream request timeout".
    const timeout = status == GRPC_DEADLINE_EXCEEDED || s.message.includes("timeout");
    const failure = timeout ? ServiceFailure.Timeout : ServiceFailure.Unavailable;
    this.stats.failure(failure);
    handler.onFailure(failure);
  }

  private forget(token: u32): void {
    this.handlers.delete(token);
    this.startedMs.delete(token);
  }

  /** Makes the root context effective; returns the context to go back to (0: none). */
  private enterRoot(): u32 {
    const back = currentContextId();
    if (back == this.rootId) return 0;
    setEffectiveContext(this.rootId);
    return back;
  }

  private leaveRoot(back: u32): void {
    if (back != 0) setEffectiveContext(back);
  }
}
