// What the filter sends a rate-limit service for a policy, and what the service must be
// configured with to count it: the descriptor model shared by `render --format limitador`,
// `render --format envoy-ratelimit`, the controller and the tests' rate-limit service.
//
// A counter is (limit, rate, counter values). The filter describes it with entries in this
// order: `tokenlimit_limit` (the limit's name), `tokenlimit_window` (the rate's window in
// whole seconds; envoy-rls only, because each envoyproxy/ratelimit descriptor maps to
// exactly one rate), then `tokenlimit_counter_0`, `tokenlimit_counter_1`, ... (the values
// of the limit's `counters` expressions, in order). Keys use underscores because
// Limitador's conditions name them in CEL.
//
// Runs on a configuration the filter has accepted: the windows and limits are valid.
import { type Path, formatPath } from "./errors.ts";
import type { PluginConfig } from "./spec.ts";

export const LIMIT_KEY = "tokenlimit_limit";
export const WINDOW_KEY = "tokenlimit_window";
export const COUNTER_KEY_PREFIX = "tokenlimit_counter_";

/** The counters backends the filter knows; render writes engine limits for the two services. */
export type Backend = "local" | "limitador" | "envoy-rls";
export type ServiceBackend = Exclude<Backend, "local">;

/** One rate of one limit, as a counting engine needs it. */
export interface RateCounter {
  /** The limit's name (its key in `limits`), sent as `tokenlimit_limit`. */
  limit: string;
  /** Index of the rate in the limit's `rates`. */
  rateIndex: number;
  /** The JSON path of the rate as the filter writes paths, e.g. `limits.free.rates[0]`, for messages. */
  path: string;
  /** The same path as parts, to locate it in a manifest. */
  at: Path;
  /** Tokens allowed per window. */
  max: number;
  /** The window as written (`24h`) and in milliseconds. */
  window: string;
  windowMs: number;
  /** The limit's `counters` expressions, in order: one descriptor entry each. */
  counters: string[];
}

/** A descriptor entry as the filter sends it. */
export interface Entry {
  key: string;
  value: string;
}

/** The counters section as the filter reads it, defaults applied. */
export interface CountersSettings {
  backend: Backend;
  keyPrefix: string;
  /** The Limitador namespace or RLS domain: `counters.service.domain`, else the key prefix. */
  domain: string;
}

const DEFAULT_KEY_PREFIX = "tokenlimit";

/** The `counters` section of a configuration, with the filter's defaults. */
export function countersSettings(config: PluginConfig): CountersSettings {
  const counters = record(config.counters);
  const backend = (typeof counters.backend === "string" ? counters.backend : "local") as Backend;
  const keyPrefix = typeof counters.keyPrefix === "string" ? counters.keyPrefix : DEFAULT_KEY_PREFIX;
  const service = record(counters.service);
  const domain = typeof service.domain === "string" ? service.domain : keyPrefix;
  return { backend, keyPrefix, domain };
}

/**
 * Every rate of every limit of the configuration, limits in name order (the filter's
 * evaluation order), rates in the order written. The limits are `limits`, or those of
 * `defaults` or `overrides` (the filter enforces the one block a configuration has).
 */
export function rateCounters(config: PluginConfig): RateCounter[] {
  const [block, prefix] = config.limits !== undefined ? [config.limits, ["limits"]]
    : record(config.defaults).limits !== undefined ? [record(config.defaults).limits, ["defaults", "limits"]]
    : [record(config.overrides).limits, ["overrides", "limits"]];
  const limits = record(block);
  const out: RateCounter[] = [];
  for (const name of Object.keys(limits).sort(byCodeUnits)) {
    const limit = record(limits[name]);
    const counters = (Array.isArray(limit.counters) ? limit.counters : []).map((c) => String(record(c).expression));
    const rates = Array.isArray(limit.rates) ? limit.rates : [];
    rates.forEach((r, rateIndex) => {
      const rate = record(r);
      const window = String(rate.window);
      out.push({
        limit: name, rateIndex, path: formatPath([...prefix, name, "rates", rateIndex]), at: [...prefix, name, "rates", rateIndex],
        max: Number(rate.limit), window, windowMs: durationMs(window), counters,
      });
    });
  }
  return out;
}

/** The descriptor keys for a rate, in the order the filter sends them. */
export function descriptorKeys(rate: RateCounter, backend: ServiceBackend): string[] {
  const keys = [LIMIT_KEY];
  if (backend === "envoy-rls") keys.push(WINDOW_KEY);
  rate.counters.forEach((_, i) => keys.push(COUNTER_KEY_PREFIX + i));
  return keys;
}

/**
 * The descriptor the filter sends for `rate` when its counter expressions evaluate to
 * `values` (one per expression, as the key text the local backend uses). Undefined when
 * the number of values is not the number of expressions.
 */
export function descriptorFor(rate: RateCounter, backend: ServiceBackend, values: string[]): Entry[] | undefined {
  if (values.length !== rate.counters.length) return undefined;
  const entries: Entry[] = [{ key: LIMIT_KEY, value: rate.limit }];
  if (backend === "envoy-rls") entries.push({ key: WINDOW_KEY, value: String(windowSeconds(rate)) });
  values.forEach((value, i) => entries.push({ key: COUNTER_KEY_PREFIX + i, value }));
  return entries;
}

/** The window in whole seconds, or undefined when it is not a whole number of seconds (`1500ms`). */
export function windowSeconds(rate: RateCounter): number | undefined {
  return rate.windowMs % 1000 === 0 ? rate.windowMs / 1000 : undefined;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds of a duration the filter accepted (`24h`, `1h30m`, `500ms`, `1d`): the sum
 * of its `<integer><unit>` parts. NaN for text that is not one (never the case after the
 * filter's check).
 */
export function durationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return NaN;
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]], 0);
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Limit names sort by UTF-16 code units, as the filter sorts them. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
