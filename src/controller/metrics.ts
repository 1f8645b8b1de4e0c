// The controller's own metrics, in the Prometheus text format served on /metrics.

type Labels = Record<string, string>;

interface Family {
  type: "counter" | "gauge" | "summary";
  help: string;
  samples: Map<string, number>;
}

export class Metrics {
  private readonly families = new Map<string, Family>();

  constructor() {
    this.define("tokenlimit_controller_reconciles_total", "counter", "Reconciliations, by result (success, error, standby: not the leader).");
    this.define("tokenlimit_controller_reconcile_duration_seconds", "summary", "Time spent reconciling.");
    this.define("tokenlimit_controller_writes_total", "counter", "Writes to the API server, by object, operation and result.");
    this.define("tokenlimit_controller_watch_restarts_total", "counter", "Watches started again, by resource and reason (closed, expired, error).");
    this.define("tokenlimit_controller_leader", "gauge", "1 while this replica holds the lease.");
    this.define("tokenlimit_controller_wasmplugins", "gauge", "WasmPlugins the controller keeps.");
    this.define("tokenlimit_controller_policies", "gauge", "TokenRateLimitPolicies, by the reason of their Accepted condition.");
    this.define("tokenlimit_controller_filter_verdicts", "gauge", "Configurations the filter has judged and the controller remembers.");
  }

  private define(name: string, type: Family["type"], help: string): void {
    this.families.set(name, { type, help, samples: new Map() });
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    const f = this.family(name);
    const k = labelText(labels);
    f.samples.set(k, (f.samples.get(k) ?? 0) + by);
  }

  set(name: string, value: number, labels: Labels = {}): void {
    this.family(name).samples.set(labelText(labels), value);
  }

  /** Sets a gauge's samples to exactly these (labels not listed are dropped). */
  replace(name: string, values: [Labels, number][]): void {
    const f = this.family(name);
    f.samples.clear();
    for (const [labels, v] of values) f.samples.set(labelText(labels), v);
  }

  /** Adds one observation to a summary (its _sum and _count). */
  observe(name: string, value: number): void {
    const f = this.family(name);
    f.samples.set("_sum", (f.samples.get("_sum") ?? 0) + value);
    f.samples.set("_count", (f.samples.get("_count") ?? 0) + 1);
  }

  get(name: string, labels: Labels = {}): number {
    return this.family(name).samples.get(labelText(labels)) ?? 0;
  }

  /** The text exposition format, families in definition order, samples sorted. */
  text(): string {
    let out = "";
    for (const [name, f] of this.families) {
      out += `# HELP ${name} ${f.help}\n# TYPE ${name} ${f.type}\n`;
      for (const k of [...f.samples.keys()].sort()) out += `${name}${k} ${f.samples.get(k)}\n`;
    }
    return out;
  }

  private family(name: string): Family {
    const f = this.families.get(name);
    if (f === undefined) throw new Error(`unknown metric ${name}`);
    return f;
  }
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1));
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`))}"`).join(",")}}`;
}
