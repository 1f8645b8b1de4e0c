// The plugin configuration Envoy passes to on_configure: the `spec` of a Kuadrant
// TokenRateLimitPolicy, verbatim, plus optional settings of this filter. Reading it
// reports every problem at once, one line each, naming the JSON path.

import { Value, MapValue } from "../cel/value";
import { parseJsonBytes } from "../json/parse";
import { pathKey, quoteJson } from "../json/path";
import { ConfigReader } from "./reader";
import { LimitConfig, Expression, readLimits, readExpressions } from "./limits";
import { IdentityConfig, readIdentity } from "./identity";
import { UsageConfig, readUsage, readDataExtraction, checkUsage } from "./usage";
import { CostConfig, readCost } from "./cost";
import { AdmissionConfig, readAdmission } from "./admission";
import { ResponseConfig, readResponse } from "./response";
import { CountersConfig, CounterBackend, readCounters, checkServiceWindows } from "./counters";

export { CountersConfig, CounterBackend, COUNTER_BACKEND_NAMES } from "./counters";
import { AlertsConfig, readAlertsConfig } from "./alerts";

/**
 * A counter expression that cannot be evaluated for a request a limit's `when` selected:
 * the limit is skipped, or the request refused (the default: a limit that cannot tell
 * callers apart must not let them through unmetered).
 */
export enum OnCounterError { Skip = 0, Reject = 1 }
export const ON_COUNTER_ERROR_NAMES: Array<string> = ["skip", "reject"];

/** When the filter cannot decide (counter store error): let the request through, or deny it. */
export enum FailureMode { Allow = 0, Deny = 1 }
export const FAILURE_MODE_NAMES: Array<string> = ["allow", "deny"];

export class PluginConfig {
  /** Sorted by name: the order in which limits are evaluated, reported and keyed. */
  limits: Array<LimitConfig> = new Array<LimitConfig>();
  /** Top-level predicates: all must hold for any limit to apply. */
  when: Array<Expression> = new Array<Expression>();
  identity: IdentityConfig = new IdentityConfig();
  usage: UsageConfig = new UsageConfig();
  cost: CostConfig = new CostConfig();
  admission: AdmissionConfig = new AdmissionConfig();
  onCounterError: OnCounterError = OnCounterError.Reject;
  failureMode: FailureMode = FailureMode.Allow;
  /** Decide and report, but never reject. */
  dryRun: bool = false;
  response: ResponseConfig = new ResponseConfig();
  counters: CountersConfig = new CountersConfig();
  /** Where budget alerts are sent (the thresholds are per limit). */
  alerts: AlertsConfig = new AlertsConfig();
  /** Each request's charge as filter state for the access log (`accessLog.filterState`). */
  accessLogFilterState: bool = true;
  /** A response trailer carrying the tokens charged (`accessLog.responseTrailer`); "" for none. */
  chargeTrailer: string = "";

  /**
   * Every CEL expression, for compiling at configure time: the top-level `when`, then
   * per limit (by name) its `when` and `counters`, then `cost.expression`.
   */
  expressions(): Array<Expression> {
    const out = new Array<Expression>();
    appendAll(out, this.when);
    for (let i = 0; i < this.limits.length; i++) {
      const l = unchecked(this.limits[i]);
      appendAll(out, l.when);
      appendAll(out, l.counters);
    }
    const cost = this.cost.expression;
    if (cost !== null) out.push(cost);
    return out;
  }
}

/** The outcome of reading a configuration: `config`, or null and at least one error. */
export class ConfigResult {
  config: PluginConfig | null = null;
  /** One line per problem: `<json path>: <what was expected>, got <what was there>`. */
  errors: Array<string> = new Array<string>();
  /** Accepted but worth a log line (ignored Kuadrant fields). */
  warnings: Array<string> = new Array<string>();
  /**
   * What could be read even when there were errors (null only for invalid JSON), so that
   * the expressions found can still be compiled and their errors reported in the same run.
   */
  partial: PluginConfig | null = null;
}

/** Largest configuration accepted, in bytes. */
export const MAX_CONFIG_BYTES: i32 = 4 << 20;
/** Deepest JSON nesting accepted in a configuration (the schema needs 5). */
export const MAX_CONFIG_DEPTH: i32 = 32;

const TOP_FIELDS: Array<string> = [
  "limits", "when", "defaults", "overrides", "dataExtraction", "identity", "usage", "cost",
  "admission", "onCounterError", "failureMode", "dryRun", "response", "counters", "alerts", "accessLog",
];
const ACCESS_LOG_FIELDS: Array<string> = ["filterState", "responseTrailer"];
const TOLERATED_FIELDS: Array<string> = ["targetRef"];
const MERGEABLE_FIELDS: Array<string> = ["limits", "when", "strategy", "dataExtraction"];

