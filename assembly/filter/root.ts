// The token limiter's root context: reads, validates and compiles the plugin
// configuration into one ActivePolicy that every stream starting afterwards takes, and
// owns the metrics every stream of this worker shares.
import { RootContext, HttpContext } from "./context";
import { TokenLimitStream } from "./stream";
import { ActivePolicy } from "./exchange";
import { FilterMetrics, LimitMetrics } from "./metrics";
import { pluginConfiguration } from "../abi/configuration";
import { logError, logInfo, logWarn } from "../abi/log";
import { isBlank, parseConfigBuffer } from "../config";
import { CompiledPolicy, compilePolicy, expressionErrors, PolicyEnvironment, ServiceEnvironment } from "../limits/policy";
import { GrpcServiceTransport } from "./service_transport";
import { ReportQueue } from "../counters/report_queue";
import { nowMillis } from "../abi/time";
import { SharedDataCounters } from "../counters/shared_data";
import { knownAttributeNames } from "../attributes";
import { CompileOptions } from "../cel";
import { getSharedData, setSharedData, SharedValue } from "../abi/shared_data";
import { WasmResult } from "../abi/status";
import { AlertDispatcher, AlertNotifier } from "./alert_webhook";
import { TickPeriod } from "./tick";
import { SettlementQueue } from "../limits/settlements";

/** How often failed settlements are written again. */
const SETTLEMENT_RETRY_PERIOD_MS: u32 = 1000;
// Settlements of this worker's streams that failed, under any policy it ran: a
// reconfiguration replaces the root context but not the VM, so they outlive the root
// whose policy admitted them and the next root's tick retries them.
const SETTLEMENTS = new SettlementQueue();

// Attribute names the request resolver answers; CEL binds paths to them at configure time.
const ATTRIBUTE_NAMES = ((): CompileOptions => {
  const o = new CompileOptions();
  o.knownNames = knownAttributeNames();
  // A misspelt attribute (`request.pth`) would make a predicate silently false forever.
  o.onlyKnownNames = true;
  return o;
})();

export class TokenLimitRoot extends RootContext {
  /** The policy new streams start under; null until a configuration has been accepted. */
  active: ActivePolicy | null = null;
  private metricsOrNull: FilterMetrics | null = null;
  /** Calls to a rate-limit service and the reports still owed; made when a policy first needs them. */
  private serviceOrNull: ServiceEnvironment | null = null;
  private transportOrNull: GrpcServiceTransport | null = null;
  private dispatcherOrNull: AlertDispatcher | null = null;
  /** The tick period every periodic task of this root asks for (see tick.ts). */
  readonly tickPeriod: TickPeriod = new TickPeriod();

  /** Metrics, defined on first use (defining needs a live VM, not the start function). */
  get metrics(): FilterMetrics {
    let m = this.metricsOrNull;
    if (m === null) {
      m = new FilterMetrics();
      this.metricsOrNull = m;
    }
    return m;
  }

  /** The webhook calls of this root, kept across configurations so that retries survive them. */
  get dispatcher(): AlertDispatcher {
    let d = this.dispatcherOrNull;
    if (d === null) {
      d = new AlertDispatcher(this.id, this.metrics.webhook, this.tickPeriod);
      this.dispatcherOrNull = d;
    }
    return d;
  }

  /** Settlement and alert webhook retries; the reports that failed and the cached counters' syncs, when their time has come. */
  onTick(): void {
    // Settlements that failed (settlements.ts), written again relative to the counters now.
    if (SETTLEMENTS.size > 0) SETTLEMENTS.retry(nowMillis());
    const d = this.dispatcherOrNull;
    if (d !== null) d.onTick();
    const service = this.serviceOrNull;
    if (service !== null) service.tick(nowMillis());
  }

  onHttpCallResponse(token: u32, headerCount: u32, bodySize: u32, trailerCount: u32): void {
    const d = this.dispatcherOrNull;
    if (d !== null) d.onResponse(token, headerCount);
  }

