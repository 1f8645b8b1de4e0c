// The compiled policy: everything a configuration means for a request, built once in
// on_configure and never changed afterwards. A stream keeps the policy it started under,
// so a reconfiguration while it is open cannot mix two policies' limits, limiter or
// header names. Compile errors are reported at the JSON path they came from.

import { PluginConfig, LimitConfig, RateConfig, Expression, CostMode, UsageConfig, UsagePath, usageProviderName } from "../config";
import { compileWith, CompileOptions, Program } from "../cel";
import { REQUEST_BODY_JSON_PREFIX } from "../cel/planner";
import { CostWeights, TokenKind, USAGE_FIELD_NAMES } from "../usage/cost";
import { PresetResolver } from "../usage/presets";
import { AttributeOptions, IdentityOptions, IdentityStats, collectFilterStateKeys } from "../attributes";
import { CounterStore } from "../counters/store";
import { RateLimitHeaderNames } from "./headers";
import { ChargeRecordTemplate } from "./charge_record";
import { Limiter, LimiterStats } from "./limiter";
import { LocalLimiter, DEFAULT_MAX_RETRIES } from "./local_limiter";
import { ServiceEngine, ServiceLimiter } from "./service_limiter";
import { CachedCounters } from "./cached_counters";
import { CounterBackend, ServiceMode } from "../config/counters";
import { ServiceStats, ServiceTransport } from "../counters/service";
import { ReportQueue } from "../counters/report_queue";
import { SettlementQueue } from "./settlements";
import { queryStringWarnings } from "./path_lint";
import { AlertSink, RateAlerts } from "./alerts";

/** One limit, ready to evaluate per request. */
export class CompiledLimit {
  name: string = "";
  rates: Array<RateConfig> = new Array<RateConfig>();
  when: Array<Program> = new Array<Program>();
  /**
   * For each of `when`, its index among the policy's distinct limit predicates: limits that
   * share a predicate (a route's match on every limit) share one evaluation per request.
   */
  whenIds: Array<i32> = new Array<i32>();
  counters: Array<Program> = new Array<Program>();
  tokens: TokenKind = TokenKind.Total;
  soft: bool = false;
  /** Per rate, its thresholds in tokens (null: the limit has no alerts). */
  rateAlerts: Array<RateAlerts | null> = new Array<RateAlerts | null>();
}

/** What a policy is compiled against: the proxy's (or a test's) store and statistics. */
export class PolicyEnvironment {
  constructor(
    /** The names the request resolver answers, so attribute paths bind at configure time. */
    public attributeNames: CompileOptions,
    /** Where the limiter keeps its counters. */
    public store: CounterStore,
    /** Receives the limiter's events (the filter's subclass exports them as metrics). */
    public limiterStats: LimiterStats = new LimiterStats(),
    /** Receives identity outcomes (the filter's subclass exports them as metrics). */
    public identityStats: IdentityStats = new IdentityStats(),
    /** How a rate-limit service is reached; null where there is none (unit tests). */
    public service: ServiceEnvironment | null = null,
    /** Receives budget alert crossings (the filter's sends them on). */
    public alertSink: AlertSink = new AlertSink(),
    /** Where failed settlements wait for the root's tick; one per worker, shared by its policies. */
    public settlements: SettlementQueue = new SettlementQueue(),
  ) {}
}

/** What a rate-limit service backend needs from the proxy. */
export class ServiceEnvironment {
  constructor(
    public transport: ServiceTransport,
    /** Every policy of the VM reports through this one queue (reports outlive a policy). */
    public reports: ReportQueue,
    public stats: ServiceStats,
    /** Milliseconds since the epoch, when an answer arrives. */
    public clock: () => i64,
  ) {}

  /** Cached-mode limiters to tick (flush and refresh their counters). */
  cached: Array<ServiceLimiter> = new Array<ServiceLimiter>();

  /** Ticks every cached-mode limiter; forgets the ones of older policies that owe nothing. */
  tick(nowMs: i64): void {
    this.reports.tick(nowMs);
    const keep = new Array<ServiceLimiter>();
    for (let i = 0, n = this.cached.length; i < n; i++) {
      const l = unchecked(this.cached[i]);
      l.tick(nowMs);
      const cache = l.cache;
      if (i == n - 1 || (cache !== null && cache.size > 0)) keep.push(l);
    }
    this.cached = keep;
  }
}

