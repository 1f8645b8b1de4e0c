// HTTP calls owned by root contexts, as Envoy's Context::httpCall and its callbacks
// (onHttpCallSuccess/Failure). Tokens: 4, 8, ... (cpp-host kCalloutIncrement; gRPC calls
// and streams are in grpc.ts). Responses always arrive later on the event loop; a test
// handler decides them (answer, delay, fail, reset) or answers by hand via the record.
import { WasmResult } from "./abi.ts";
import { HeaderMap } from "./headers.ts";
import { bodyBytes, fromByteString, type Pair } from "./pairs.ts";
import type { RootContext, CallResponse, PendingHttpCall } from "./vm.ts";
import type { HttpCallOutcome, HttpCallRecord } from "./types.ts";
import { connectFailureBody } from "./remote.ts";

/** Envoy's router reply when a call times out. */
export const TIMEOUT_BODY = "upstream request timeout";
const CONNECT_FAILURE_BODY = connectFailureBody("connection failure");

function routerLocalReply(status: number, body: string): CallResponse {
  const h = HeaderMap.from({ ":status": String(status), "content-length": String(body.length), "content-type": "text/plain" });
  return { headers: h, body: bodyBytes(body), trailers: null };
}

/** An HTTP call the filter made, as tests see it. */
class HttpCall implements HttpCallRecord {
  state: HttpCallRecord["state"] = "pending";
  /** The response delivered to the filter, once delivered. */
  response?: { status: number; headers: Array<[string, string]>; body: string };
  constructor(
    private readonly root: RootContext,
    readonly token: number,
    readonly vm: string,
    readonly cluster: string,
    readonly headers: Array<[string, string]>,
    readonly body: Uint8Array,
    readonly trailers: Array<[string, string]>,
    readonly timeoutMs: number,
  ) {}
  get bodyText(): string {
    return new TextDecoder().decode(this.body);
  }
  /** First value of a request header. */
  header(name: string): string | undefined {
    return this.headers.find(([k]) => k === name.toLowerCase())?.[1];
  }
  /** Answers the call (scheduled after `delayMs`, default on the next loop turn). */
  respond(outcome: HttpCallOutcome): void {
    applyHttpOutcome(this.root, this.token, outcome);
  }
}

/** Context::httpCall. */
export function dispatchHttpCall(root: RootContext, cluster: string, headerPairs: Pair[], body: Uint8Array, trailerPairs: Pair[], timeoutMs: number): { status: number; token: number } {
  const vm = root.vm;
  const core = vm.core;
  if ((timeoutMs | 0) < 0) return { status: WasmResult.BadArgument, token: 0 };
  const clusterName = fromByteString(cluster);
  if (!core.clusters.has(clusterName)) return { status: WasmResult.BadArgument, token: 0 };
  const headers = HeaderMap.fromPairs(headerPairs);
  if (headers.get(":path") === undefined || headers.get(":method") === undefined || headers.get(":authority") === undefined) {
    return { status: WasmResult.BadArgument, token: 0 };
  }
  if (body.length) headers.set("content-length", String(body.length));
  const token = (vm.nextHttpCall += 4);
  const trailers = HeaderMap.fromPairs(trailerPairs);
  const record = new HttpCall(root, token, vm.name, clusterName, headers.toPairs(), body.slice(), trailers.toPairs(), timeoutMs);
  if (core.keepRecords) core.httpCalls.push(record);
  const remote = core.remotes.get(clusterName);
  const outcome = remote ? { pending: true as const } : core.httpHandlers.get(clusterName)?.(record) ?? { pending: true };
  if ("sendFailure" in outcome) {
    record.state = "send-failure";
    return { status: WasmResult.InternalFailure, token: 0 };
  }
  const pending: PendingHttpCall = { record, timers: [] };
  root.httpRequests.set(token, pending);
  if (timeoutMs > 0) {
    pending.timers.push(core.scheduler.schedule(timeoutMs, () => {
      pending.abort?.();
      deliverHttpResponse(root, token, routerLocalReply(504, TIMEOUT_BODY), "timeout");
    }));
  }
  if (remote) pending.abort = core.startRemote<HttpCallOutcome>((deliver) => remote.http(record, deliver), (o) => applyHttpOutcome(root, token, o));
  applyHttpOutcome(root, token, outcome);
  return { status: WasmResult.Ok, token };
}

function applyHttpOutcome(root: RootContext, token: number, outcome: HttpCallOutcome): void {
  const pending = root.httpRequests.get(token);
  if (!pending || "pending" in outcome || "sendFailure" in outcome) return;
  const delay = outcome.delayMs ?? 0;
  const sched = root.vm.core.scheduler;
  if ("reset" in outcome) {
    pending.timers.push(sched.schedule(delay, () => deliverHttpReset(root, token)));
  } else if ("connectFailure" in outcome) {
    pending.timers.push(sched.schedule(delay, () => deliverHttpResponse(root, token, routerLocalReply(503, CONNECT_FAILURE_BODY), "answered")));
  } else {
    const headers = HeaderMap.from(outcome.headers);
    if (headers.get(":status") === undefined) headers.add(":status", String(outcome.status ?? 200));
    const resp: CallResponse = { headers, body: bodyBytes(outcome.body), trailers: outcome.trailers ? HeaderMap.from(outcome.trailers) : null };
    pending.timers.push(sched.schedule(delay, () => deliverHttpResponse(root, token, resp, "answered")));
  }
}

/** Context::onHttpCallSuccess. */
function deliverHttpResponse(root: RootContext, token: number, resp: CallResponse, state: "answered" | "timeout"): void {
  const pending = root.httpRequests.get(token);
  if (!pending || root.deleted) return;
  for (const t of pending.timers) t.cancel();
  pending.record.state = state;
  pending.record.response = {
    status: Number(fromByteString(resp.headers.get(":status") ?? "0")),
    headers: resp.headers.toPairs(),
    body: new TextDecoder().decode(resp.body),
  };
  const vm = root.vm;
  root.httpCallResponse = resp;
  vm.addAfterCall(() => {
    root.httpCallResponse = null;
    root.httpRequests.delete(token);
  });
  vm.deferred(() => {
    if (!vm.failed && vm.has("proxy_on_http_call_response")) {
      vm.call(root, "proxy_on_http_call_response", root.id, token, resp.headers.size, resp.body.length, resp.trailers?.size ?? 0);
    }
  });
}

/** Context::onHttpCallFailure (reset). */
function deliverHttpReset(root: RootContext, token: number): void {
  const pending = root.httpRequests.get(token);
  if (!pending || root.deleted) return;
  for (const t of pending.timers) t.cancel();
  pending.record.state = "reset";
  const vm = root.vm;
  root.statusCode = WasmResult.BrokenConnection;
  root.statusMessage = "reset";
  vm.addAfterCall(() => {
    root.statusMessage = "";
    root.httpRequests.delete(token);
  });
  vm.deferred(() => {
    if (!vm.failed && vm.has("proxy_on_http_call_response")) vm.call(root, "proxy_on_http_call_response", root.id, token, 0, 0, 0);
  });
}
