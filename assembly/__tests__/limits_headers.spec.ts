import { formatResetDuration, rateLimitHeaders, admittedResponseHeaders, RateLimitHeaderNames, HeaderSink, writeAdmittedHeaders, writeDecimal } from "../limits/headers";
import { limitedResponse, unavailableResponse } from "../limits/limited_response";
import { Decision } from "../limits/decision";
import { Header } from "../abi/headers";

function find(hs: Header[], name: string): string {
  for (let i = 0; i < hs.length; i++) if (hs[i].name == name) return hs[i].value;
  return "<absent>";
}

function decision(admitted: bool): Decision {
  const d = new Decision();
  d.admitted = admitted;
  d.hasCounter = true;
  d.limitName = "per-user";
  d.limit = 10000;
  d.remaining = admitted ? 2500 : 0;
  d.resetMs = 360_000;
  d.retryAfterSeconds = 360;
  return d;
}

describe("formatResetDuration", () => {
  it("prints whole seconds below a minute", () => {
    expect(formatResetDuration(1000)).toBe("1s");
    expect(formatResetDuration(59_000)).toBe("59s");
  });
  it("rounds partial seconds up so waiting that long finds the window reset", () => {
    expect(formatResetDuration(1)).toBe("1s");
    expect(formatResetDuration(59_500)).toBe("1m0s");
    expect(formatResetDuration(1_001)).toBe("2s");
  });
  it("prints minutes with seconds, like Go durations", () => {
    expect(formatResetDuration(360_000)).toBe("6m0s");
    expect(formatResetDuration(61_000)).toBe("1m1s");
  });
  it("prints hours with minutes and seconds, without folding into days", () => {
    expect(formatResetDuration(7_384_000)).toBe("2h3m4s");
    expect(formatResetDuration(86_400_000)).toBe("24h0m0s");
  });
  it("prints 0s for a reset that is due or negative", () => {
    expect(formatResetDuration(0)).toBe("0s");
    expect(formatResetDuration(-5)).toBe("0s");
  });
  it("does not overflow on the largest duration", () => {
    expect(formatResetDuration(i64.MAX_VALUE).endsWith("s")).toBe(true);
  });
});

describe("rateLimitHeaders", () => {
  it("describes an admitted request without retry-after", () => {
    const hs = rateLimitHeaders(decision(true), new RateLimitHeaderNames());
    expect(hs.length).toBe(3);
    expect(find(hs, "x-ratelimit-limit-tokens")).toBe("10000");
    expect(find(hs, "x-ratelimit-remaining-tokens")).toBe("2500");
    expect(find(hs, "x-ratelimit-reset-tokens")).toBe("6m0s");
    expect(find(hs, "retry-after")).toBe("<absent>");
  });
  it("adds retry-after in seconds to a rejection", () => {
    const hs = rateLimitHeaders(decision(false), new RateLimitHeaderNames());
    expect(find(hs, "x-ratelimit-remaining-tokens")).toBe("0");
    expect(find(hs, "retry-after")).toBe("360");
  });
  it("sends retry-after of at least 1 second", () => {
    const d = decision(false);
    d.retryAfterSeconds = 0;
    expect(find(rateLimitHeaders(d, new RateLimitHeaderNames()), "retry-after")).toBe("1");
  });
  it("uses configured names and leaves out headers whose name is empty", () => {
    const names = new RateLimitHeaderNames();
    names.limit = "";
    names.remaining = "ratelimit-remaining";
    const hs = rateLimitHeaders(decision(true), names);
    expect(hs.length).toBe(2);
    expect(find(hs, "ratelimit-remaining")).toBe("2500");
    expect(find(hs, "x-ratelimit-limit-tokens")).toBe("<absent>");
  });
  it("sends nothing when no counter applied", () => {
    expect(rateLimitHeaders(new Decision(), new RateLimitHeaderNames()).length).toBe(0);
  });
});

describe("admittedResponseHeaders", () => {
  it("gives an admitted response limit, remaining and reset", () => {
    const hs = admittedResponseHeaders(decision(true), new RateLimitHeaderNames());
    expect(hs.length).toBe(3);
    expect(find(hs, "x-ratelimit-remaining-tokens")).toBe("2500");
  });
  it("gives a request a dry run let through over budget no retry-after", () => {
    const hs = admittedResponseHeaders(decision(false), new RateLimitHeaderNames());
    expect(hs.length).toBe(3);
    expect(find(hs, "x-ratelimit-remaining-tokens")).toBe("0");
    expect(find(hs, "retry-after")).toBe("<absent>");
  });
  it("leaves out a renamed retry-after too", () => {
    const names = new RateLimitHeaderNames();
    names.retryAfter = "x-retry-after";
    expect(find(admittedResponseHeaders(decision(false), names), "x-retry-after")).toBe("<absent>");
  });
});