/** Everything a configuration means for a request. Built by `compilePolicy`; never changed after. */
export class CompiledPolicy {
  /** The configuration as read; the settings below are derived from it. */
  readonly config: PluginConfig;
  /** Top-level predicates. */
  readonly when: Array<Program>;
  /** By name, as in the configuration. */
  readonly limits: Array<CompiledLimit>;
  /** How many distinct predicates the limits' `when` hold (the ids of `CompiledLimit.whenIds`). */
  readonly limitPredicateCount: i32;
  /** `cost.expression`, compiled; null unless the cost mode is Expression. */
  readonly cost: Program | null;
  /** `cost.weights` in the usage module's form; null unless the cost mode is Weights. */
  readonly weights: CostWeights | null;
  /** How the request resolver finds attributes and the identity. */
  readonly attributes: AttributeOptions;
  /** Names of the rate-limit headers on every reply the filter writes or edits. */
  readonly headerNames: RateLimitHeaderNames;
  /** The access log record's parts fixed by the limits (names, windows), encoded once. */
  readonly chargeRecord: ChargeRecordTemplate;
  /** Which usage fields a response carries, per request path. */
  readonly presets: PresetResolver;
  /** The counters backend of `counters.backend`. */
  readonly limiter: Limiter;
  /**
   * Some `when` or `counters` expression reads the request body (`requestBodyJSON`): limits
   * are selected once the body is here, not at the request headers.
   */
  readonly selectionReadsBody: bool;
  /**
   * The attribute names the selection's expressions may read, body functions left out:
   * resolved at the request headers when the selection waits for the body (Envoy lets a
   * filter read the headers only then).
   */
  readonly selectionAttributeNames: Array<string>;
  /** The pointers the cost expression gives `requestBodyJSON`: looked up when the request body is read. */
  readonly costRequestPointers: Array<string>;
  /** The pointers the cost expression gives `responseBodyJSON`: the response body is kept (bounded) for them. */
  readonly costResponsePointers: Array<string>;
  /** One line per problem: `<path>: invalid CEL ...`, `usage.paths: ...`. Empty when usable. */
  readonly errors: Array<string>;
  /** Accepted, but probably not what was meant (`<path>: ...`), one line each. */
  readonly warnings: Array<string>;

  /** See `compilePolicy`. */
  constructor(config: PluginConfig, env: PolicyEnvironment) {
    const errors = new Array<string>();
    const names = selectionOptions(env.attributeNames);
    const when = new Array<Program>();
    compileAll(config.when, when, errors, names);
    const limits = new Array<CompiledLimit>();
    const predicates = new SharedPredicates();
    for (let i = 0; i < config.limits.length; i++) limits.push(compileLimit(unchecked(config.limits[i]), errors, names, predicates));
    const cost = compileCost(config, errors);
    const selectionReadsBody = readsBody(when, limits);
    const costRequestPointers = cost !== null ? cost.requestPointers : new Array<string>();
    if ((selectionReadsBody || costRequestPointers.length > 0) && !config.admission.readRequestBody) {
      errors.push("admission.readRequestBody: must be true: an expression uses requestBodyJSON, which reads the request body");
    } else if (selectionReadsBody && config.admission.maxRequestBodyBytes == 0) {
      errors.push("admission.maxRequestBodyBytes: must be above 0: a when or counters expression uses requestBodyJSON, and every request with a body would be refused as too large");
    }
    const presets = presetResolverOf(config.usage);
    // The presets are checked once the expressions are right, as a problem of their own.
    if (errors.length == 0 && presets.error.length > 0) errors.push("usage.paths: " + presets.error);
    this.config = config;
    this.when = when;
    this.limits = limits;
    this.limitPredicateCount = predicates.count;
    this.chargeRecord = new ChargeRecordTemplate(limits);
    this.cost = cost;
    this.weights = weightsOf(config);
    this.attributes = attributeOptionsOf(config, env.identityStats);
    this.headerNames = headerNamesOf(config);
    this.presets = presets;
    this.limiter = limiterOf(config, env, errors);
    this.selectionReadsBody = selectionReadsBody;
    this.selectionAttributeNames = selectionReadsBody ? attributeNamesOf(when, limits) : new Array<string>();
    this.costRequestPointers = costRequestPointers;
    this.costResponsePointers = cost !== null ? cost.responsePointers : new Array<string>();
    this.errors = errors;
    this.warnings = policyWarnings(config);
  }
}

