// envoyproxy/ratelimit's configuration file (YAML: domain, a tree of descriptors, a
// rate_limit at a node), the subset tokenlimit renders, and its lookup of a request
// descriptor's limit, as in src/config/config_impl.go (loadDescriptors, GetLimit) at
// envoyproxy/ratelimit f2fb15770f7fd1c88ca6c3a1b58ee513917ace96.
import { parse } from "yaml";

/** The units the engine knows, as seconds (src/utils/utilities.go UnitToDivider). */
export const UNIT_SECONDS: Readonly<Record<string, number>> = {
  SECOND: 1, MINUTE: 60, HOUR: 3600, DAY: 86_400, WEEK: 604_800, MONTH: 2_592_000, YEAR: 31_536_000,
};

/** The response's unit enum values (rls.proto RateLimitResponse.RateLimit.Unit). */
export const UNIT_ENUM: Readonly<Record<string, number>> = { SECOND: 1, MINUTE: 2, HOUR: 3, DAY: 4, WEEK: 7, MONTH: 5, YEAR: 6 };

export interface EnvoyRateLimit {
  requestsPerUnit: number;
  /** Upper-case unit name, e.g. "MINUTE". */
  unit: string;
  unlimited: boolean;
  shadowMode: boolean;
  name: string;
  /** The node's path, e.g. "tokenlimit.tokenlimit_limit_daily.tokenlimit_window_86400". */
  fullKey: string;
}

interface Node {
  children: Map<string, Node>;
  limit: EnvoyRateLimit | null;
}

/** The keys the engine accepts anywhere in the file (validKeys); `metadata` is not in this subset. */
const VALID_KEYS = new Set(["domain", "key", "value", "descriptors", "rate_limit", "unit", "requests_per_unit", "unlimited", "shadow_mode", "quota_mode", "name", "replaces", "detailed_metric", "value_to_metric", "share_threshold"]);
/** Keys the engine knows that this service does not implement: refused rather than ignored. */
const UNSUPPORTED = new Set(["quota_mode", "replaces", "value_to_metric", "share_threshold"]);

function validateKeys(file: string, v: unknown): void {
  if (Array.isArray(v)) v.forEach((x) => validateKeys(file, x));
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (!VALID_KEYS.has(k)) throw new Error(`${file}: config error, unknown key '${k}'`);
      if (UNSUPPORTED.has(k)) throw new Error(`${file}: '${k}' is not supported by the test rate-limit service`);
      validateKeys(file, x);
    }
  }
}

/** The loaded configuration: domains, each a descriptor tree. */
export class EnvoyRateLimitConfig {
  private readonly domains = new Map<string, Node>();

  /** Loads one or more config files (YAML text); throws the engine's message for what it refuses. */
  static load(files: ReadonlyArray<{ name: string; text: string }>): EnvoyRateLimitConfig {
    const cfg = new EnvoyRateLimitConfig();
    for (const f of files) cfg.add(f.name, f.text);
    return cfg;
  }

  private add(file: string, text: string): void {
    const root = parse(text) as { domain?: unknown; descriptors?: unknown } | null;
    if (!root || typeof root !== "object") throw new Error(`${file}: not a YAML mapping`);
    validateKeys(file, root);
    if (typeof root.domain !== "string" || root.domain === "") throw new Error(`${file}: config file cannot have empty domain`);
    if (this.domains.has(root.domain)) throw new Error(`${file}: duplicate domain '${root.domain}' in config file`);
    const node: Node = { children: new Map(), limit: null };
    this.loadDescriptors(file, node, `${root.domain}.`, root.descriptors ?? []);
    this.domains.set(root.domain, node);
  }

  private loadDescriptors(file: string, parent: Node, parentKey: string, list: unknown): void {
    if (!Array.isArray(list)) throw new Error(`${file}: descriptors of '${parentKey}' must be a list`);
    for (const d of list as Array<Record<string, unknown>>) {
      const key = d.key === undefined || d.key === null ? "" : String(d.key);
      if (key === "") throw new Error(`${file}: descriptor has empty key`);
      const value = d.value === undefined || d.value === null ? "" : String(d.value);
      if (value.includes("*")) throw new Error(`${file}: wildcard values are not supported by the test rate-limit service ('${key}_${value}')`);
      const finalKey = value === "" ? key : `${key}_${value}`;
      const fullKey = parentKey + finalKey;
      if (parent.children.has(finalKey)) throw new Error(`${file}: duplicate descriptor composite key '${fullKey}'`);
      const node: Node = { children: new Map(), limit: null };
      const rl = d.rate_limit as Record<string, unknown> | undefined;
      if (rl) {
        const unlimited = rl.unlimited === true;
        const unit = String(rl.unit ?? "").toUpperCase();
        const validUnit = unit in UNIT_SECONDS;
        if (unlimited && validUnit) throw new Error(`${file}: should not specify rate limit unit when unlimited`);
        if (!unlimited && !validUnit) throw new Error(`${file}: invalid rate limit unit '${String(rl.unit ?? "")}'`);
        const rpu = Number(rl.requests_per_unit ?? 0);
        if (!Number.isInteger(rpu) || rpu < 0 || rpu > 0xffffffff) throw new Error(`${file}: requests_per_unit of '${fullKey}' must be a uint32`);
        node.limit = { requestsPerUnit: rpu, unit, unlimited, shadowMode: d.shadow_mode === true, name: String(rl.name ?? ""), fullKey };
      }
      if (d.descriptors !== undefined) this.loadDescriptors(file, node, `${fullKey}.`, d.descriptors);
      parent.children.set(finalKey, node);
    }
  }

  /**
   * The limit for one request descriptor (GetLimit): walk the tree entry by entry, trying
   * `key_value` then `key`; the limit is the one on the node of the last entry, if any.
   */
  getLimit(domain: string, entries: ReadonlyArray<{ key: string; value: string }>): EnvoyRateLimit | null {
    const root = this.domains.get(domain);
    if (!root) return null;
    let children = root.children;
    let found: EnvoyRateLimit | null = null;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const next = children.get(`${e.key}_${e.value}`) ?? children.get(e.key);
      if (next?.limit && i === entries.length - 1) found = next.limit;
      if (!next || next.children.size === 0) break;
      children = next.children;
    }
    return found;
  }
}
