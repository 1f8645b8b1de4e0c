// Metrics as Envoy keeps them (source/extensions/common/wasm/context.cc defineMetric and
// friends): the store is process-wide and keyed by the full stat name, which Envoy prefixes
// with the custom namespace "wasmcustom."; every VM (workers, canary) shares it. Ids are
// per VM: the type in the low two bits, counters 4, 8, ...; gauges 5, 9, ...; histograms
// 6, 10, ... (cpp-host kMetricIdIncrement). Values are u64 (BigInt here).
import { WasmResult, MetricType } from "./abi.ts";

export const CUSTOM_STAT_NAMESPACE = "wasmcustom";

/** Envoy's default histogram buckets (Stats::HistogramSettingsImpl::defaultBuckets). */
export const DEFAULT_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

type Kind = "counter" | "gauge" | "histogram";

/**
 * One entry of the bootstrap's `stats_config.stats_tags` (a regex tag extractor). The regex is
 * searched in the full stat name (`wasmcustom.` included); its first capture group is cut out
 * of the name, and its second (or, without one, its first) is the tag's value.
 */
export interface StatsTag {
  tag_name: string;
  regex: string;
}

interface Stat {
  kind: Kind;
  value: bigint; // counter/gauge
  samples: bigint[]; // histogram
}

const U64 = (1n << 64n) - 1n;

/** The process-wide stat store. */
export class MetricStore {
  private stats = new Map<string, Stat>();

  /** Gets or creates the stat `fullName` (as Stats::Utility::counterFromElements does). */
  stat(fullName: string, kind: Kind): Stat {
    let s = this.stats.get(fullName);
    if (!s) {
      s = { kind, value: 0n, samples: [] };
      this.stats.set(fullName, s);
    }
    return s;
  }

  /** Value of a counter or gauge by the name the filter defined (without "wasmcustom."). */
  value(name: string): number | undefined {
    const s = this.stats.get(`${CUSTOM_STAT_NAMESPACE}.${name}`);
    if (!s || s.kind === "histogram") return undefined;
    return Number(s.value);
  }

  /** Recorded samples of a histogram by the name the filter defined. */
  samples(name: string): number[] | undefined {
    const s = this.stats.get(`${CUSTOM_STAT_NAMESPACE}.${name}`);
    return s && s.kind === "histogram" ? s.samples.map(Number) : undefined;
  }

  /** All stats: full name -> {kind, value | samples}. */
  entries(): Array<{ name: string; kind: Kind; value?: number; samples?: number[] }> {
    return [...this.stats.entries()].map(([name, s]) =>
      s.kind === "histogram" ? { name, kind: s.kind, samples: s.samples.map(Number) } : { name, kind: s.kind, value: Number(s.value) });
  }

