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
import { CompiledPolicy, compilePolicy, expressionErrors, PolicyEnvironment } from "../limits/policy";
import { SharedDataCounters } from "../counters/shared_data";
import { knownAttributeNames } from "../attributes";
import { CompileOptions } from "../cel";
import { getSharedData, setSharedData, SharedValue } from "../abi/shared_data";
import { WasmResult } from "../abi/status";
import { nowMillis, setTickPeriod } from "../abi/time";
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

  /** Metrics, defined on first use (defining needs a live VM, not the start function). */
  get metrics(): FilterMetrics {
    let m = this.metricsOrNull;
    if (m === null) {
      m = new FilterMetrics();
      this.metricsOrNull = m;
    }
    return m;
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
    const env = new PolicyEnvironment(ATTRIBUTE_NAMES, new SharedDataCounters(), metrics.limiter, metrics.identity, SETTLEMENTS);
    const policy = compilePolicy(config, env);
    if (policy.errors.length > 0) {
      for (let i = 0; i < policy.errors.length; i++) logError("tokenlimit: invalid configuration: " + unchecked(policy.errors[i]));
      return false;
    }
    for (let i = 0; i < policy.warnings.length; i++) logWarn("tokenlimit: configuration: " + unchecked(policy.warnings[i]));
    markPolicyActive();
    this.active = new ActivePolicy(policy, metrics, limitMetricsOf(policy, metrics));
    logInfo("tokenlimit: configured " + config.limits.length.toString() + " limit(s)" + (config.dryRun ? " (dry run)" : ""));
    setTickPeriod(SETTLEMENT_RETRY_PERIOD_MS);
    return true;
  }

  /** Writes again the settlements that failed (settlements.ts), relative to the counters now. */
  onTick(): void {
    if (SETTLEMENTS.size > 0) SETTLEMENTS.retry(nowMillis());
  }

  newHttpContext(id: u32): HttpContext {
    return new TokenLimitStream(id, this);
  }
}

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

/** The metrics of each of `policy`'s limits, in its order (defined now, so they show as 0). */
function limitMetricsOf(policy: CompiledPolicy, metrics: FilterMetrics): Array<LimitMetrics> {
  const out = new Array<LimitMetrics>(0);
  for (let i = 0; i < policy.limits.length; i++) out.push(metrics.limit(unchecked(policy.limits[i]).name));
  return out;
}