  /**
   * Accepts the configuration only when it parses, validates and every expression
   * compiles; otherwise logs one line per problem and keeps the previous policy.
   */
  onConfigure(size: u32): bool {
    const raw = pluginConfiguration(size);
    if (isBlank(changetype<usize>(raw), <usize>raw.byteLength)) {
      // A blank configuration replacing an active policy is a mistake (a pluginConfig
      // lost in templating), not a way to turn every limit off: refuse it, so Envoy keeps
      // the policy that runs. On a proxy that never had one (a fresh WasmPlugin without
      // pluginConfig): start, limit nothing.
      if (policyWasActive()) {
        logError("tokenlimit: invalid configuration: (root): the configuration is blank while a policy is active;" +
          " refusing to turn every limit off (to stop limiting, remove the filter or set \"dryRun\": true)");
        return false;
      }
      this.active = null;
      logWarn("tokenlimit: no plugin configuration; no limits apply until one is given");
      return true;
    }
    const parsed = parseConfigBuffer(raw);
    for (let i = 0; i < parsed.warnings.length; i++) logWarn("tokenlimit: configuration: " + unchecked(parsed.warnings[i]));
    const config = parsed.config;
    if (config === null) {
      for (let i = 0; i < parsed.errors.length; i++) logError("tokenlimit: invalid configuration: " + unchecked(parsed.errors[i]));
      // Report the expressions' errors too, so one attempt shows every problem.
      const partial = parsed.partial;
      if (partial !== null) {
        const errors = expressionErrors(partial, ATTRIBUTE_NAMES);
        for (let i = 0; i < errors.length; i++) logError("tokenlimit: invalid configuration: " + unchecked(errors[i]));
      }
      return false;
    }
    const metrics = this.metrics;
    const notifier = new AlertNotifier(metrics, config.alerts.webhook, this.dispatcher);
    const env = new PolicyEnvironment(ATTRIBUTE_NAMES, new SharedDataCounters(), metrics.limiter, metrics.identity,
      config.counters.service !== null ? this.serviceEnvironment() : null, notifier, SETTLEMENTS);
    const policy = compilePolicy(config, env);
    if (policy.errors.length > 0) {
      for (let i = 0; i < policy.errors.length; i++) logError("tokenlimit: invalid configuration: " + unchecked(policy.errors[i]));
      return false;
    }
    for (let i = 0; i < policy.warnings.length; i++) logWarn("tokenlimit: configuration: " + unchecked(policy.warnings[i]));
    markPolicyActive();
    this.active = new ActivePolicy(policy, metrics, limitMetricsOf(policy, metrics), notifier);
    logInfo("tokenlimit: configured " + config.limits.length.toString() + " limit(s)" + (config.dryRun ? " (dry run)" : ""));
    this.tickPeriod.request(SETTLEMENT_RETRY_PERIOD_MS);
    return true;
  }

  onGrpcReceive(token: u32, messageSize: u32): void {
    const t = this.transportOrNull;
    if (t !== null) t.onReceive(token, messageSize);
  }

  onGrpcClose(token: u32, statusCode: u32): void {
    const t = this.transportOrNull;
    if (t !== null) t.onClose(token, statusCode);
  }

  private serviceEnvironment(): ServiceEnvironment {
    let s = this.serviceOrNull;
    if (s === null) {
      const stats = this.metrics.service;
      const transport = new GrpcServiceTransport(this.id, stats);
      this.transportOrNull = transport;
      s = new ServiceEnvironment(transport, new ReportQueue(transport, stats), stats, nowMillis);
      this.serviceOrNull = s;
      // Ticks drive the retries of failed reports; only a VM that calls a service needs them.
      this.tickPeriod.request(REPORT_TICK_MS);
    }
    return s;
  }

  newHttpContext(id: u32): HttpContext {
    return new TokenLimitStream(id, this);
  }
}

/** Period of on_tick once a rate-limit service is used: the granularity of report retries. */
const REPORT_TICK_MS: u32 = 100;

// Shared data (one per vm_id, so the canary VM Envoy configures first sees it too) records
// that some configuration with limits was accepted. The key has no '|', so no counter key
// (always `<prefix>|...`) can be it.
const POLICY_ACTIVE_KEY = String.UTF8.encode("tokenlimit policy active");
const ONE = String.UTF8.encode("1");

function policyWasActive(): bool {
  const got = getSharedData(POLICY_ACTIVE_KEY, new SharedValue());
  return got.status == WasmResult.Ok;
}

function markPolicyActive(): void {
  if (!policyWasActive()) setSharedData(POLICY_ACTIVE_KEY, ONE, 0);
}

/**
 * The metrics of each of `policy`'s limits, in its order, with a budget alert counter per
 * threshold (defined now, so they show as 0 before anything happens).
 */
function limitMetricsOf(policy: CompiledPolicy, metrics: FilterMetrics): Array<LimitMetrics> {
  const out = new Array<LimitMetrics>(0);
  for (let i = 0; i < policy.limits.length; i++) {
    const limit = unchecked(policy.limits[i]);
    const m = metrics.limit(limit.name);
    if (limit.rateAlerts.length > 0) {
      const first = unchecked(limit.rateAlerts[0]);
      if (first !== null) for (let j = 0; j < first.metricLabels.length; j++) m.budgetAlerts(unchecked(first.metricLabels[j]));
    }
    out.push(m);
  }
  return out;
}
