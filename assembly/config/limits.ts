// `limits` (and `when`) as in a Kuadrant TokenRateLimitPolicy: named limits, each with
// rates, predicates and counter expressions. Expressions are kept as source text plus
// the JSON path they came from, so the CEL compiler can report errors at that path.

import { Value, MapValue, Kind } from "../cel/value";
import { pathKey, pathIndex, quoteJson } from "../json/path";
import { ConfigReader, describe, MAX_SAFE_INTEGER } from "./reader";
import { parseDuration, DURATION_EXAMPLES } from "./duration";
import { TokenKind, TOKEN_KIND_NAMES } from "../usage/cost";
import { AlertThreshold, readAlertThresholds } from "./alerts";

/** A CEL expression from the configuration and where it was written. */
export class Expression {
  constructor(
    /** The CEL source text (never empty). */
    public source: string,
    /** JSON path of the string, e.g. `limits.free.when[1].predicate`. */
    public path: string,
  ) {}
}

// Which tokens a limit counts (our extension: Kuadrant counts the total).
export { TokenKind };

/** One `rates[]` entry: at most `limit` tokens per fixed window of `windowMs`. */
export class RateConfig {
  limit: i64 = 0;
  windowMs: i64 = 0;
  /** The window as written (`24h`), for metrics and messages. */
  window: string = "";
  /** JSON path of this rate, e.g. `limits.free.rates[0]`. */
  path: string = "";
}

/** One named limit. */
export class LimitConfig {
  /** The key under `limits`; [A-Za-z0-9_.-]+, used in metrics and counter keys. */
  name: string = "";
  rates: Array<RateConfig> = new Array<RateConfig>();
  /** Predicates that must all hold for the limit to apply (with the top-level `when`). */
  when: Array<Expression> = new Array<Expression>();
  /** Expressions whose values, in order, tell counters apart (e.g. per user). */
  counters: Array<Expression> = new Array<Expression>();
  tokens: TokenKind = TokenKind.Total;
  /** Budget alert thresholds, checked on every rate's counter when a charge lands. */
  alerts: Array<AlertThreshold> = new Array<AlertThreshold>();
  /** Counts and alerts, never refuses (our extension). */
  soft: bool = false;
  /** JSON path of this limit, e.g. `limits.free`. */
  path: string = "";
}

export const MAX_LIMIT_NAME_LENGTH: i32 = 128;
const LIMIT_FIELDS: Array<string> = ["rates", "when", "counters", "tokens", "alerts", "soft"];
const RATE_FIELDS: Array<string> = ["limit", "window"];

/**
 * Reads the `limits` map at `path`. Returns the limits sorted by name (the order in
 * which the filter evaluates them); problems go to `r`.
 */
