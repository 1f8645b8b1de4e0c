import { compilePolicy, expressionErrors, PolicyEnvironment } from "../limits/policy";
import { parseConfig, PluginConfig, IdentitySource } from "../config";
import { MemoryCounters } from "../counters/memory";
import { LimiterStats } from "../limits/limiter";
import { IdentityStats } from "../attributes";
import { CompileOptions } from "../cel";

const LIMITS = "\"limits\":{\"free\":{\"rates\":[{\"limit\":100,\"window\":\"1m\"}],\"counters\":[{\"expression\":\"filter_state['tier']\"}]}}";

function config(rest: string = ""): PluginConfig {
  const c = parseConfig("{" + LIMITS + (rest.length > 0 ? "," + rest : "") + "}").config;
  return c === null ? new PluginConfig() : c;
}

function env(): PolicyEnvironment {
  return new PolicyEnvironment(new CompileOptions(), new MemoryCounters());
}

describe("compiled policy", () => {
  it("compiles a valid configuration without errors", () => {
    const p = compilePolicy(config(), env());
    expect(p.errors.length).toBe(0);
    expect(p.limits.length).toBe(1);
    expect(p.limits[0].counters.length).toBe(1);
  });
  it("carries the configured rate-limit header names", () => {
    const p = compilePolicy(config("\"response\":{\"headers\":{\"retryAfter\":\"x-retry-after\",\"limit\":\"\"}}"), env());
    expect(p.headerNames.retryAfter).toBe("x-retry-after");
    expect(p.headerNames.limit).toBe("");
    expect(p.headerNames.remaining).toBe("x-ratelimit-remaining-tokens");
  });
  it("carries the configured identity source to the attribute options", () => {
    const p = compilePolicy(config("\"identity\":{\"source\":\"headers\",\"headers\":{\"user\":\"x-user\"}}"), env());
    expect(p.attributes.identity.source).toBe(IdentitySource.Headers);
    expect(p.attributes.identity.userHeader).toBe("x-user");
  });
  it("lists the filter_state keys its expressions index", () => {
    const p = compilePolicy(config(), env());
    expect(p.attributes.filterStateKeys.join(",")).toBe("tier");
  });
  it("hands the environment's statistics to the limiter and the attribute options", () => {
    const e = env();
    const stats = new LimiterStats();
    const identity = new IdentityStats();
    e.limiterStats = stats;
    e.identityStats = identity;
    const p = compilePolicy(config(), e);
    expect(p.limiter.stats === stats).toBe(true);
    expect(p.attributes.identityStats === identity).toBe(true);
  });
  it("reports an expression that does not compile at its path", () => {
    const c = config("\"when\":[{\"predicate\":\")\"}]");
    const p = compilePolicy(c, env());
    expect(p.errors.length).toBe(1);
    expect(p.errors[0].startsWith("when[0].predicate: invalid CEL at offset 0")).toBe(true);
  });
  it("reports usage paths the presets cannot take, once the expressions compile", () => {
    const p = compilePolicy(config("\"usage\":{\"paths\":{\"total\":\"*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*\"}}"), env());
    expect(p.errors.length).toBe(1);
    expect(p.errors[0].startsWith("usage.paths: usage paths too complex")).toBe(true);
  });
  it("reports only expression errors for a configuration that did not read", () => {
    const c = config("\"when\":[{\"predicate\":\")\"}]");
    const errors = expressionErrors(c, new CompileOptions());
    expect(errors.length).toBe(1);
    expect(errors[0].startsWith("when[0].predicate:")).toBe(true);
  });
});
