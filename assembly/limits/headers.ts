// What the client sees of a decision: OpenAI-style rate-limit headers, so that official
// OpenAI and Anthropic SDKs back off by themselves.
import { Header } from "../abi/headers";
import { writeDecimal } from "../json/decimal";
import { Decision } from "./decision";
import { ceilSeconds } from "./saturate";

export { writeDecimal };

/**
 * A duration in OpenAI's `x-ratelimit-reset-tokens` form: whole seconds, rounded up, as
 * Go prints durations: "0s", "1s", "59s", "6m0s", "2h3m4s", "24h0m0s" (hours are not
 * folded into days). Rounding up means a client that waits this long finds the window
 * reset. Non-positive input gives "0s".
 */
export function formatResetDuration(ms: i64): string {
  const total = ceilSeconds(ms);
  const h = total / 3600;
  const m = (total % 3600) / 60;
  const s = total % 60;
  if (h > 0) return h.toString() + "h" + m.toString() + "m" + s.toString() + "s";
  if (m > 0) return m.toString() + "m" + s.toString() + "s";
  return s.toString() + "s";
}

/** Header names; an empty name leaves that header out. Defaults are OpenAI's token headers. */
export class RateLimitHeaderNames {
  limit: string = "x-ratelimit-limit-tokens";
  remaining: string = "x-ratelimit-remaining-tokens";
  reset: string = "x-ratelimit-reset-tokens";
  retryAfter: string = "retry-after";
  // The names as UTF-8 for the hostcalls of every admitted response and limited reply: encoded once.
  private limitBytes: EncodedName = new EncodedName();
  private remainingBytes: EncodedName = new EncodedName();
  private resetBytes: EncodedName = new EncodedName();
  private retryAfterBytes: EncodedName = new EncodedName();

  /** `limit` as UTF-8; encoded again only if the name was changed since. */
  get limitUtf8(): ArrayBuffer { return this.limitBytes.of(this.limit); }
  /** `remaining` as UTF-8; encoded again only if the name was changed since. */
  get remainingUtf8(): ArrayBuffer { return this.remainingBytes.of(this.remaining); }
  /** `reset` as UTF-8; encoded again only if the name was changed since. */
  get resetUtf8(): ArrayBuffer { return this.resetBytes.of(this.reset); }

  /** `retryAfter` as UTF-8; encoded again only if the name was changed since. */
  get retryAfterUtf8(): ArrayBuffer { return this.retryAfterBytes.of(this.retryAfter); }

  /** Encodes the names now (at configure time, once they are set), not on the first response. */
  encodeNow(): RateLimitHeaderNames {
    this.limitBytes.of(this.limit);
    this.remainingBytes.of(this.remaining);
    this.resetBytes.of(this.reset);
    this.retryAfterBytes.of(this.retryAfter);
    return this;
  }
}

/** A name and its UTF-8 bytes, kept while the name stays the same. */
class EncodedName {
  private text: string = "";
  private bytes: ArrayBuffer = new ArrayBuffer(0);

  /** The bytes of `name`: those kept when it equals the last name asked for (the same string, most often). */
  of(name: string): ArrayBuffer {
    if (name != this.text) {
      this.bytes = String.UTF8.encode(name);
      this.text = name;
    }
    return this.bytes;
  }
}

/**
 * Headers describing `d`'s governing counter: limit, remaining and reset (as
 * formatResetDuration), plus `retry-after` in whole seconds when the request was not
 * admitted. Nothing when the decision has no counter. Allocates the returned list.
 */
export function rateLimitHeaders(d: Decision, names: RateLimitHeaderNames): Header[] {
  const out = new Array<Header>(0);
  if (!d.hasCounter) return out;
  if (names.limit.length > 0) out.push(new Header(names.limit, d.limit.toString()));
  if (names.remaining.length > 0) out.push(new Header(names.remaining, d.remaining.toString()));
  if (names.reset.length > 0) out.push(new Header(names.reset, formatResetDuration(d.resetMs)));
  if (!d.admitted && names.retryAfter.length > 0) {
    const s = d.retryAfterSeconds < 1 ? 1 : d.retryAfterSeconds;
    out.push(new Header(names.retryAfter, s.toString()));
  }
  return out;
}

/**
 * Headers for the response of an admitted request: those of rateLimitHeaders, except that
 * a request a dry run let through over its budget gets no retry-after (it was not
 * refused; limit, remaining 0 and reset still say where it stands). Allocates the list.
 */
export function admittedResponseHeaders(d: Decision, names: RateLimitHeaderNames): Header[] {
  const out = rateLimitHeaders(d, names);
  if (d.admitted || names.retryAfter.length == 0) return out;
  const kept = new Array<Header>(0);
  for (let i = 0; i < out.length; i++) {
    const h = unchecked(out[i]);
    if (h.name != names.retryAfter) kept.push(h);
  }
  return kept;
}

/** Receives headers written as bytes: the value is valid only during the call. */
export abstract class HeaderSink {
  abstract put(name: string, valuePtr: usize, valueLen: usize): void;

  /**
   * `put` with the name also as UTF-8 (`nameUtf8`, encoded once): a sink that hands the
   * header to the host overrides this to pass those bytes instead of encoding the name.
   */
  putUtf8(name: string, nameUtf8: ArrayBuffer, valuePtr: usize, valueLen: usize): void {
    this.put(name, valuePtr, valueLen);
  }
}

// The longest value written: an i64 in decimal (20 bytes) or a reset duration
// ("2562047788015h12m56s", 20 bytes).
// @ts-ignore: decorator
@inline const VALUE_SCRATCH_BYTES: i32 = 32;
const VALUE_SCRATCH: usize = memory.data(VALUE_SCRATCH_BYTES);

/**
 * Gives `sink` the headers of admittedResponseHeaders (the same names, the same values),
 * each value written as ASCII bytes into scratch memory, each name as the UTF-8 its
 * RateLimitHeaderNames keeps. It runs on every admitted response, so it allocates nothing
 * (but the names' bytes, the first time).
 */
export function writeAdmittedHeaders(d: Decision, names: RateLimitHeaderNames, sink: HeaderSink): void {
  if (!d.hasCounter) return;
  if (names.limit.length > 0) sink.putUtf8(names.limit, names.limitUtf8, VALUE_SCRATCH, writeDecimal(VALUE_SCRATCH, d.limit));
  if (names.remaining.length > 0) {
    sink.putUtf8(names.remaining, names.remainingUtf8, VALUE_SCRATCH, writeDecimal(VALUE_SCRATCH, d.remaining));
  }
  if (names.reset.length > 0) sink.putUtf8(names.reset, names.resetUtf8, VALUE_SCRATCH, writeResetDuration(VALUE_SCRATCH, d.resetMs));
}

/** formatResetDuration(ms) as bytes at `at`; returns the number of bytes written. */
export function writeResetDuration(at: usize, ms: i64): usize {
  const total = ceilSeconds(ms);
  const h = total / 3600;
  const m = (total % 3600) / 60;
  const s = total % 60;
  let n: usize = 0;
  if (h > 0) {
    n += writeDecimal(at + n, h);
    store<u8>(at + n++, 0x68); // h
  }
  if (h > 0 || m > 0) {
    n += writeDecimal(at + n, m);
    store<u8>(at + n++, 0x6d); // m
  }
  n += writeDecimal(at + n, s);
  store<u8>(at + n++, 0x73); // s
  return n;
}
