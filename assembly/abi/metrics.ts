// Metrics. Envoy prefixes names it does not recognise with `wasmcustom.`; names made
// of `.`-separated parts and tags (`name.tag_value`) show up in Prometheus as given.
import { proxy_define_metric, proxy_increment_metric, proxy_record_metric, proxy_get_metric } from "./imports";
import { WasmResult, MetricType } from "./status";
import { u32Slot, u64Slot } from "./memory";

/** Defines a metric; returns its id, or 0xffffffff when the host refused. */
export function defineMetric(type: i32, name: string): u32 {
  const bytes = String.UTF8.encode(name);
  store<u32>(u32Slot(), 0);
  if (proxy_define_metric(type, changetype<usize>(bytes), <usize>bytes.byteLength, u32Slot()) != WasmResult.Ok) return u32.MAX_VALUE;
  return load<u32>(u32Slot());
}

/** A counter; `add` ignores non-positive amounts (Envoy refuses them). */
export class Counter {
  id: u32;
  constructor(public name: string) {
    this.id = defineMetric(MetricType.Counter, name);
  }
  add(amount: i64): void {
    if (amount <= 0 || this.id == u32.MAX_VALUE) return;
    proxy_increment_metric(this.id, amount);
  }
  inc(): void { this.add(1); }
  value(): u64 {
    if (this.id == u32.MAX_VALUE || proxy_get_metric(this.id, u64Slot()) != WasmResult.Ok) return 0;
    return load<u64>(u64Slot());
  }
}

/** A gauge; `set` records an absolute value. */
export class Gauge {
  id: u32;
  constructor(public name: string) {
    this.id = defineMetric(MetricType.Gauge, name);
  }
  set(value: u64): void {
    if (this.id == u32.MAX_VALUE) return;
    proxy_record_metric(this.id, value);
  }
}

/** A histogram; `record` adds one sample. */
export class Histogram {
  id: u32;
  constructor(public name: string) {
    this.id = defineMetric(MetricType.Histogram, name);
  }
  record(value: u64): void {
    if (this.id == u32.MAX_VALUE) return;
    proxy_record_metric(this.id, value);
  }
}
