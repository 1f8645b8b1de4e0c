// Stream control: resume a paused stream, answer locally.
import { proxy_continue_stream, proxy_send_local_response, proxy_close_stream } from "./imports";
import { StreamType, GrpcStatus } from "./status";
import { Header, serializePairs } from "./headers";

export function continueRequest(): i32 { return proxy_continue_stream(StreamType.Request); }
export function continueResponse(): i32 { return proxy_continue_stream(StreamType.Response); }
export function closeRequest(): i32 { return proxy_close_stream(StreamType.Request); }

/** Sends a local reply instead of the upstream's; the stream's callbacks then stop. */
export function sendLocalResponse(status: u32, details: string, body: ArrayBuffer, headers: Header[]): i32 {
  const d = String.UTF8.encode(details);
  const h = serializePairs(headers);
  return proxy_send_local_response(status, changetype<usize>(d), <usize>d.byteLength,
    changetype<usize>(body), <usize>body.byteLength, changetype<usize>(h), <usize>h.byteLength, GrpcStatus.None);
}
