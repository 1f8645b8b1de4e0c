// gRPC calls and streams owned by root contexts, as Envoy's Context::grpcCall / grpcStream
// and their callbacks (onGrpcReceiveWrapper, onGrpcCloseWrapper, metadata wrappers).
// Tokens: calls 5, 9, ...; streams 6, 10, ... (cpp-host kCalloutIncrement). A unary call's
// success calls only on_grpc_receive; failures and timeouts call on_grpc_close.
import { WasmResult } from "./abi.ts";
import { HeaderMap } from "./headers.ts";
import { BodyBuffer } from "./buffers.ts";
import { bodyBytes, fromByteString, type Pair } from "./pairs.ts";
import type { RootContext, PendingGrpcCall } from "./vm.ts";
import type { BodyInput, HeaderInput, GrpcCallOutcome, GrpcCallRecord, GrpcStreamRecord } from "./types.ts";
import { TIMEOUT_BODY } from "./calls.ts";

/** A unary gRPC call the filter made, as tests see it. */
class GrpcCall implements GrpcCallRecord {
  state: GrpcCallRecord["state"] = "pending";
  constructor(
    private readonly root: RootContext,
    readonly token: number,
    readonly vm: string,
    readonly cluster: string,
    readonly serviceName: string,
    readonly method: string,
    readonly initialMetadata: Array<[string, string]>,
    readonly message: Uint8Array,
    readonly timeoutMs: number,
  ) {}
  respond(outcome: GrpcCallOutcome): void {
    applyGrpcOutcome(this.root, this.token, outcome);
  }
}

/**
 * Parses `bytes` as a serialized envoy.config.core.v3.GrpcService the way protobuf would
 * accept it: valid wire format. Returns the envoy_grpc.cluster_name (field 1.1) if present.
 */
export function parseGrpcService(bytes: Uint8Array): { ok: boolean; cluster?: string; hasTarget: boolean } {
  const fields = parseWire(bytes);
  if (!fields) return { ok: false, hasTarget: false };
  const envoyGrpc = fields.find((f) => f.num === 1 && f.wire === 2);
  const googleGrpc = fields.find((f) => f.num === 2 && f.wire === 2);
  let cluster: string | undefined;
  if (envoyGrpc) {
    const inner = parseWire(envoyGrpc.bytes!);
    const c = inner?.find((f) => f.num === 1 && f.wire === 2);
    if (c) cluster = new TextDecoder().decode(c.bytes);
  }
  return { ok: true, cluster, hasTarget: cluster !== undefined || googleGrpc !== undefined };
}

function parseWire(b: Uint8Array): Array<{ num: number; wire: number; bytes?: Uint8Array }> | null {
  const out: Array<{ num: number; wire: number; bytes?: Uint8Array }> = [];
  let p = 0;
  const varint = (): number | null => {
    let r = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (p >= b.length) return null;
      const x = b[p++];
      if (shift < 49) r += (x & 0x7f) * 2 ** shift;
      if (!(x & 0x80)) return r;
    }
    return null;
  };
  while (p < b.length) {
    const key = varint();
    if (key === null) return null;
    const num = Math.floor(key / 8);
    const wire = key % 8;
    if (num === 0) return null;
    if (wire === 0) {
      if (varint() === null) return null;
      out.push({ num, wire });
    } else if (wire === 1 || wire === 5) {
      p += wire === 1 ? 8 : 4;
      if (p > b.length) return null;
      out.push({ num, wire });
    } else if (wire === 2) {
      const len = varint();
      if (len === null || p + len > b.length) return null;
      out.push({ num, wire, bytes: b.subarray(p, p + len) });
      p += len;
    } else {
      return null; // groups and invalid wire types
    }
  }
  return out;
}

