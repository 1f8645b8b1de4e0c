// `counters`: where counters live. "local" keeps them in this proxy's shared data;
// "limitador" and "envoy-rls" count in a rate-limit service every replica shares, reached
// over gRPC through the Envoy cluster named in `counters.service`.

import { Value, MapValue, Kind } from "../cel/value";
import { pathKey } from "../json/path";
import { ConfigReader, describe } from "./reader";
import { parseDuration, DURATION_EXAMPLES, MS_PER_SECOND, MS_PER_MINUTE, MS_PER_HOUR } from "./duration";
import { LimitConfig } from "./limits";
import { DEFAULT_MAX_COUNTERS } from "../limits/slots";

export enum CounterBackend {
  Local = 0,
  /** Kuadrant's `kuadrant.service.ratelimit.v1.RateLimitService` (CheckRateLimit, Report). */
  Limitador = 1,
  /** `envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit` (envoyproxy/ratelimit). */
  EnvoyRls = 2,
}
export const COUNTER_BACKEND_NAMES: Array<string> = ["local", "limitador", "envoy-rls"];

/** What a request meets when the rate-limit service cannot answer: let it through, or 503. */
export enum ServiceFailureMode { Allow = 0, Deny = 1 }
export const SERVICE_FAILURE_MODE_NAMES: Array<string> = ["allow", "deny"];

/** "direct": one round trip per admission; "cached": admission from this proxy's view, reports batched. */
export enum ServiceMode { Direct = 0, Cached = 1 }
export const SERVICE_MODE_NAMES: Array<string> = ["direct", "cached"];

/** Longest per-call timeout: a request never waits longer than this for admission. */
export const MAX_SERVICE_TIMEOUT_MS: i64 = MS_PER_MINUTE;
/** Longest cache ttl and flush interval: a view older than this is no view of a budget. */
export const MAX_CACHE_PERIOD_MS: i64 = MS_PER_HOUR;
/** Longest cluster name and domain accepted (Envoy's names are far shorter in practice). */
export const MAX_SERVICE_NAME_LENGTH: i32 = 512;

export class CacheConfig {
  /** How long a view of a counter answers admission before it is refreshed. */
  ttlMs: i64 = MS_PER_SECOND;
  /** How often the pending cost of each counter is reported. */
  flushIntervalMs: i64 = MS_PER_SECOND;
}

export class ServiceConfig {
  /** The Envoy cluster of the rate-limit service (HTTP/2). */
  cluster: string = "";
  /** Limitador's namespace, or envoy-ratelimit's domain; defaults to `counters.keyPrefix`. */
  domain: string = "";
  timeoutMs: i64 = 100;
  failureMode: ServiceFailureMode = ServiceFailureMode.Deny;
  mode: ServiceMode = ServiceMode.Direct;
  cache: CacheConfig = new CacheConfig();
}

export class CountersConfig {
  backend: CounterBackend = CounterBackend.Local;
  /** Start of every counter key; [A-Za-z0-9_.:/-], 1..64 characters. */
  keyPrefix: string = "tokenlimit";
  /**
   * Counters each rate of each limit keeps at most (its slots in shared data, reused once
   * a counter's window ends); callers beyond share the rate's overflow counter.
   */
  maxCounters: i32 = DEFAULT_MAX_COUNTERS;
  /** Set exactly when `backend` is not Local. */
  service: ServiceConfig | null = null;
}

const COUNTERS_FIELDS: Array<string> = ["backend", "keyPrefix", "maxCounters", "service"];
const SERVICE_FIELDS: Array<string> = ["cluster", "domain", "timeout", "failureMode", "mode", "cache"];
const CACHE_FIELDS: Array<string> = ["ttl", "flushInterval"];

/** Reads `counters` (absent: the local backend with its defaults). */
export function readCounters(r: ConfigReader, v: Value | null, path: string): CountersConfig {
  const out = new CountersConfig();
  if (v === null) return out;
  const obj = r.object(v, path, COUNTERS_FIELDS);
  if (obj === null) return out;
  out.backend = <CounterBackend>r.oneOf(obj, "backend", path, COUNTER_BACKEND_NAMES, CounterBackend.Local);
  const prefix = r.string(obj, "keyPrefix", path, out.keyPrefix);
  if (!isKeyPrefix(prefix)) {
    r.error(pathKey(path, "keyPrefix"), "expected 1 to 64 letters, digits or _.:/-, got " + describe(Value.string(prefix)));
  } else {
    out.keyPrefix = prefix;
  }
  out.maxCounters = <i32>r.integer(obj, "maxCounters", path, out.maxCounters, 16, 10_000_000);
  const service = r.member(obj, "service");
  const servicePath = pathKey(path, "service");
  if (out.backend == CounterBackend.Local) {
    // A service next to the local backend means the operator believes counters are
    // global when they are not: say so rather than ignore it.
    if (service !== null) r.error(servicePath, "only for a rate-limit service backend (set counters.backend to \"limitador\" or \"envoy-rls\"), the local backend takes none");
    return out;
  }
  if (service === null) {
    r.error(servicePath, "required when counters.backend is " + describe(Value.string(COUNTER_BACKEND_NAMES[out.backend])));
    return out;
  }
  out.service = readService(r, service, servicePath, out.keyPrefix);
  return out;
}

