// The limits a counting engine needs to count what the filter sends (descriptors.ts):
// Limitador's limits file and envoyproxy/ratelimit's configuration. Each engine is read
// at a stated revision (docs/global-counters.md); what it cannot express is refused with
// the JSON path of the rate, never rounded.
import {
  COUNTER_KEY_PREFIX, LIMIT_KEY, type RateCounter, WINDOW_KEY, countersSettings, rateCounters, windowSeconds,
} from "./descriptors.ts";
import { type Path, formatPath } from "./errors.ts";
import type { PluginConfig } from "./spec.ts";

/** One limit of Limitador's limits file (Kuadrant/limitador, limitador/src/limit.rs). */
export interface LimitadorLimit {
  namespace: string;
  name: string;
  max_value: number;
  seconds: number;
  conditions: string[];
  variables: string[];
}

/** One node of envoyproxy/ratelimit's descriptor tree (src/config/config_impl.go, YamlDescriptor). */
export interface RatelimitDescriptor {
  key: string;
  value?: string;
  rate_limit?: { unit: RatelimitUnit; requests_per_unit: number };
  descriptors?: RatelimitDescriptor[];
}

export interface RatelimitConfig {
  domain: string;
  descriptors: RatelimitDescriptor[];
}

/** envoyproxy/ratelimit's units and their length (src/utils/utilities.go, UnitToDivider). */
export const RATELIMIT_UNITS = {
  second: 1, minute: 60, hour: 3600, day: 86_400, week: 604_800, month: 2_592_000, year: 31_536_000,
} as const;
export type RatelimitUnit = keyof typeof RATELIMIT_UNITS;

/** requests_per_unit is a uint32 in envoyproxy/ratelimit's YamlRateLimit. */
export const RATELIMIT_MAX_PER_UNIT = 4_294_967_295;

/** What an engine cannot count: the field of the plugin configuration, and why. */
export interface EngineProblem {
  path: Path;
  message: string;
}

export type EngineResult<T> = { value: T } | { errors: EngineProblem[] };

/** A problem as one line, `path: message`, the way the filter writes its own. */
export function problemLine(p: EngineProblem): string {
  return `${formatPath(p.path)}: ${p.message}`;
}

/** A CEL string literal in single quotes, as Limitador's CEL parser reads it. */
export function celString(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => "\\" + c).replace(/\n/g, "\\n").replace(/\r/g, "\\r")}'`;
}

/** `descriptors[0]['key']`: the value of `key` in the one descriptor of a Limitador request. */
export function limitadorEntry(key: string): string {
  return `descriptors[0][${celString(key)}]`;
}

/**
 * Limitador's limits for a configuration: one per rate, in namespace
 * `counters.service.domain` (default the key prefix), matching the descriptor whose
 * `tokenlimit_limit` is the limit's name and counting one counter per distinct value of
 * its `tokenlimit_counter_<i>` entries. Refused: a window that is not whole seconds
 * (Limitador's `seconds`), and two rates of a limit with the same window (Limitador
 * tells limits apart by namespace, seconds, conditions and variables only, so they would
 * be one counter).
 */
export function limitadorLimits(config: PluginConfig): EngineResult<LimitadorLimit[]> {
  const { domain } = countersSettings(config);
  const errors: EngineProblem[] = [];
  const limits: LimitadorLimit[] = [];
  const rates = rateCounters(config);
  for (const rate of rates) {
    const seconds = windowSeconds(rate);
    if (seconds === undefined) {
      errors.push({ path: [...rate.at, "window"], message: `Limitador counts windows in whole seconds, got ${JSON.stringify(rate.window)}` });
      continue;
    }
    const twin = sameWindowBefore(rates, rate);
    if (twin !== undefined) {
      errors.push({ path: [...rate.at, "window"], message: `same window as rates[${twin.rateIndex}] (${seconds}s): Limitador would count both rates in one counter; keep the smaller limit` });
      continue;
    }
    limits.push({
      namespace: domain,
      name: `${rate.limit}.rates[${rate.rateIndex}]`,
      max_value: rate.max,
      seconds,
      conditions: [`${limitadorEntry(LIMIT_KEY)} == ${celString(rate.limit)}`],
      variables: rate.counters.map((_, i) => limitadorEntry(COUNTER_KEY_PREFIX + i)),
    });
  }
  return errors.length > 0 ? { errors } : { value: limits };
}

/**
 * envoyproxy/ratelimit's configuration for a configuration: domain
 * `counters.service.domain` (default the key prefix), then per limit the tree
 * `tokenlimit_limit=<name>` -> `tokenlimit_window=<seconds>` -> `tokenlimit_counter_0`
 * -> ... (no value: one counter per distinct value), with the rate at the leaf. Refused:
 * a window that is not exactly one of the engine's units (it has no unit multiplier), a
 * limit above a uint32, two rates of a limit with the same window (a duplicate key).
 */
export function envoyRateLimitConfig(config: PluginConfig): EngineResult<RatelimitConfig> {
  const { domain } = countersSettings(config);
  const errors: EngineProblem[] = [];
  const byLimit = new Map<string, RatelimitDescriptor[]>();
  const rates = rateCounters(config);
  for (const rate of rates) {
    const seconds = windowSeconds(rate);
    const unit = (Object.keys(RATELIMIT_UNITS) as RatelimitUnit[]).find((u) => RATELIMIT_UNITS[u] === seconds);
    const problems: EngineProblem[] = [];
    if (unit === undefined) {
      problems.push({ path: [...rate.at, "window"], message: `envoy-ratelimit cannot count a window of ${rate.window}: its windows are exactly one ` +
        "second, minute, hour, day, week (7d), month (30d) or year (365d), with no multiplier" });
    }
    if (rate.max > RATELIMIT_MAX_PER_UNIT) {
      problems.push({ path: [...rate.at, "limit"], message: `envoy-ratelimit counts at most ${RATELIMIT_MAX_PER_UNIT} per unit (requests_per_unit is a uint32), got ${rate.max}` });
    }
    const twin = sameWindowBefore(rates, rate);
    if (twin !== undefined && unit !== undefined) {
      problems.push({ path: [...rate.at, "window"], message: `same window as rates[${twin.rateIndex}] (${rate.window}): envoy-ratelimit refuses a duplicate descriptor; keep the smaller limit` });
    }
    errors.push(...problems);
    if (problems.length > 0 || unit === undefined) continue;

    const leaf = { unit, requests_per_unit: rate.max };
    const chain = rate.counters.reduceRight<RatelimitDescriptor | undefined>((inner, _, i) => ({
      key: COUNTER_KEY_PREFIX + i,
      ...(inner === undefined ? { rate_limit: leaf } : { descriptors: [inner] }),
    }), undefined);
    const windowNode: RatelimitDescriptor = {
      key: WINDOW_KEY, value: String(seconds),
      ...(chain === undefined ? { rate_limit: leaf } : { descriptors: [chain] }),
    };
    const windows = byLimit.get(rate.limit) ?? [];
    windows.push(windowNode);
    byLimit.set(rate.limit, windows);
  }
  if (errors.length > 0) return { errors };
  const descriptors = [...byLimit].map(([name, windows]) => ({ key: LIMIT_KEY, value: name, descriptors: windows }));
  return { value: { domain, descriptors } };
}

/** An earlier rate of the same limit with the same window, if any. */
function sameWindowBefore(rates: RateCounter[], rate: RateCounter): RateCounter | undefined {
  return rates.find((r) => r.limit === rate.limit && r.rateIndex < rate.rateIndex && r.windowMs === rate.windowMs);
}