// The buffer `parseConfigBuffer` is reading: reading allocates, so the collector may
// run, and the JSON parser holds the bytes only by address. A global is a GC root.
let readingText: ArrayBuffer | null = null;

/** Reads a configuration from text. See `parseConfigBytes`. */
export function parseConfig(text: string): ConfigResult {
  return parseConfigBuffer(String.UTF8.encode(text));
}

/**
 * Reads the configuration in `buffer` (UTF-8), keeping it reachable while reading.
 * See `parseConfigBytes`.
 */
export function parseConfigBuffer(buffer: ArrayBuffer): ConfigResult {
  readingText = buffer;
  const result = parseConfigBytes(changetype<usize>(buffer), <usize>buffer.byteLength);
  readingText = null;
  return result;
}

/**
 * Reads the configuration in the `len` UTF-8 bytes at `ptr`. Empty (or blank) input
 * and `{}` are errors (`limits: required`); invalid JSON is one error naming the
 * offset, line and column. Otherwise every problem found is reported; `config` is set
 * only when there are none, with every default filled in. Allocates; never traps.
 */
export function parseConfigBytes(ptr: usize, len: usize): ConfigResult {
  const result = new ConfigResult();
  const r = new ConfigReader();
  if (isBlank(ptr, len)) {
    r.error("limits", "required");
    result.errors = r.errors;
    return result;
  }
  const parsed = parseJsonBytes(ptr, len, MAX_CONFIG_DEPTH, MAX_CONFIG_BYTES);
  const root = parsed.value;
  if (root === null) {
    result.errors.push(jsonErrorLine(ptr, len, parsed.error, parsed.position));
    return result;
  }
  for (let i = 0; i < parsed.duplicateKeys.length; i++) {
    r.error(unchecked(parsed.duplicateKeys[i]), "duplicate key (each key may appear only once)");
  }
  const config = readPlugin(r, root);
  result.errors = r.errors;
  result.warnings = r.warnings;
  result.partial = config;
  if (r.errors.length == 0) result.config = config;
  return result;
}

function readPlugin(r: ConfigReader, root: Value): PluginConfig {
  const config = new PluginConfig();
  const obj = r.object(root, "", TOP_FIELDS, TOLERATED_FIELDS);
  if (obj === null) return config;
  if (r.member(obj, "targetRef") !== null) r.warn("targetRef", "ignored (the filter applies to the traffic of the listener or route it is configured on)");

  // Kuadrant: `limits` or `defaults` or `overrides` (each a set of limits); one policy
  // on its own means the same with any of them.
  let source = obj;
  let sourcePath = "";
  const mergeable = pickMergeable(r, obj);
  if (mergeable !== null) {
    sourcePath = mergeable;
    const inner = r.member(obj, mergeable);
    if (inner === null) return config;
    const innerObj = r.object(inner, sourcePath, MERGEABLE_FIELDS);
    if (innerObj === null) return config;
    source = innerObj;
    const errorsBefore = r.errors.length;
    r.oneOf(innerObj, "strategy", sourcePath, ["atomic", "merge"], 0);
    if (r.member(innerObj, "strategy") !== null && r.errors.length == errorsBefore) {
      r.warn(pathKey(sourcePath, "strategy"), "ignored (it matters only when Kuadrant merges several policies)");
    }
  }
  config.limits = readLimits(r, r.member(source, "limits"), pathKey(sourcePath, "limits"));
  config.when = readExpressions(r, obj, "when", "predicate", "");
  if (mergeable !== null) {
    const more = readExpressions(r, source, "when", "predicate", sourcePath);
    for (let i = 0; i < more.length; i++) config.when.push(unchecked(more[i]));
  }
  config.identity = readIdentity(r, r.member(obj, "identity"), "identity");
  config.usage = readUsage(r, r.member(obj, "usage"), "usage");
  readDataExtraction(r, r.member(obj, "dataExtraction"), "dataExtraction", config.usage);
  if (mergeable !== null) readDataExtraction(r, r.member(source, "dataExtraction"), pathKey(sourcePath, "dataExtraction"), config.usage);
  checkUsage(r, config.usage, "usage");
  config.cost = readCost(r, r.member(obj, "cost"), "cost");
  config.admission = readAdmission(r, r.member(obj, "admission"), "admission");
  config.onCounterError = <OnCounterError>r.oneOf(obj, "onCounterError", "", ON_COUNTER_ERROR_NAMES, OnCounterError.Reject);
  config.failureMode = <FailureMode>r.oneOf(obj, "failureMode", "", FAILURE_MODE_NAMES, FailureMode.Allow);
  config.dryRun = r.boolean(obj, "dryRun", "", false);
  config.response = readResponse(r, r.member(obj, "response"), "response");
  config.counters = readCounters(r, r.member(obj, "counters"), "counters");
  checkServiceWindows(r, config.limits, config.counters);
  checkLocalOnly(r, config.limits, config.counters);
  config.alerts = readAlertsConfig(r, r.member(obj, "alerts"), "alerts");
  if (config.alerts.webhook !== null && !anyAlerts(config.limits)) {
    r.warn("alerts.webhook", "no limit has alerts, so nothing is ever sent (add \"alerts\": [{\"at\": \"80%\"}] to a limit)");
  }
  const accessLog = r.member(obj, "accessLog");
  if (accessLog !== null) {
    const a = r.object(accessLog, "accessLog", ACCESS_LOG_FIELDS);
    if (a !== null) {
      config.accessLogFilterState = r.boolean(a, "filterState", "accessLog", true);
      const trailer = r.string(a, "responseTrailer", "accessLog", "");
      if (r.member(a, "responseTrailer") !== null && !isTrailerName(trailer)) {
        r.error("accessLog.responseTrailer", "expected a lower-case header name of 1 to 64 letters, digits or '-' (e.g. x-tokenlimit-charged), got " + quoteJson(trailer));
      } else config.chargeTrailer = trailer;
    }
  }
  return config;
}

