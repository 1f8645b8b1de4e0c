// Outbound calls from the root context: HTTP and gRPC. The SDK declared
// `proxy_grpc_call`/`proxy_grpc_stream` with the ABI 0.1 arity (10 and 7 parameters);
// ABI 0.2.x adds initial metadata, giving 12 and 9.
import { proxy_http_call, proxy_grpc_call, proxy_grpc_cancel, proxy_get_status, proxy_set_effective_context } from "./imports";
import { WasmResult } from "./status";
import { Header, serializePairs } from "./headers";
import { clearResult, resultPtrSlot, resultSizeSlot, takeResult, u32Slot } from "./memory";

/** Outcome of starting a call: `status` Ok and a `token`, or the host's refusal. */
export class CallStart {
  status: i32 = WasmResult.Ok;
  token: u32 = 0;
}

/** Dispatches an HTTP call to `cluster`; headers must include :method, :path, :authority. */
export function httpCall(cluster: string, headers: Header[], body: ArrayBuffer, trailers: Header[], timeoutMs: u32): CallStart {
  const c = String.UTF8.encode(cluster);
  const h = serializePairs(headers);
  const t = serializePairs(trailers);
  const out = new CallStart();
  store<u32>(u32Slot(), 0);
  out.status = proxy_http_call(changetype<usize>(c), <usize>c.byteLength, changetype<usize>(h), <usize>h.byteLength,
    changetype<usize>(body), <usize>body.byteLength, changetype<usize>(t), <usize>t.byteLength, timeoutMs, u32Slot());
  out.token = load<u32>(u32Slot());
  return out;
}

/**
 * Dispatches a unary gRPC call. `service` is the cluster name (or a serialized
 * GrpcService); `request` is the serialized protobuf message.
 */
export function grpcCall(service: string, serviceName: string, method: string, metadata: Header[], request: ArrayBuffer, timeoutMs: u32): CallStart {
  const s = String.UTF8.encode(service);
  const sn = String.UTF8.encode(serviceName);
  const m = String.UTF8.encode(method);
  const md = metadata.length == 0 ? new ArrayBuffer(0) : serializePairs(metadata);
  const out = new CallStart();
  store<u32>(u32Slot(), 0);
  out.status = proxy_grpc_call(changetype<usize>(s), <usize>s.byteLength, changetype<usize>(sn), <usize>sn.byteLength,
    changetype<usize>(m), <usize>m.byteLength, changetype<usize>(md), <usize>md.byteLength,
    changetype<usize>(request), <usize>request.byteLength, timeoutMs, u32Slot());
  out.token = load<u32>(u32Slot());
  return out;
}

export function grpcCancel(token: u32): i32 { return proxy_grpc_cancel(token); }

/** Status code and message of the last failed call (gRPC status in `code`). */
export class CallStatus {
  result: i32 = WasmResult.Ok;
  code: u32 = 0;
  message: string = "";
}

export function getStatus(): CallStatus {
  const out = new CallStatus();
  clearResult();
  store<u32>(u32Slot(), 0);
  out.result = proxy_get_status(u32Slot(), resultPtrSlot(), resultSizeSlot());
  out.code = load<u32>(u32Slot());
  out.message = String.UTF8.decode(takeResult());
  return out;
}

/**
 * Makes `contextId` the context the following hostcalls act on, until the callback
 * returns or this is called again (cpp-host keeps it per callback). Used to dispatch a
 * call from the root context while a stream's callback runs, so it outlives the stream.
 */
export function setEffectiveContext(contextId: u32): i32 { return proxy_set_effective_context(contextId); }
