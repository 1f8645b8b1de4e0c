// The descriptors the filter sends to a rate-limit service (docs/global-counters.md):
//   tokenlimit_limit      the limit's name
//   tokenlimit_window     the rate's window in whole seconds (envoy-rls only: each
//                         envoy-ratelimit descriptor maps to exactly one rate)
//   tokenlimit_counter_N  the limit's N-th `counters` value, as the local key writes it
// in that order. Limitador gets one descriptor per limit (its limits file has one limit
// per rate, all matching that descriptor); envoy-rls one per (limit, rate).
import { RlsDescriptor } from "../counters/ratelimit_proto";
import { CounterKeyBuilder } from "./keys";
import { CounterSpec } from "./decision";

export const LIMIT_KEY = "tokenlimit_limit";
export const WINDOW_KEY = "tokenlimit_window";
export const COUNTER_KEY_PREFIX = "tokenlimit_counter_";

const LIMIT_KEY_BYTES = String.UTF8.encode(LIMIT_KEY);
const WINDOW_KEY_BYTES = String.UTF8.encode(WINDOW_KEY);
// tokenlimit_counter_0 .. _15 made once; past that (rare) they are made on demand.
const COUNTER_KEYS: Array<ArrayBuffer> = ((): Array<ArrayBuffer> => {
  const out = new Array<ArrayBuffer>();
  for (let i = 0; i < 16; i++) out.push(String.UTF8.encode(COUNTER_KEY_PREFIX + i.toString()));
  return out;
})();

function counterKey(i: i32): ArrayBuffer {
  return i < COUNTER_KEYS.length ? unchecked(COUNTER_KEYS[i]) : String.UTF8.encode(COUNTER_KEY_PREFIX + i.toString());
}

/** Builds descriptors; one per limiter (it reuses the key builder's buffer). */
export class DescriptorBuilder {
  constructor(private keys: CounterKeyBuilder) {}

  /** The descriptor of `spec`: with its window when `withWindow` (envoy-rls). Allocates. */
  build(spec: CounterSpec, withWindow: bool): RlsDescriptor {
    const d = new RlsDescriptor();
    d.add(LIMIT_KEY_BYTES, String.UTF8.encode(spec.limitName));
    if (withWindow) d.add(WINDOW_KEY_BYTES, String.UTF8.encode((spec.windowMs / 1000).toString()));
    const values = spec.values;
    const n = changetype<usize>(values) == 0 ? 0 : values.length;
    for (let i = 0; i < n; i++) {
      const v = unchecked(values[i]);
      d.add(counterKey(i), this.keys.valueBytes(changetype<usize>(v) == 0 ? "" : v));
    }
    return d;
  }
}