/**
 * Budget alerts and soft limits act on each charge's counter value, which only the local
 * backend sees: on a rate-limit service they would silently do nothing, so they are refused.
 */
function checkLocalOnly(r: ConfigReader, limits: Array<LimitConfig>, counters: CountersConfig): void {
  if (counters.backend == CounterBackend.Local) return;
  for (let i = 0; i < limits.length; i++) {
    const l = unchecked(limits[i]);
    const path = pathKey("limits", l.name);
    if (l.alerts.length > 0) {
      r.error(pathKey(path, "alerts"), "budget alerts need counters.backend \"local\" (a rate-limit service does not tell the counter's value at each charge)");
    }
    if (l.soft) r.error(pathKey(path, "soft"), "a soft limit needs counters.backend \"local\" (a rate-limit service refuses on its own)");
  }
}

/** A trailer name the filter may add: lower case, so it is the same name in HTTP/1.1 and HTTP/2. */
function isTrailerName(s: string): bool {
  const n = s.length;
  if (n == 0 || n > 64) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d)) return false;
  }
  return true;
}

function anyAlerts(limits: Array<LimitConfig>): bool {
  for (let i = 0; i < limits.length; i++) if (unchecked(limits[i]).alerts.length > 0) return true;
  return false;
}

/** "defaults" or "overrides" when one of them is used instead of `limits`; null otherwise. */
function pickMergeable(r: ConfigReader, obj: MapValue): string | null {
  const hasLimits = r.member(obj, "limits") !== null;
  const hasDefaults = r.member(obj, "defaults") !== null;
  const hasOverrides = r.member(obj, "overrides") !== null;
  if (hasDefaults && hasOverrides) {
    r.error("overrides", "cannot be used together with defaults (set one)");
    return "defaults";
  }
  if (!hasDefaults && !hasOverrides) return null;
  const which = hasDefaults ? "defaults" : "overrides";
  if (hasLimits) {
    r.error(which, "cannot be used together with limits (set one)");
    return null;
  }
  return which;
}

/** `invalid JSON at offset N (line L, column C): message` — columns count bytes. */
function jsonErrorLine(ptr: usize, len: usize, message: string, position: i32): string {
  let line = 1, column = 1;
  const end = min(<usize>position, len);
  for (let i: usize = 0; i < end; i++) {
    if (load<u8>(ptr + i) == 0x0a) { line++; column = 1; } else column++;
  }
  return "invalid JSON at offset " + position.toString() + " (line " + line.toString() + ", column " +
    column.toString() + "): " + message;
}

/** True when the `len` bytes at `ptr` are only JSON whitespace (or there are none). */
export function isBlank(ptr: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(ptr + i);
    if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) return false;
  }
  return true;
}

function appendAll(out: Array<Expression>, items: Array<Expression>): void {
  for (let i = 0; i < items.length; i++) out.push(unchecked(items[i]));
}