export function readLimits(r: ConfigReader, v: Value | null, path: string): Array<LimitConfig> {
  const out = new Array<LimitConfig>();
  if (v === null) { r.error(path, "required"); return out; }
  const map = v.map;
  if (v.kind != Kind.Map || map === null) {
    r.error(path, "expected an object mapping limit names to limits, got " + describe(v));
    return out;
  }
  if (map.size == 0) { r.error(path, "must contain at least one limit"); return out; }
  for (let i = 0, n = map.keys.length; i < n; i++) {
    const name = unchecked(map.keys[i]).str;
    const limitPath = pathKey(path, name);
    if (!isLimitName(name)) {
      r.error(limitPath, "invalid limit name " + quoteJson(name) + " (expected 1 to " +
        MAX_LIMIT_NAME_LENGTH.toString() + " letters, digits, '_', '.' or '-')");
    }
    const limit = readLimit(r, unchecked(map.values[i]), limitPath);
    if (limit !== null) { limit.name = name; out.push(limit); }
  }
  out.sort((a: LimitConfig, b: LimitConfig): i32 => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

function readLimit(r: ConfigReader, v: Value, path: string): LimitConfig | null {
  const obj = r.object(v, path, LIMIT_FIELDS);
  if (obj === null) return null;
  const limit = new LimitConfig();
  limit.path = path;
  const rates = r.array(obj, "rates", path);
  const ratesPath = pathKey(path, "rates");
  if (rates === null) {
    if (r.member(obj, "rates") === null) r.error(ratesPath, "required");
  } else if (rates.length == 0) {
    r.error(ratesPath, "must contain at least one rate");
  } else {
    for (let i = 0; i < rates.length; i++) {
      const rate = readRate(r, unchecked(rates[i]), pathIndex(ratesPath, i));
      if (rate !== null) limit.rates.push(rate);
    }
  }
  limit.when = readExpressions(r, obj, "when", "predicate", path);
  limit.counters = readExpressions(r, obj, "counters", "expression", path);
  limit.tokens = <TokenKind>r.oneOf(obj, "tokens", path, TOKEN_KIND_NAMES, TokenKind.Total);
  limit.alerts = readAlertThresholds(r, obj, path);
  limit.soft = r.boolean(obj, "soft", path, false);
  if (limit.soft && limit.alerts.length == 0 && r.member(obj, "alerts") === null) {
    r.warn(pathKey(path, "soft"), "a soft limit refuses nothing; without alerts it only counts (add alerts to be told when it is crossed)");
  }
  return limit;
}

function readRate(r: ConfigReader, v: Value, path: string): RateConfig | null {
  const obj = r.object(v, path, RATE_FIELDS);
  if (obj === null) return null;
  const rate = new RateConfig();
  rate.path = path;
  const limit = r.required(obj, "limit", path);
  if (limit !== null) rate.limit = r.integerValue(limit, pathKey(path, "limit"), 0, 1, MAX_SAFE_INTEGER);
  const window = r.required(obj, "window", path);
  if (window !== null) {
    const windowPath = pathKey(path, "window");
    if (window.kind != Kind.String) {
      r.error(windowPath, "expected a duration string (" + DURATION_EXAMPLES + "), got " + describe(window));
    } else {
      const d = parseDuration(window.str);
      if (d.error.length > 0) r.error(windowPath, d.error);
      rate.window = window.str;
      rate.windowMs = d.ms;
    }
  }
  return rate;
}

/**
 * Reads `obj[key]`, an array of `{ "<field>": "<CEL>" }` (Kuadrant's `when` and
 * `counters`), into expressions with their paths. Absent means none.
 */
export function readExpressions(r: ConfigReader, obj: MapValue, key: string, field: string, path: string): Array<Expression> {
  const out = new Array<Expression>();
  const items = r.array(obj, key, path);
  if (items === null) return out;
  const listPath = pathKey(path, key);
  const fields = [field];
  for (let i = 0; i < items.length; i++) {
    const item = unchecked(items[i]);
    const itemPath = pathIndex(listPath, i);
    if (item.kind != Kind.Map) {
      r.error(itemPath, "expected an object like {\"" + field + "\": \"<CEL expression>\"}, got " + describe(item));
      continue;
    }
    const entry = r.object(item, itemPath, fields);
    if (entry === null) continue;
    const e = readExpression(r, entry, field, itemPath, true);
    if (e !== null) out.push(e);
  }
  return out;
}

/** A CEL expression string at `obj[key]`: non-empty; `required` reports absence. */
export function readExpression(r: ConfigReader, obj: MapValue, key: string, path: string, required: bool): Expression | null {
  const v = required ? r.required(obj, key, path) : r.member(obj, key);
  if (v === null) return null;
  const exprPath = pathKey(path, key);
  if (v.kind != Kind.String) {
    r.error(exprPath, "expected a CEL expression string, got " + describe(v));
    return null;
  }
  if (isBlank(v.str)) {
    r.error(exprPath, "must not be empty");
    return null;
  }
  return new Expression(v.str, exprPath);
}

/** True for a valid limit name: 1..128 of [A-Za-z0-9_.-]. */
export function isLimitName(name: string): bool {
  const n = name.length;
  if (n == 0 || n > MAX_LIMIT_NAME_LENGTH) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
      c == 0x5f || c == 0x2e || c == 0x2d;
    if (!ok) return false;
  }
  return true;
}

function isBlank(s: string): bool {
  for (let i = 0, n = s.length; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) return false;
  }
  return true;
}
