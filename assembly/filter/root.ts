// The token limiter's root context: reads, validates and compiles the plugin
// configuration, and owns what every stream of this worker shares (the policy, the
// limiter over shared data, metrics).
import { RootContext, HttpContext } from "./context";
import { TokenLimitStream } from "./stream";
import { FilterMetrics } from "./metrics";
import { pluginConfiguration } from "../abi/configuration";
import { logError, logInfo, logWarn } from "../abi/log";
import { isBlank, parseConfigBuffer, PluginConfig, UsageConfig, UsagePath } from "../config";
import { usageProviderName } from "../config/usage";
import { PresetResolver } from "../usage/presets";
import { CompiledPolicy, compilePolicy } from "../limits/policy";
import { RateLimitHeaderNames } from "../limits/headers";
import { LocalLimiter } from "../limits/local_limiter";
import { SharedDataCounters } from "../counters/shared_data";
import { AttributeOptions, IdentityOptions, knownAttributeNames, collectFilterStateKeys } from "../attributes";
import { CompileOptions } from "../cel";

// Attribute names the request resolver answers; CEL binds paths to them at configure time.
const ATTRIBUTE_NAMES = ((): CompileOptions => {
  const o = new CompileOptions();
  o.knownNames = knownAttributeNames();
  // A misspelt attribute (`request.pth`) would make a predicate silently false forever.
  o.onlyKnownNames = true;
  return o;
})();

export class TokenLimitRoot extends RootContext {
  /** The active policy; null until a configuration has been accepted. */
  policy: CompiledPolicy | null = null;
  limiter: LocalLimiter | null = null;
  attributes: AttributeOptions = new AttributeOptions();
  headerNames: RateLimitHeaderNames = new RateLimitHeaderNames();
  /** Which usage fields to read, per request path. */
  presets: PresetResolver = new PresetResolver("auto");
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
      // No configuration at all (a fresh WasmPlugin without pluginConfig): start, limit nothing.
      this.policy = null;
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
        const compiled = compilePolicy(partial, ATTRIBUTE_NAMES);
        for (let i = 0; i < compiled.errors.length; i++) logError("tokenlimit: invalid configuration: " + unchecked(compiled.errors[i]));
      }
      return false;
    }
    const policy = compilePolicy(config, ATTRIBUTE_NAMES);
    if (policy.errors.length > 0) {
      for (let i = 0; i < policy.errors.length; i++) logError("tokenlimit: invalid configuration: " + unchecked(policy.errors[i]));
      return false;
    }
    const presets = presetResolverOf(config.usage);
    if (presets.error.length > 0) {
      logError("tokenlimit: invalid configuration: usage.paths: " + presets.error);
      return false;
    }
    this.install(policy, presets);
    logInfo("tokenlimit: configured " + config.limits.length.toString() + " limit(s)" + (config.dryRun ? " (dry run)" : ""));
    return true;
  }

  private install(policy: CompiledPolicy, presets: PresetResolver): void {
    const config = policy.config;
    this.policy = policy;
    this.presets = presets;
    // '|' ends the prefix: it is allowed in neither prefixes nor limit names, so prefix
    // "gw" with limit "a-b" and prefix "gw-a" with limit "-b" cannot share a key.
    this.limiter = new LocalLimiter(new SharedDataCounters(), config.counters.keyPrefix + "|");
    this.attributes = attributeOptionsOf(config);
    const names = new RateLimitHeaderNames();
    names.limit = config.response.headers.limit;
    names.remaining = config.response.headers.remaining;
    names.reset = config.response.headers.reset;
    names.retryAfter = config.response.headers.retryAfter;
    this.headerNames = names;
    const m = this.metrics;
    for (let i = 0; i < config.limits.length; i++) m.limit(unchecked(config.limits[i]).name);
  }

  newHttpContext(id: u32): HttpContext {
    return new TokenLimitStream(id, this);
  }
}

function attributeOptionsOf(config: PluginConfig): AttributeOptions {
  const out = new AttributeOptions();
  const src = config.identity;
  const id = new IdentityOptions();
  id.source = src.source;
  id.jwtHeader = src.jwt.header;
  id.jwtPrefix = src.jwt.prefix;
  id.jwtAuthnNamespace = src.jwtAuthn.metadataNamespace;
  id.jwtAuthnPayloadKey = src.jwtAuthn.payloadKey;
  id.userHeader = src.headers.user;
  id.groupsHeader = src.headers.groups;
  id.userIdClaim = src.userIdClaim;
  id.groupsClaim = src.groupsClaim;
  id.groupsAnnotation = src.groupsAnnotation;
  out.identity = id;
  const expressions = config.expressions();
  for (let i = 0; i < expressions.length; i++) collectFilterStateKeys(unchecked(expressions[i]).source, out.filterStateKeys);
  return out;
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