  /**
   * Renders the store as Envoy's /stats/prometheus (text format): counters, then gauges, then
   * histograms, each sorted by name; the "wasmcustom." prefix is stripped and no "envoy_"
   * prefix is added; other characters than [a-zA-Z0-9_] become "_"; names starting with a
   * digit are left out; a trailing `_rq_NNN` / `_rq_Nxx` is extracted into the
   * envoy_response_code / envoy_response_code_class tag, as Envoy's default tag extractors do.
   * `statsTags` are the bootstrap's `stats_config.stats_tags`, applied first, in order, each to
   * the full original name (Envoy's TagProducerImpl), the parts they match cut out together.
   */
  prometheus(statsTags: readonly StatsTag[] = []): string {
    const groups: Record<Kind, Map<string, Array<{ tags: string; stat: Stat }>>> = {
      counter: new Map(), gauge: new Map(), histogram: new Map(),
    };
    const extractors = statsTags.map((t) => ({ name: t.tag_name, re: new RegExp(t.regex, "d") }));
    for (const [full, stat] of this.stats) {
      let name = full;
      const tags: string[] = [];
      if (extractors.length > 0) {
        const cuts: Array<[number, number]> = [];
        for (const x of extractors) {
          const m = x.re.exec(full);
          if (!m || m.indices?.[1] === undefined) continue;
          const value = m[2] ?? m[1];
          tags.push(`${x.name.replace(/[^a-zA-Z0-9_]/g, "_")}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
          cuts.push(m.indices[1] as [number, number]);
        }
        cuts.sort((a, b) => b[0] - a[0]);
        for (const [from, to] of cuts) name = name.slice(0, from) + name.slice(to);
      }
      let m = /_rq(_(\d{3}))$/.exec(name);
      if (m) {
        tags.push(`envoy_response_code="${m[2]}"`);
        name = name.slice(0, m.index) + "_rq";
      } else if ((m = /_rq(_(\dxx))$/.exec(name))) {
        tags.push(`envoy_response_code_class="${m[2]}"`);
        name = name.slice(0, m.index) + "_rq";
      }
      let promName: string;
      if (name.startsWith(CUSTOM_STAT_NAMESPACE + ".")) {
        promName = name.slice(CUSTOM_STAT_NAMESPACE.length + 1).replace(/[^a-zA-Z0-9_]/g, "_");
        if (promName === "" || /^[0-9]/.test(promName)) continue;
      } else {
        promName = "envoy_" + name.replace(/[^a-zA-Z0-9_]/g, "_");
      }
      const g = groups[stat.kind];
      if (!g.has(promName)) g.set(promName, []);
      g.get(promName)!.push({ tags: tags.join(","), stat });
    }
    const out: string[] = [];
    for (const kind of ["counter", "gauge"] as const) {
      for (const name of [...groups[kind].keys()].sort()) {
        out.push(`# TYPE ${name} ${kind}`);
        for (const { tags, stat } of groups[kind].get(name)!) out.push(`${name}{${tags}} ${stat.value}`);
      }
    }
    for (const name of [...groups.histogram.keys()].sort()) {
      out.push(`# TYPE ${name} histogram`);
      for (const { tags, stat } of groups.histogram.get(name)!) {
        const ht = tags ? tags + "," : "";
        const nums = stat.samples.map(Number);
        for (const b of DEFAULT_BUCKETS) out.push(`${name}_bucket{${ht}le="${b}"} ${nums.filter((v) => v <= b).length}`);
        out.push(`${name}_bucket{${ht}le="+Inf"} ${nums.length}`);
        out.push(`${name}_sum{${tags}} ${nums.reduce((a, b) => a + b, 0)}`);
        out.push(`${name}_count{${tags}} ${nums.length}`);
      }
    }
    return out.length ? out.join("\n") + "\n" : "";
  }
}

/** One VM's metric ids (Wasm::counters_/gauges_/histograms_). */
export class VmMetrics {
  private ids = new Map<number, string>();
  private next = { counter: 0, gauge: 1, histogram: 2 };

  constructor(private readonly store: MetricStore) {}

  define(type: number, name: string): { status: number; id?: number } {
    if (type > MetricType.Histogram) return { status: WasmResult.BadArgument };
    const kind: Kind = type === 0 ? "counter" : type === 1 ? "gauge" : "histogram";
    const full = `${CUSTOM_STAT_NAMESPACE}.${name}`;
    this.store.stat(full, kind);
    const id = (this.next[kind] += 4);
    this.ids.set(id, full);
    return { status: WasmResult.Ok, id };
  }

  private find(id: number, kind: Kind): Stat | undefined {
    const full = this.ids.get(id);
    return full === undefined ? undefined : this.store.stat(full, kind);
  }

  /** proxy_increment_metric: counters take only positive offsets; gauges add or subtract. */
  increment(id: number, offset: bigint): number {
    const type = id & 3;
    if (type === MetricType.Counter) {
      const s = this.find(id, "counter");
      if (!s) return WasmResult.NotFound;
      if (offset <= 0n) return WasmResult.BadArgument;
      s.value = (s.value + offset) & U64;
      return WasmResult.Ok;
    }
    if (type === MetricType.Gauge) {
      const s = this.find(id, "gauge");
      if (!s) return WasmResult.NotFound;
      s.value = (s.value + offset) & U64; // Gauge::sub wraps like the u64 it is
      return WasmResult.Ok;
    }
    return WasmResult.BadArgument;
  }

  /** proxy_record_metric: counter adds, gauge sets, histogram records. */
  record(id: number, value: bigint): number {
    const type = id & 3;
    if (type === MetricType.Counter) {
      const s = this.find(id, "counter");
      if (!s) return WasmResult.NotFound;
      s.value = (s.value + value) & U64;
      return WasmResult.Ok;
    }
    if (type === MetricType.Gauge) {
      const s = this.find(id, "gauge");
      if (!s) return WasmResult.NotFound;
      s.value = value & U64;
      return WasmResult.Ok;
    }
    if (type === MetricType.Histogram) {
      const s = this.find(id, "histogram");
      if (!s) return WasmResult.NotFound;
      s.samples.push(value & U64);
      return WasmResult.Ok;
    }
    return WasmResult.NotFound;
  }

  /** proxy_get_metric: counters and gauges only. */
  get(id: number): { status: number; value?: bigint } {
    const type = id & 3;
    if (type === MetricType.Counter || type === MetricType.Gauge) {
      const s = this.find(id, type === 0 ? "counter" : "gauge");
      if (!s) return { status: WasmResult.NotFound };
      return { status: WasmResult.Ok, value: s.value };
    }
    return { status: WasmResult.BadArgument };
  }
}