/**
 * `base` for `when` and `counters`: requestBodyJSON allowed, responseBodyJSON not (limits
 * are selected before there is a response). Allocates.
 */
function selectionOptions(base: CompileOptions): CompileOptions {
  const o = new CompileOptions();
  o.knownNames = base.knownNames;
  o.onlyKnownNames = base.onlyKnownNames;
  o.requestBodyJson = true;
  o.responseBodyJson = false;
  o.bodyJsonContext = "in when or counters: limits are selected before the response exists (use it in cost.expression)";
  return o;
}

/** The attribute names `when` and the limits' expressions look up, each once, body functions left out. */
function attributeNamesOf(when: Array<Program>, limits: Array<CompiledLimit>): Array<string> {
  const out = new Array<string>();
  addNames(when, out);
  for (let i = 0; i < limits.length; i++) {
    addNames(unchecked(limits[i]).when, out);
    addNames(unchecked(limits[i]).counters, out);
  }
  return out;
}

function addNames(programs: Array<Program>, out: Array<string>): void {
  for (let i = 0; i < programs.length; i++) {
    const names = unchecked(programs[i]).attrNames;
    for (let j = 0; j < names.length; j++) {
      const name = unchecked(names[j]);
      if (!name.startsWith(REQUEST_BODY_JSON_PREFIX) && !out.includes(name)) out.push(name);
    }
  }
}

/** Whether any of the selection's expressions reads the request body. */
function readsBody(when: Array<Program>, limits: Array<CompiledLimit>): bool {
  for (let i = 0; i < when.length; i++) if (unchecked(when[i]).requestPointers.length > 0) return true;
  for (let i = 0; i < limits.length; i++) {
    const l = unchecked(limits[i]);
    for (let j = 0; j < l.when.length; j++) if (unchecked(l.when[j]).requestPointers.length > 0) return true;
    for (let j = 0; j < l.counters.length; j++) if (unchecked(l.counters[j]).requestPointers.length > 0) return true;
  }
  return false;
}

/**
 * Compiles `config` against `env`: every expression, the attribute options, the usage
 * presets, the header names and the limiter. Never traps; the policy is usable only when
 * `errors` is empty. Allocates.
 */
export function compilePolicy(config: PluginConfig, env: PolicyEnvironment): CompiledPolicy {
  return new CompiledPolicy(config, env);
}

/**
 * The errors of every expression of a configuration that did not read cleanly, so that
 * one attempt reports them together with the configuration's own problems. Allocates.
 */
export function expressionErrors(config: PluginConfig, attributes: CompileOptions): Array<string> {
  const errors = new Array<string>();
  const options = selectionOptions(attributes);
  compileAll(config.when, new Array<Program>(), errors, options);
  for (let i = 0; i < config.limits.length; i++) compileLimit(unchecked(config.limits[i]), errors, options, new SharedPredicates());
  compileCost(config, errors);
  return errors;
}

/** Warnings about expressions that compile but likely miss requests (see path_lint.ts). */
function policyWarnings(config: PluginConfig): Array<string> {
  const out = new Array<string>();
  for (let i = 0; i < config.when.length; i++) queryStringWarnings(unchecked(config.when[i]), out);
  for (let i = 0; i < config.limits.length; i++) {
    const when = unchecked(config.limits[i]).when;
    for (let j = 0; j < when.length; j++) queryStringWarnings(unchecked(when[j]), out);
  }
  return out;
}

/** `cost.weights` in the usage module's form; null unless the cost mode is Weights. */
function weightsOf(config: PluginConfig): CostWeights | null {
  if (config.cost.mode != CostMode.Weights) return null;
  const w = config.cost.weights;
  return CostWeights.of(w.input, w.output, 0, w.cached, w.reasoning);
}

