// Answering a request locally instead of from the upstream.
import { proxy_send_local_response, proxy_continue_stream, proxy_set_effective_context } from "./imports";
import { GrpcStatus } from "./status";
import { Header, serializePairs } from "./headers";

/** Sends a local reply instead of the upstream's; the stream's callbacks then stop. */
export function sendLocalResponse(status: u32, details: string, body: ArrayBuffer, headers: Header[]): i32 {
  const d = String.UTF8.encode(details);
  const h = serializePairs(headers);
  return proxy_send_local_response(status, changetype<usize>(d), <usize>d.byteLength,
    changetype<usize>(body), <usize>body.byteLength, changetype<usize>(h), <usize>h.byteLength, GrpcStatus.None);
}

/**
 * sendLocalResponse with everything as bytes: `details` as UTF-8, the body, and the
 * headers already in the pairs layout (serializePairs). Allocates nothing.
 */
export function sendLocalResponseBytes(status: u32, details: ArrayBuffer, bodyPtr: usize, bodyLen: usize, pairsPtr: usize, pairsLen: usize): i32 {
  return proxy_send_local_response(status, changetype<usize>(details), <usize>details.byteLength, bodyPtr, bodyLen, pairsPtr, pairsLen, GrpcStatus.None);
}

/** Resumes a stream the filter paused (`StreamType.Request`: the request goes on). */
export function continueStream(type: i32): i32 {
  return proxy_continue_stream(type);
}

/**
 * Makes the hostcalls that follow act on context `id` until the callback returns (or
 * another call): a gRPC answer arrives in the root context, the stream it resumes is another.
 */
export function setEffectiveContext(id: u32): i32 {
  return proxy_set_effective_context(id);
}
