// The functions the proxy calls (ABI 0.2.1), dispatched to contexts. A callback for a
// context id we do not know (possible after a failed creation) does nothing and
// returns Continue rather than trapping. Every callback passes through the collector's
// safe point (collector.ts): root callbacks count as work, stream callbacks as their
// context says (registry.ts streamOf). The allocator entries do not pass through it,
// they are unmanaged memory.
// The abort handler is imported for its side effect: `--use abort=abort_proc_exit` needs it.
import "../abi/abort";
import { createContext, rootOf, streamOf, deleteContext } from "./registry";
import { hostMalloc } from "../abi/memory";
import { refreshLogLevel } from "../abi/log";
import { enterCallback, enterStreamCallback, leaveCallback } from "./collector";

export function proxy_abi_version_0_2_1(): void {}

/** Allocation entry for the host; the pointer is freed by the wrapper that reads it. */
export function malloc(size: usize): usize { return hostMalloc(size); }
export function proxy_on_memory_allocate(size: usize): usize { return hostMalloc(size); }

export function proxy_on_context_create(id: u32, rootId: u32): void {
  enterStreamCallback();
  createContext(id, rootId);
  leaveCallback();
}

export function proxy_on_vm_start(rootId: u32, size: u32): u32 {
  enterCallback();
  refreshLogLevel();
  const root = rootOf(rootId);
  const result: u32 = root !== null && root.onVmStart(size) ? 1 : 0;
  leaveCallback();
  return result;
}

export function proxy_on_configure(rootId: u32, size: u32): u32 {
  enterCallback();
  refreshLogLevel();
  const root = rootOf(rootId);
  const result: u32 = root !== null && root.onConfigure(size) ? 1 : 0;
  leaveCallback();
  return result;
}

export function proxy_on_tick(rootId: u32): void {
  enterCallback();
  const root = rootOf(rootId);
  if (root !== null) root.onTick();
  leaveCallback();
}

export function proxy_on_queue_ready(rootId: u32, token: u32): void {
  enterCallback();
  const root = rootOf(rootId);
  if (root !== null) root.onQueueReady(token);
  leaveCallback();
}

export function proxy_on_request_headers(id: u32, headers: u32, endOfStream: u32): i32 {
  enterStreamCallback();
  const s = streamOf(id);
  const result: i32 = s === null ? 0 : s.onRequestHeaders(headers, endOfStream != 0);
  leaveCallback();
  return result;
}
export function proxy_on_request_body(id: u32, size: u32, endOfStream: u32): i32 {
  enterStreamCallback();
  const s = streamOf(id);
  const result: i32 = s === null ? 0 : s.onRequestBody(size, endOfStream != 0);
  leaveCallback();
  return result;
}
export function proxy_on_request_trailers(id: u32, trailers: u32): i32 {
  enterStreamCallback();
  const s = streamOf(id);
  const result: i32 = s === null ? 0 : s.onRequestTrailers(trailers);
  leaveCallback();
  return result;
}
export function proxy_on_response_headers(id: u32, headers: u32, endOfStream: u32): i32 {
  enterStreamCallback();
  const s = streamOf(id);
  const result: i32 = s === null ? 0 : s.onResponseHeaders(headers, endOfStream != 0);
  leaveCallback();
  return result;
}
export function proxy_on_response_body(id: u32, size: u32, endOfStream: u32): i32 {
  enterStreamCallback();
  const s = streamOf(id);
  const result: i32 = s === null ? 0 : s.onResponseBody(size, endOfStream != 0);
  leaveCallback();
  return result;
}
export function proxy_on_response_trailers(id: u32, trailers: u32): i32 {
  enterStreamCallback();
  const s = streamOf(id);
  const result: i32 = s === null ? 0 : s.onResponseTrailers(trailers);
  leaveCallback();
  return result;
}

export function proxy_on_http_call_response(rootId: u32, token: u32, headers: u32, bodySize: u32, trailers: u32): void {
  enterCallback();
  const root = rootOf(rootId);
  if (root !== null) root.onHttpCallResponse(token, headers, bodySize, trailers);
  leaveCallback();
}
export function proxy_on_grpc_receive_initial_metadata(rootId: u32, token: u32, headers: u32): void {
  enterCallback();
  const root = rootOf(rootId);
  if (root !== null) root.onGrpcReceiveInitialMetadata(token, headers);
  leaveCallback();
}
export function proxy_on_grpc_receive(rootId: u32, token: u32, size: u32): void {
  enterCallback();
  const root = rootOf(rootId);
  if (root !== null) root.onGrpcReceive(token, size);
  leaveCallback();
}
export function proxy_on_grpc_receive_trailing_metadata(rootId: u32, token: u32, trailers: u32): void {
  enterCallback();
  const root = rootOf(rootId);
  if (root !== null) root.onGrpcTrailingMetadata(token, trailers);
  leaveCallback();
}
export function proxy_on_grpc_close(rootId: u32, token: u32, status: u32): void {
  enterCallback();
  const root = rootOf(rootId);
  if (root !== null) root.onGrpcClose(token, status);
  leaveCallback();
}

export function proxy_on_log(id: u32): void {
  enterStreamCallback();
  const s = streamOf(id);
  if (s !== null) s.onLog();
  leaveCallback();
}

export function proxy_on_done(id: u32): u32 {
  enterStreamCallback();
  const s = streamOf(id);
  let result: u32;
  if (s !== null) result = s.onDone() ? 1 : 0;
  else {
    const root = rootOf(id);
    result = root === null || root.onDone() ? 1 : 0;
  }
  leaveCallback();
  return result;
}

export function proxy_on_delete(id: u32): void {
  enterStreamCallback();
  deleteContext(id);
  leaveCallback();
}
