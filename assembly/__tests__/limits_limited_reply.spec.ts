import { JsonByteWriter } from "../json/byte_writer";
import { HeaderPairsWriter, writeLimitedBody, writeLimitedHeaders } from "../limits/limited_reply";
import { limitedResponse } from "../limits/limited_response";
import { RateLimitHeaderNames } from "../limits/headers";
import { Decision } from "../limits/decision";
import { ErrorFormat } from "../config/response";
import { serializePairs } from "../abi/headers";

function sameBytes(ptr: usize, len: i32, expected: ArrayBuffer): bool {
  if (len != expected.byteLength) return false;
  for (let i = 0; i < len; i++) if (load<u8>(ptr + <usize>i) != load<u8>(changetype<usize>(expected) + <usize>i)) return false;
  return true;
}

function decision(hasCounter: bool, admitted: bool, resetMs: i64, retryAfter: i64): Decision {
  const d = new Decision();
  d.admitted = admitted;
  d.hasCounter = hasCounter;
  d.limitName = "team-daily";
  d.limit = 20000;
  d.remaining = admitted ? 150 : 0;
  d.resetMs = resetMs;
  d.retryAfterSeconds = retryAfter;
  return d;
}

function namesWith(limit: string, retryAfter: string): RateLimitHeaderNames {
  const names = new RateLimitHeaderNames();
  names.limit = limit;
  names.retryAfter = retryAfter;
  return names.encodeNow();
}

describe("the limited reply written as bytes", () => {
  it("is byte for byte limitedResponse's body and headers, for every format, status, message, decision and header names", () => {
    const formats: ErrorFormat[] = [ErrorFormat.OpenAI, ErrorFormat.Anthropic, ErrorFormat.Gemini, ErrorFormat.Auto];
    const statuses: u32[] = [429, 400, 401, 403, 404, 413, 503, 529, 418, 599];
    const messages: string[] = ["Rate limit exceeded", "", "é \"quoted\" \\ \n\t\x01\x7f ☕😀 " + String.fromCharCode(0xdbff)];
    const decisions: Decision[] = [
      decision(true, false, 3_599_001, 3600), decision(true, false, 0, 0), decision(true, true, 61_000, 0),
      decision(false, false, 0, 0), decision(true, false, i64.MAX_VALUE, i64.MAX_VALUE),
    ];
    const names: RateLimitHeaderNames[] = [new RateLimitHeaderNames().encodeNow(), namesWith("", ""), namesWith("x-budget-é", "x-retry")];
    const body = new JsonByteWriter();
    const headers = new HeaderPairsWriter();
    let cases = 0;
    for (let f = 0; f < formats.length; f++) for (let s = 0; s < statuses.length; s++) for (let m = 0; m < messages.length; m++) {
      for (let k = 0; k < decisions.length; k++) for (let n = 0; n < names.length; n++) {
        const expected = limitedResponse(decisions[k], statuses[s], messages[m], names[n], formats[f]);
        const b = writeLimitedBody(body, decisions[k], statuses[s], messages[m], formats[f]);
        expect(sameBytes(b.ptr, b.length, String.UTF8.encode(expected.body))).toBe(true, expected.body);
        const h = writeLimitedHeaders(headers, decisions[k], names[n]);
        expect(sameBytes(h.ptr, h.length, serializePairs(expected.headers))).toBe(true);
        cases++;
      }
    }
    expect(cases).toBe(4 * 10 * 3 * 5 * 3);
  });

  it("writes the documented 429 of a refused request", () => {
    const d = decision(true, false, 3_599_001, 3600);
    const b = writeLimitedBody(new JsonByteWriter(), d, 429, "Rate limit exceeded", ErrorFormat.OpenAI);
    expect(String.UTF8.decodeUnsafe(b.ptr, <usize>b.length)).toBe("{\"error\":{\"message\":\"Rate limit exceeded on limit team-daily: " +
      "limit 20000, remaining 0. Please try again in 1h0m0s.\",\"type\":\"tokens\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}");
    const h = writeLimitedHeaders(new HeaderPairsWriter(), d, new RateLimitHeaderNames().encodeNow());
    expect(load<u32>(h.ptr)).toBe(5);
  });
});