/** Context::grpcCall. */
export function dispatchGrpcCall(root: RootContext, service: Uint8Array, serviceName: string, method: string, md: Pair[], request: Uint8Array, timeoutMs: number): { status: number; token: number } {
  const vm = root.vm;
  const core = vm.core;
  const parsed = parseGrpcService(service);
  let cluster: string;
  if (!parsed.ok) {
    cluster = new TextDecoder().decode(service);
    // Envoy keeps PARSE_FAILURE here for ABI 0.1.x callers (see the TODO in context.cc).
    if (!core.clusters.has(cluster)) return { status: WasmResult.ParseFailure, token: 0 };
  } else {
    if (!parsed.hasTarget) return { status: WasmResult.BadArgument, token: 0 };
    cluster = parsed.cluster ?? "";
  }
  const token = (vm.nextGrpcCall += 4);
  const sn = fromByteString(serviceName);
  const mn = fromByteString(method);
  const record = new GrpcCall(root, token, vm.name, cluster, sn, mn, HeaderMap.fromPairs(md).toPairs(), request.slice(), timeoutMs);
  if (core.keepRecords) core.grpcCalls.push(record);
  const remote = core.remotes.get(cluster);
  const outcome = remote ? { pending: true as const } : core.grpcHandlers.get(`${sn}/${mn}`)?.(record) ?? { pending: true };
  if ("sendFailure" in outcome || (parsed.ok && !core.clusters.has(cluster))) {
    record.state = "send-failure";
    return { status: WasmResult.InternalFailure, token: 0 };
  }
  const pending: PendingGrpcCall = { record, timers: [] };
  root.grpcCallRequests.set(token, pending);
  if (timeoutMs > 0) {
    pending.timers.push(core.scheduler.schedule(timeoutMs, () => {
      pending.abort?.();
      deliverGrpcClose(root, token, 14, TIMEOUT_BODY, "timeout");
    }));
  }
  if (remote) pending.abort = core.startRemote<GrpcCallOutcome>((deliver) => remote.grpcCall(record, deliver), (o) => applyGrpcOutcome(root, token, o));
  applyGrpcOutcome(root, token, outcome);
  return { status: WasmResult.Ok, token };
}

function applyGrpcOutcome(root: RootContext, token: number, outcome: GrpcCallOutcome): void {
  const pending = root.grpcCallRequests.get(token);
  if (!pending || "pending" in outcome || "sendFailure" in outcome) return;
  const sched = root.vm.core.scheduler;
  const delay = outcome.delayMs ?? 0;
  if ("message" in outcome && !("status" in outcome && (outcome as { status: number }).status !== 0)) {
    const msg = bodyBytes(outcome.message);
    pending.timers.push(sched.schedule(delay, () => deliverGrpcMessage(root, token, msg)));
  } else {
    const o = outcome as { status: number; statusMessage?: string };
    pending.timers.push(sched.schedule(delay, () => deliverGrpcClose(root, token, o.status, o.statusMessage ?? "", "failed")));
  }
}

function cleanupGrpc(root: RootContext, token: number): void {
  if ((token & 3) === 1) root.grpcCallRequests.delete(token);
  else if ((token & 3) === 2) {
    const s = root.grpcStreams.get(token);
    if (s && s.record.localClosed) root.grpcStreams.delete(token);
  }
}

/** Context::onGrpcReceiveWrapper. */
function deliverGrpcMessage(root: RootContext, token: number, message: Uint8Array): void {
  const vm = root.vm;
  if (root.deleted) return;
  const pending = root.grpcCallRequests.get(token);
  if ((token & 3) === 1) {
    if (!pending) return;
    for (const t of pending.timers) t.cancel();
    pending.record.state = "answered";
  } else if (!root.grpcStreams.has(token)) {
    return;
  }
  if (!vm.has("proxy_on_grpc_receive")) {
    cleanupGrpc(root, token);
    return;
  }
  root.grpcReceiveBuffer = new BodyBuffer(message);
  vm.addAfterCall(() => {
    root.grpcReceiveBuffer = null;
    cleanupGrpc(root, token);
  });
  vm.deferred(() => {
    if (!vm.failed) vm.call(root, "proxy_on_grpc_receive", root.id, token, message.length);
  });
}

/** Context::onGrpcCloseWrapper. */
function deliverGrpcClose(root: RootContext, token: number, status: number, message: string, state: "failed" | "timeout" | "closed"): void {
  const vm = root.vm;
  if (root.deleted) return;
  if ((token & 3) === 1) {
    const pending = root.grpcCallRequests.get(token);
    if (!pending) return;
    for (const t of pending.timers) t.cancel();
    pending.record.state = state === "closed" ? "failed" : state;
  } else {
    const s = root.grpcStreams.get(token);
    if (!s) return;
    s.record.remoteClosed = true;
  }
  if (!vm.has("proxy_on_grpc_close")) {
    cleanupGrpc(root, token);
    return;
  }
  root.statusCode = status >>> 0;
  root.statusMessage = message;
  vm.addAfterCall(() => {
    root.statusMessage = "";
    cleanupGrpc(root, token);
  });
  vm.deferred(() => {
    if (!vm.failed) vm.call(root, "proxy_on_grpc_close", root.id, token, status >>> 0);
  });
}