/** The limiter of `counters.backend`. */
function limiterOf(config: PluginConfig, env: PolicyEnvironment, errors: Array<string>): Limiter {
  // '|' ends the prefix: it is allowed in neither prefixes nor limit names, so prefix
  // "gw" with limit "a-b" and prefix "gw-a" with limit "-b" cannot share a key.
  const prefix = config.counters.keyPrefix + "|";
  const local = new LocalLimiter(env.store, prefix, DEFAULT_MAX_RETRIES, env.limiterStats, env.settlements,
    config.admission.reservationTtlMs, config.counters.maxCounters, env.alertSink);
  const service = config.counters.service;
  if (service === null) return local;
  const senv = env.service;
  if (senv === null) {
    errors.push("counters.backend: this host cannot call a rate-limit service");
    return local;
  }
  const engine = config.counters.backend == CounterBackend.Limitador ? ServiceEngine.Limitador : ServiceEngine.EnvoyRls;
  const cache = service.mode == ServiceMode.Cached
    ? new CachedCounters(env.store, engine == ServiceEngine.EnvoyRls, senv.transport, service.cluster, service.domain,
      <u32>service.timeoutMs, service.cache.ttlMs, service.cache.flushIntervalMs, senv.stats)
    : null;
  const limiter = new ServiceLimiter(engine, senv.transport, senv.reports, env.store, prefix, service.cluster, service.domain,
    <u32>service.timeoutMs, senv.clock, env.limiterStats, senv.stats, cache);
  if (cache !== null) senv.cached.push(limiter);
  return limiter;
}

// The names a cost expression may use: `usage.<field>` for each usage field, and nothing
// else, so that a misspelt field (`usage.totl_tokens`) is a configuration error instead of
// an expression that fails on every response and silently charges the total.
const COST_NAMES = ((): CompileOptions => {
  const o = new CompileOptions();
  const names = new Array<string>();
  for (let i = 0; i < USAGE_FIELD_NAMES.length; i++) names.push("usage." + unchecked(USAGE_FIELD_NAMES[i]));
  o.knownNames = names;
  o.onlyKnownNames = true;
  return o;
})();

/** `cost.expression`, compiled against `usage.*`; null unless the cost mode is Expression. */
function compileCost(config: PluginConfig, errors: Array<string>): Program | null {
  const cost = config.cost.expression;
  if (config.cost.mode != CostMode.Expression || cost === null) return null;
  const before = errors.length;
  const program = compileOne(cost, errors, COST_NAMES);
  if (program === null && errors.length > before && unchecked(errors[before]).includes("undeclared reference")) {
    const names = COST_NAMES.knownNames;
    unchecked(errors[before] = unchecked(errors[before]) + " (a cost expression may use " + (names === null ? "" : names.join(", ")) +
      ", requestBodyJSON(pointer) and responseBodyJSON(pointer))");
  }
  return program;
}

/** The limits' predicates by source text: the same text is one program with one id. */
class SharedPredicates {
  ids: Map<string, i32> = new Map<string, i32>();
  programs: Array<Program> = new Array<Program>();
  count: i32 = 0;
}

function compileLimit(src: LimitConfig, errors: Array<string>, options: CompileOptions, shared: SharedPredicates): CompiledLimit {
  const out = new CompiledLimit();
  out.name = src.name;
  out.rates = src.rates;
  out.tokens = src.tokens;
  out.soft = src.soft;
  out.rateAlerts = rateAlertsOf(src);
  for (let i = 0; i < src.when.length; i++) {
    const e = unchecked(src.when[i]);
    if (shared.ids.has(e.source)) {
      const id = shared.ids.get(e.source);
      out.when.push(unchecked(shared.programs[id]));
      out.whenIds.push(id);
      continue;
    }
    const p = compileOne(e, errors, options);
    if (p === null) continue;
    const id = shared.count++;
    shared.ids.set(e.source, id);
    shared.programs.push(p);
    out.when.push(p);
    out.whenIds.push(id);
  }
  compileAll(src.counters, out.counters, errors, options);
  return out;
}

