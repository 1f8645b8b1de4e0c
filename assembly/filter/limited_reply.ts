// The 429 of a refused request, sent from bytes written into buffers the VM reuses: a
// caller over budget gets one on every request it keeps sending.
import { sendLocalResponseBytes } from "../abi/stream";
import { ErrorFormat } from "../config/response";
import { JsonByteWriter } from "../json/byte_writer";
import { Decision } from "../limits/decision";
import { RateLimitHeaderNames } from "../limits/headers";
import { HeaderPairsWriter, writeLimitedBody, writeLimitedHeaders } from "../limits/limited_reply";

// One per VM: the reply is handed to the host at once, so the next one may reuse them.
const BODY = new JsonByteWriter();
const HEADERS = new HeaderPairsWriter();
const DETAILS = String.UTF8.encode("token_rate_limited");

/** Sends limitedResponse(d, status, message, names, format) as the stream's local reply. */
export function sendLimitedReply(d: Decision, status: u32, message: string, names: RateLimitHeaderNames, format: ErrorFormat): void {
  const body = writeLimitedBody(BODY, d, status, message, format);
  const headers = writeLimitedHeaders(HEADERS, d, names);
  sendLocalResponseBytes(status, DETAILS, body.ptr, <usize>body.length, headers.ptr, <usize>headers.length);
}