/** A gRPC stream the filter opened, as tests see it: what it sent, and verbs to answer. */
class GrpcStream implements GrpcStreamRecord {
  readonly sent: Uint8Array[] = [];
  sentEnd = false;
  localClosed = false;
  remoteClosed = false;
  cancelled = false;
  constructor(
    private readonly root: RootContext,
    readonly token: number,
    readonly vm: string,
    readonly cluster: string,
    readonly serviceName: string,
    readonly method: string,
    readonly initialMetadata: Array<[string, string]>,
  ) {}
  private later(delayMs: number | undefined, f: () => void): void {
    this.root.vm.core.scheduler.schedule(delayMs ?? 0, f);
  }
  /** Delivers initial metadata (on_grpc_receive_initial_metadata). */
  sendInitialMetadata(md: HeaderInput, delayMs?: number): void {
    this.later(delayMs, () => deliverGrpcMetadata(this.root, this.token, HeaderMap.from(md), true));
  }
  /** Delivers a message (on_grpc_receive). */
  sendMessage(message: BodyInput, delayMs?: number): void {
    const m = bodyBytes(message);
    this.later(delayMs, () => deliverGrpcMessage(this.root, this.token, m));
  }
  /** Delivers trailing metadata (on_grpc_receive_trailing_metadata). */
  sendTrailingMetadata(md: HeaderInput, delayMs?: number): void {
    this.later(delayMs, () => deliverGrpcMetadata(this.root, this.token, HeaderMap.from(md), false));
  }
  /** Closes from the server side (on_grpc_close with `status`). */
  close(status: number, message = "", delayMs?: number): void {
    this.later(delayMs, () => deliverGrpcClose(this.root, this.token, status, message, "closed"));
  }
}

function deliverGrpcMetadata(root: RootContext, token: number, md: HeaderMap, initial: boolean): void {
  const vm = root.vm;
  if (root.deleted || !root.grpcStreams.has(token)) return;
  const fn = initial ? "proxy_on_grpc_receive_initial_metadata" : "proxy_on_grpc_receive_trailing_metadata";
  if (initial) root.grpcInitialMetadata = md;
  else root.grpcTrailingMetadata = md;
  if (!vm.failed && vm.has(fn)) vm.deferred(() => vm.call(root, fn, root.id, token, md.size));
  if (initial) root.grpcInitialMetadata = null;
  else root.grpcTrailingMetadata = null;
}

/** Context::grpcStream. */
export function dispatchGrpcStream(root: RootContext, service: Uint8Array, serviceName: string, method: string, md: Pair[]): { status: number; token: number } {
  const vm = root.vm;
  const core = vm.core;
  const parsed = parseGrpcService(service);
  let cluster: string;
  if (!parsed.ok) {
    cluster = new TextDecoder().decode(service);
    if (!core.clusters.has(cluster)) return { status: WasmResult.ParseFailure, token: 0 };
  } else {
    if (!parsed.hasTarget) return { status: WasmResult.BadArgument, token: 0 };
    cluster = parsed.cluster ?? "";
    if (!core.clusters.has(cluster)) return { status: WasmResult.InternalFailure, token: 0 };
  }
  const token = (vm.nextGrpcStream += 4);
  const sn = fromByteString(serviceName);
  const mn = fromByteString(method);
  const record = new GrpcStream(root, token, vm.name, cluster, sn, mn, HeaderMap.fromPairs(md).toPairs());
  if (core.keepRecords) core.grpcStreams.push(record);
  root.grpcStreams.set(token, { record });
  core.grpcStreamHandlers.get(`${sn}/${mn}`)?.(record);
  return { status: WasmResult.Ok, token };
}

/** Context::grpcSend. */
export function grpcSend(root: RootContext, token: number, message: Uint8Array, endStream: boolean): number {
  if ((token & 3) !== 2) return WasmResult.BadArgument;
  const s = root.grpcStreams.get(token);
  if (!s) return WasmResult.NotFound;
  s.record.sent.push(message.slice());
  if (endStream) s.record.sentEnd = true;
  return WasmResult.Ok;
}

/** Context::grpcClose (cancel = false) / grpcCancel (cancel = true). */
export function grpcCloseOrCancel(root: RootContext, token: number, cancel: boolean): number {
  if ((token & 3) === 1) {
    const p = root.grpcCallRequests.get(token);
    if (!p) return WasmResult.NotFound;
    for (const t of p.timers) t.cancel();
    p.abort?.();
    p.record.state = "cancelled";
    root.grpcCallRequests.delete(token);
    return WasmResult.Ok;
  }
  if ((token & 3) === 2) {
    const s = root.grpcStreams.get(token);
    if (!s) return WasmResult.NotFound;
    if (cancel) {
      s.record.cancelled = true;
      root.grpcStreams.delete(token);
    } else if (s.record.remoteClosed) {
      s.record.localClosed = true;
      root.grpcStreams.delete(token);
    } else {
      s.record.localClosed = true;
    }
    return WasmResult.Ok;
  }
  return WasmResult.BadArgument;
}