/** Each rate's thresholds in tokens (percentages of that rate's limit); nulls without alerts. */
function rateAlertsOf(src: LimitConfig): Array<RateAlerts | null> {
  const out = new Array<RateAlerts | null>();
  const alerts = src.alerts;
  for (let r = 0; r < src.rates.length; r++) {
    if (alerts.length == 0) { out.push(null); continue; }
    const rate = unchecked(src.rates[r]);
    const tokens = new StaticArray<i64>(alerts.length);
    const labels = new Array<string>();
    const metricLabels = new Array<string>();
    for (let i = 0; i < alerts.length; i++) {
      const a = unchecked(alerts[i]);
      unchecked(tokens[i] = a.tokensFor(rate.limit));
      labels.push(a.label);
      metricLabels.push(a.metricLabel);
    }
    out.push(new RateAlerts(tokens, labels, metricLabels, rate.window));
  }
  return out;
}

function compileAll(sources: Array<Expression>, into: Array<Program>, errors: Array<string>, options: CompileOptions): void {
  for (let i = 0; i < sources.length; i++) {
    const p = compileOne(unchecked(sources[i]), errors, options);
    if (p !== null) into.push(p);
  }
}

function compileOne(e: Expression, errors: Array<string>, options: CompileOptions): Program | null {
  const r = compileWith(e.source, options);
  const program = r.program;
  if (program === null) {
    errors.push(e.path + ": invalid CEL at offset " + r.position.toString() + ": " + r.error + " in " + quote(e.source));
    return null;
  }
  return program;
}

/** `s` in double quotes, its quotes and backslashes escaped, cut after 200 characters. */
function quote(s: string): string {
  const cut = s.length > 200;
  const text = cut ? s.substring(0, 200) : s;
  return "\"" + text.replaceAll("\\", "\\\\").replaceAll("\"", "\\\"") + (cut ? "...\"" : "\"");
}

/** `identity` as the attribute resolver reads it, and the filter_state keys the expressions index. */
function attributeOptionsOf(config: PluginConfig, stats: IdentityStats): AttributeOptions {
  const out = new AttributeOptions();
  const src = config.identity;
  const id = new IdentityOptions();
  id.source = src.source;
  id.jwtHeader = src.jwt.header;
  id.jwtPrefix = src.jwt.prefix;
  id.jwtQueryParameter = src.jwt.queryParameter;
  id.jwtAuthnNamespace = src.jwtAuthn.metadataNamespace;
  id.jwtAuthnPayloadKey = src.jwtAuthn.payloadKey;
  id.userHeader = src.headers.user;
  id.groupsHeader = src.headers.groups;
  id.userIdClaim = src.userIdClaim;
  id.groupsClaim = src.groupsClaim;
  id.groupsAnnotation = src.groupsAnnotation;
  out.identity = id;
  out.identityStats = stats;
  const expressions = config.expressions();
  for (let i = 0; i < expressions.length; i++) collectFilterStateKeys(unchecked(expressions[i]).source, out.filterStateKeys);
  return out;
}

function headerNamesOf(config: PluginConfig): RateLimitHeaderNames {
  const names = new RateLimitHeaderNames();
  const h = config.response.headers;
  names.limit = h.limit;
  names.remaining = h.remaining;
  names.reset = h.reset;
  names.retryAfter = h.retryAfter;
  return names.encodeNow();
}

/** The usage preset resolver: the configured provider with `usage.paths` overriding its fields. */
function presetResolverOf(usage: UsageConfig): PresetResolver {
  const overrides = new Array<string>();
  const paths = usage.paths;
  addOverride(overrides, "total", paths.total);
  addOverride(overrides, "input", paths.input);
  addOverride(overrides, "output", paths.output);
  addOverride(overrides, "cached", paths.cached);
  addOverride(overrides, "reasoning", paths.reasoning);
  return new PresetResolver(usageProviderName(usage.provider), overrides);
}

function addOverride(out: Array<string>, field: string, path: UsagePath | null): void {
  if (path !== null) out.push(field + "=" + path.text);
}
