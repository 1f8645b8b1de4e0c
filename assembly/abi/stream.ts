// Answering a request locally instead of from the upstream.
import { proxy_send_local_response } from "./imports";
import { GrpcStatus } from "./status";
import { Header, serializePairs } from "./headers";

/** Sends a local reply instead of the upstream's; the stream's callbacks then stop. */
export function sendLocalResponse(status: u32, details: string, body: ArrayBuffer, headers: Header[]): i32 {
  const d = String.UTF8.encode(details);
  const h = serializePairs(headers);
  return proxy_send_local_response(status, changetype<usize>(d), <usize>d.byteLength,
    changetype<usize>(body), <usize>body.byteLength, changetype<usize>(h), <usize>h.byteLength, GrpcStatus.None);
}