describe("local replies", () => {
  it("put the 429's retry-after under the configured name", () => {
    const names = new RateLimitHeaderNames();
    names.retryAfter = "x-retry-after";
    const r = limitedResponse(decision(false), 429, "Rate limit reached for tokens", names);
    expect(find(r.headers, "x-retry-after")).toBe("360");
    expect(find(r.headers, "retry-after")).toBe("<absent>");
  });
  it("put the 503's retry-after under the configured name", () => {
    const names = new RateLimitHeaderNames();
    names.retryAfter = "x-retry-after";
    const r = unavailableResponse(names);
    expect(r.status).toBe(503);
    expect(find(r.headers, "x-retry-after")).toBe("1");
    expect(find(r.headers, "retry-after")).toBe("<absent>");
  });
  it("send the 503 without retry-after when that header is turned off", () => {
    const names = new RateLimitHeaderNames();
    names.retryAfter = "";
    const r = unavailableResponse(names);
    expect(r.headers.length).toBe(1);
    expect(find(r.headers, "content-type")).toBe("application/json");
  });
});

class CollectingSink extends HeaderSink {
  headers: Header[] = [];
  put(name: string, valuePtr: usize, valueLen: usize): void {
    this.headers.push(new Header(name, String.UTF8.decodeUnsafe(valuePtr, valueLen)));
  }
}

function written(d: Decision, names: RateLimitHeaderNames): string {
  const sink = new CollectingSink();
  writeAdmittedHeaders(d, names, sink);
  return listed(sink.headers);
}

function listed(hs: Header[]): string {
  let out = "";
  for (let i = 0; i < hs.length; i++) out += hs[i].name + "=" + hs[i].value + ";";
  return out;
}

describe("writeAdmittedHeaders", () => {
  it("writes exactly the headers and values of admittedResponseHeaders", () => {
    const resets: i64[] = [0, -5, 1, 999, 1000, 1001, 59_500, 61_000, 360_000, 7_384_000, 86_400_000, i64.MAX_VALUE];
    const counts: i64[] = [0, 1, 9, 10, 2500, 20000, 1_000_000_007, i64.MAX_VALUE];
    for (let a = 0; a < 2; a++) {
      for (let r = 0; r < resets.length; r++) {
        for (let c = 0; c < counts.length; c++) {
          const d = decision(a == 1);
          d.resetMs = resets[r];
          d.limit = counts[c];
          d.remaining = counts[counts.length - 1 - c];
          const names = new RateLimitHeaderNames();
          expect(written(d, names)).toBe(listed(admittedResponseHeaders(d, names)));
        }
      }
    }
  });
  it("leaves out a header whose name is configured empty", () => {
    const names = new RateLimitHeaderNames();
    names.remaining = "";
    expect(written(decision(true), names)).toBe("x-ratelimit-limit-tokens=10000;x-ratelimit-reset-tokens=6m0s;");
  });
  it("writes nothing for a decision that describes no counter", () => {
    const d = decision(true);
    d.hasCounter = false;
    expect(written(d, new RateLimitHeaderNames())).toBe("");
  });
});

/** Keeps what a host would receive: the name's bytes, not its string. */
class BytesSink extends HeaderSink {
  out: string = "";
  put(name: string, valuePtr: usize, valueLen: usize): void {
    this.out += "put:" + name + ";";
  }
  putUtf8(name: string, nameUtf8: ArrayBuffer, valuePtr: usize, valueLen: usize): void {
    this.out += String.UTF8.decode(nameUtf8) + "=" + String.UTF8.decodeUnsafe(valuePtr, valueLen) + ";";
  }
}

describe("writeAdmittedHeaders to a host", () => {
  it("hands over each name as its UTF-8 bytes, following a name changed after the first response", () => {
    const names = new RateLimitHeaderNames();
    names.limit = "x-budget-é";
    names.encodeNow();
    const sink = new BytesSink();
    writeAdmittedHeaders(decision(true), names, sink);
    names.remaining = "x-left";
    writeAdmittedHeaders(decision(true), names, sink);
    expect(sink.out).toBe("x-budget-é=10000;x-ratelimit-remaining-tokens=2500;x-ratelimit-reset-tokens=6m0s;" +
      "x-budget-é=10000;x-left=2500;x-ratelimit-reset-tokens=6m0s;");
  });
});

describe("writeDecimal", () => {
  it("writes any i64 as toString does", () => {
    const values: i64[] = [0, 7, -1, 10, -10, 1234567890, i64.MIN_VALUE, i64.MAX_VALUE];
    const buf = new ArrayBuffer(32);
    for (let i = 0; i < values.length; i++) {
      const n = writeDecimal(changetype<usize>(buf), values[i]);
      expect(String.UTF8.decodeUnsafe(changetype<usize>(buf), n)).toBe(values[i].toString());
    }
  });
});