function readService(r: ConfigReader, v: Value, path: string, keyPrefix: string): ServiceConfig {
  const out = new ServiceConfig();
  out.domain = keyPrefix;
  const obj = r.object(v, path, SERVICE_FIELDS);
  if (obj === null) return out;
  const cluster = r.required(obj, "cluster", path);
  if (cluster !== null) out.cluster = serviceName(r, cluster, pathKey(path, "cluster"), "");
  const domain = r.member(obj, "domain");
  if (domain !== null) out.domain = serviceName(r, domain, pathKey(path, "domain"), keyPrefix);
  out.timeoutMs = duration(r, obj, "timeout", path, out.timeoutMs, MAX_SERVICE_TIMEOUT_MS);
  out.failureMode = <ServiceFailureMode>r.oneOf(obj, "failureMode", path, SERVICE_FAILURE_MODE_NAMES, ServiceFailureMode.Deny);
  out.mode = <ServiceMode>r.oneOf(obj, "mode", path, SERVICE_MODE_NAMES, ServiceMode.Direct);
  const cache = r.member(obj, "cache");
  const cachePath = pathKey(path, "cache");
  if (cache !== null) {
    if (out.mode != ServiceMode.Cached) {
      r.error(cachePath, "only with counters.service.mode \"cached\" (the direct mode asks the service on every request)");
    } else {
      const c = r.object(cache, cachePath, CACHE_FIELDS);
      if (c !== null) {
        out.cache.ttlMs = duration(r, c, "ttl", cachePath, out.cache.ttlMs, MAX_CACHE_PERIOD_MS);
        out.cache.flushIntervalMs = duration(r, c, "flushInterval", cachePath, out.cache.flushIntervalMs, MAX_CACHE_PERIOD_MS);
      }
    }
  }
  return out;
}

/** A cluster name or domain: 1..512 printable ASCII characters, no spaces. */
function serviceName(r: ConfigReader, v: Value, path: string, def: string): string {
  if (v.kind != Kind.String) {
    r.error(path, "expected a string, got " + describe(v));
    return def;
  }
  const s = v.str;
  if (s.length == 0 || s.length > MAX_SERVICE_NAME_LENGTH) {
    r.error(path, "expected 1 to " + MAX_SERVICE_NAME_LENGTH.toString() + " characters, got " + describe(v));
    return def;
  }
  for (let i = 0, n = s.length; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) {
      r.error(path, "expected printable ASCII without spaces, got " + describe(v));
      return def;
    }
  }
  return s;
}

/** A duration field in (0, max] ms, or `def`. */
function duration(r: ConfigReader, obj: MapValue, key: string, path: string, def: i64, max: i64): i64 {
  const v = r.member(obj, key);
  if (v === null) return def;
  const at = pathKey(path, key);
  if (v.kind != Kind.String) {
    r.error(at, "expected a duration string (" + DURATION_EXAMPLES + "), got " + describe(v));
    return def;
  }
  const d = parseDuration(v.str);
  if (d.error.length > 0) {
    r.error(at, d.error);
    return def;
  }
  if (d.ms > max) {
    r.error(at, "expected at most " + (max / MS_PER_SECOND).toString() + "s, got " + describe(v));
    return def;
  }
  return d.ms;
}

function isKeyPrefix(s: string): bool {
  const n = s.length;
  if (n == 0 || n > 64) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
      c == 0x5f || c == 0x2e || c == 0x3a || c == 0x2f || c == 0x2d;
    if (!ok) return false;
  }
  return true;
}

/**
 * With a rate-limit service, every window must be whole seconds: both engines count in
 * seconds (Limitador's `seconds`, envoy-ratelimit's units), so `1500ms` cannot be kept.
 */
export function checkServiceWindows(r: ConfigReader, limits: Array<LimitConfig>, counters: CountersConfig): void {
  if (counters.service === null) return;
  for (let i = 0; i < limits.length; i++) {
    const rates = unchecked(limits[i]).rates;
    for (let j = 0; j < rates.length; j++) {
      const rate = unchecked(rates[j]);
      if (rate.windowMs > 0 && rate.windowMs % MS_PER_SECOND != 0) {
        r.error(pathKey(rate.path, "window"), "a rate-limit service counts whole seconds, got " + describe(Value.string(rate.window)));
      }
    }
  }
}
