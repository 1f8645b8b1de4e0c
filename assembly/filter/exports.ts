// The functions the proxy calls (ABI 0.2.1), dispatched to contexts. A callback for a
// context id we do not know (possible after a failed creation) does nothing and
// returns Continue rather than trapping.
// The abort handler is imported for its side effect: `--use abort=abort_proc_exit` needs it.
import "../abi/abort";
import { createContext, rootOf, streamOf, deleteContext } from "./registry";
import { hostMalloc } from "../abi/memory";
import { refreshLogLevel } from "../abi/log";

export function proxy_abi_version_0_2_1(): void {}

/** Allocation entry for the host; the pointer is freed by the wrapper that reads it. */
export function malloc(size: usize): usize { return hostMalloc(size); }
export function proxy_on_memory_allocate(size: usize): usize { return hostMalloc(size); }

export function proxy_on_context_create(id: u32, rootId: u32): void { createContext(id, rootId); }

export function proxy_on_vm_start(rootId: u32, size: u32): u32 {
  refreshLogLevel();
  const root = rootOf(rootId);
  return root !== null && root.onVmStart(size) ? 1 : 0;
}

export function proxy_on_configure(rootId: u32, size: u32): u32 {
  refreshLogLevel();
  const root = rootOf(rootId);
  return root !== null && root.onConfigure(size) ? 1 : 0;
}

export function proxy_on_tick(rootId: u32): void {
  const root = rootOf(rootId);
  if (root !== null) root.onTick();
}

export function proxy_on_queue_ready(rootId: u32, token: u32): void {
  const root = rootOf(rootId);
  if (root !== null) root.onQueueReady(token);
}

export function proxy_on_request_headers(id: u32, headers: u32, endOfStream: u32): i32 {
  const s = streamOf(id);
  return s === null ? 0 : s.onRequestHeaders(headers, endOfStream != 0);
}
export function proxy_on_request_body(id: u32, size: u32, endOfStream: u32): i32 {
  const s = streamOf(id);
  return s === null ? 0 : s.onRequestBody(size, endOfStream != 0);
}
export function proxy_on_request_trailers(id: u32, trailers: u32): i32 {
  const s = streamOf(id);
  return s === null ? 0 : s.onRequestTrailers(trailers);
}
export function proxy_on_response_headers(id: u32, headers: u32, endOfStream: u32): i32 {
  const s = streamOf(id);
  return s === null ? 0 : s.onResponseHeaders(headers, endOfStream != 0);
}
export function proxy_on_response_body(id: u32, size: u32, endOfStream: u32): i32 {
  const s = streamOf(id);
  return s === null ? 0 : s.onResponseBody(size, endOfStream != 0);
}
export function proxy_on_response_trailers(id: u32, trailers: u32): i32 {
  const s = streamOf(id);
  return s === null ? 0 : s.onResponseTrailers(trailers);
}

export function proxy_on_http_call_response(rootId: u32, token: u32, headers: u32, bodySize: u32, trailers: u32): void {
  const root = rootOf(rootId);
  if (root !== null) root.onHttpCallResponse(token, headers, bodySize, trailers);
}
export function proxy_on_grpc_receive_initial_metadata(rootId: u32, token: u32, headers: u32): void {
  const root = rootOf(rootId);
  if (root !== null) root.onGrpcReceiveInitialMetadata(token, headers);
}
export function proxy_on_grpc_receive(rootId: u32, token: u32, size: u32): void {
  const root = rootOf(rootId);
  if (root !== null) root.onGrpcReceive(token, size);
}
export function proxy_on_grpc_receive_trailing_metadata(rootId: u32, token: u32, trailers: u32): void {
  const root = rootOf(rootId);
  if (root !== null) root.onGrpcTrailingMetadata(token, trailers);
}
export function proxy_on_grpc_close(rootId: u32, token: u32, status: u32): void {
  const root = rootOf(rootId);
  if (root !== null) root.onGrpcClose(token, status);
}

export function proxy_on_log(id: u32): void {
  const s = streamOf(id);
  if (s !== null) s.onLog();
}

export function proxy_on_done(id: u32): u32 {
  const s = streamOf(id);
  if (s !== null) return s.onDone() ? 1 : 0;
  const root = rootOf(id);
  return root === null || root.onDone() ? 1 : 0;
}

export function proxy_on_delete(id: u32): void { deleteContext(id); }
