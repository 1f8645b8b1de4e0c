import { parseConfig, parseConfigBuffer, PluginConfig, OnCounterError, FailureMode, CounterBackend } from "../config/plugin";
import { ErrorFormat } from "../config/response";
import { TokenKind } from "../config/limits";

const EXAMPLE = "{\"limits\":{\"free\":{\"rates\":[{\"limit\":20000,\"window\":\"24h\"}],\"when\":[{\"predicate\":\"request.path == \\\"/v1/chat/completions\\\"\"},{\"predicate\":\"request.auth.identity.metadata.annotations[\\\"kuadrant.io/groups\\\"].split(\\\",\\\").exists(g, g == \\\"free\\\")\"}],\"counters\":[{\"expression\":\"auth.identity.userid\"}]},\"gold\":{\"rates\":[{\"limit\":200000,\"window\":\"24h\"}],\"when\":[{\"predicate\":\"request.path == \\\"/v1/chat/completions\\\"\"}],\"counters\":[{\"expression\":\"auth.identity.userid\"}]}}}";

const MINIMAL = "{\"limits\":{\"all\":{\"rates\":[{\"limit\":100,\"window\":\"1m\"}]}}}";

/** The errors for `text`, one per line. */
function errors(text: string): string {
  return parseConfig(text).errors.join("\n");
}

/** A configuration with MINIMAL's limits plus `rest` (e.g. `"dryRun":true`). */
function withLimits(rest: string): string {
  return "{\"limits\":{\"all\":{\"rates\":[{\"limit\":100,\"window\":\"1m\"}]}}," + rest + "}";
}

function config(text: string): PluginConfig {
  const c = parseConfig(text).config;
  return c === null ? new PluginConfig() : c;
}

describe("config: the example policy", () => {
  it("parses without errors or warnings", () => {
    const r = parseConfig(EXAMPLE);
    expect(r.errors.length).toBe(0);
    expect(r.warnings.length).toBe(0);
    expect(r.config).not.toBeNull();
  });
  it("parses from a UTF-8 buffer as Envoy hands it over", () => {
    const r = parseConfigBuffer(String.UTF8.encode(EXAMPLE));
    expect(r.errors.length).toBe(0);
    const c = r.config;
    if (c !== null) expect(c.limits.length).toBe(2);
  });
  it("has both limits, sorted by name", () => {
    const c = config(EXAMPLE);
    expect(c.limits.length).toBe(2);
    expect(c.limits[0].name).toBe("free");
    expect(c.limits[1].name).toBe("gold");
    expect(c.limits[0].path).toBe("limits.free");
  });
  it("reads the rates of each limit", () => {
    const c = config(EXAMPLE);
    const free = c.limits[0].rates;
    expect(free.length).toBe(1);
    expect(free[0].limit).toBe(20000);
    expect(free[0].windowMs).toBe(86400000);
    expect(free[0].window).toBe("24h");
    expect(free[0].path).toBe("limits.free.rates[0]");
    expect(c.limits[1].rates[0].limit).toBe(200000);
  });
  it("keeps predicates with their source and path", () => {
    const when = config(EXAMPLE).limits[0].when;
    expect(when.length).toBe(2);
    expect(when[0].source).toBe("request.path == \"/v1/chat/completions\"");
    expect(when[0].path).toBe("limits.free.when[0].predicate");
    expect(when[1].source).toBe("request.auth.identity.metadata.annotations[\"kuadrant.io/groups\"].split(\",\").exists(g, g == \"free\")");
    expect(when[1].path).toBe("limits.free.when[1].predicate");
  });
  it("keeps counter expressions with their source and path", () => {
    const gold = config(EXAMPLE).limits[1];
    expect(gold.counters.length).toBe(1);
    expect(gold.counters[0].source).toBe("auth.identity.userid");
    expect(gold.counters[0].path).toBe("limits.gold.counters[0].expression");
    expect(gold.tokens).toBe(TokenKind.Total);
  });
  it("lists every expression in evaluation order", () => {
    const all = config(EXAMPLE).expressions();
    expect(all.length).toBe(5);
    expect(all[0].path).toBe("limits.free.when[0].predicate");
    expect(all[2].path).toBe("limits.free.counters[0].expression");
    expect(all[4].path).toBe("limits.gold.counters[0].expression");
  });
  it("fills every default of the optional sections", () => {
    const c = config(EXAMPLE);
    expect(c.when.length).toBe(0);
    expect(c.onCounterError).toBe(OnCounterError.Reject);
    expect(c.response.format).toBe(ErrorFormat.Auto);
    expect(c.failureMode).toBe(FailureMode.Allow);
    expect(c.dryRun).toBe(false);
    expect(c.counters.backend).toBe(CounterBackend.Local);
    expect(c.counters.keyPrefix).toBe("tokenlimit");
    expect(c.identity.userIdClaim).toBe("sub");
    expect(c.admission.defaultReservation).toBe(1000);
    expect(c.response.status).toBe(429);
  });
});

describe("config: documents that are not a configuration", () => {
  it("rejects an empty string as missing limits", () => {
    expect(errors("")).toBe("limits: required");
  });
  it("rejects blank text as missing limits", () => {
    expect(errors(" \n\t ")).toBe("limits: required");
  });
  it("rejects {} as missing limits", () => {
    expect(errors("{}")).toBe("limits: required");
  });
  it("reports invalid JSON once, with offset, line and column", () => {
    expect(errors("{\"limits\": {\n  \"free\" {}}}")).toBe("invalid JSON at offset 22 (line 2, column 10): expected ':' after an object key");
    expect(parseConfig("{\"limits\":{},}").errors.length).toBe(1);
  });
  it("reports a trailing comma as invalid JSON", () => {
    expect(errors("{\"limits\":{},}")).toBe("invalid JSON at offset 12 (line 1, column 13): trailing comma is not allowed");
  });
  it("rejects a root that is not an object", () => {
    expect(errors("[]")).toBe("(root): expected an object, got array");
    expect(errors("\"limits\"")).toBe("(root): expected an object, got \"limits\"");
  });
  it("rejects nesting deeper than 32 levels", () => {
    expect(errors("{\"limits\":" + "[".repeat(40) + "]".repeat(40) + "}")).toBe("invalid JSON at offset 41 (line 1, column 42): nesting deeper than 32 levels");
  });
  it("never returns a config together with errors", () => {
    const r = parseConfig("{\"dryRun\":1}");
    expect(r.config).toBeNull();
    expect(r.errors.length).toBe(2);
  });
});

describe("config: top level", () => {
  it("reports unknown fields with the list of known ones", () => {
    expect(errors(withLimits("\"unknownField\":1"))).toBe("unknownField: unknown field (expected one of: limits, when, defaults, overrides, dataExtraction, identity, usage, cost, admission, onCounterError, failureMode, dryRun, response, counters, alerts, accessLog)");
  });
  it("tolerates targetRef with a warning", () => {
    const r = parseConfig(withLimits("\"targetRef\":{\"group\":\"gateway.networking.k8s.io\",\"kind\":\"HTTPRoute\",\"name\":\"llm\"}"));
    expect(r.errors.length).toBe(0);
    expect(r.warnings.join("\n")).toBe("targetRef: ignored (the filter applies to the traffic of the listener or route it is configured on)");
  });
  it("reads top-level predicates", () => {
    const c = config(withLimits("\"when\":[{\"predicate\":\"request.method == \\\"POST\\\"\"}]"));
    expect(c.when.length).toBe(1);
    expect(c.when[0].source).toBe("request.method == \"POST\"");
    expect(c.when[0].path).toBe("when[0].predicate");
    expect(c.expressions()[0].path).toBe("when[0].predicate");
  });
  it("reads onCounterError, failureMode and dryRun", () => {
    const c = config(withLimits("\"onCounterError\":\"reject\",\"failureMode\":\"deny\",\"dryRun\":true"));
    expect(c.onCounterError).toBe(OnCounterError.Reject);
    expect(c.failureMode).toBe(FailureMode.Deny);
    expect(c.dryRun).toBe(true);
  });
  it("rejects unknown enumeration values with the choices", () => {
    expect(errors(withLimits("\"onCounterError\":\"ignore\",\"failureMode\":false"))).toBe(
      "onCounterError: expected one of \"skip\", \"reject\", got \"ignore\"\n" +
      "failureMode: expected one of \"allow\", \"deny\", got false");
  });
  it("rejects a dryRun that is not a boolean", () => {
    expect(errors(withLimits("\"dryRun\":\"yes\""))).toBe("dryRun: expected true or false, got \"yes\"");
  });
  it("treats null like an absent field", () => {
    const r = parseConfig(withLimits("\"identity\":null,\"dryRun\":null,\"when\":null"));
    expect(r.errors.length).toBe(0);
  });
  it("reports duplicate keys by path", () => {
    expect(errors("{\"limits\":{\"a\":{\"rates\":[{\"limit\":1,\"window\":\"1m\"}]},\"a\":{\"rates\":[{\"limit\":2,\"window\":\"1m\"}]}},\"dryRun\":true,\"dryRun\":false}")).toBe(
      "limits.a: duplicate key (each key may appear only once)\n" +
      "dryRun: duplicate key (each key may appear only once)");
  });
  it("reports every problem, not just the first", () => {
    const text = "{\"limits\":{\"free\":{\"rates\":[{\"limit\":\"20000\",\"window\":\"1.5h\"}],\"tokens\":\"all\"}},\"admission\":{\"mode\":\"foo\"},\"extra\":true}";
    expect(errors(text)).toBe(
      "extra: unknown field (expected one of: limits, when, defaults, overrides, dataExtraction, identity, usage, cost, admission, onCounterError, failureMode, dryRun, response, counters, alerts, accessLog)\n" +
      "limits.free.rates[0].limit: expected a positive integer, got \"20000\"\n" +
      "limits.free.rates[0].window: invalid duration \"1.5h\" (expected e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d)\n" +
      "limits.free.tokens: expected one of \"total\", \"input\", \"output\", got \"all\"\n" +
      "admission.mode: expected one of \"reserve\", \"check\", got \"foo\"");
  });
});

describe("config: Kuadrant defaults and overrides", () => {
  it("reads limits from defaults", () => {
    const c = config("{\"defaults\":{\"strategy\":\"atomic\",\"limits\":{\"x\":{\"rates\":[{\"limit\":5,\"window\":\"1h\"}]}}}}");
    expect(c.limits.length).toBe(1);
    expect(c.limits[0].path).toBe("defaults.limits.x");
  });
  it("warns that the merge strategy is ignored", () => {
    const r = parseConfig("{\"defaults\":{\"strategy\":\"merge\",\"limits\":{\"x\":{\"rates\":[{\"limit\":5,\"window\":\"1h\"}]}}}}");
    expect(r.warnings.join("\n")).toBe("defaults.strategy: ignored (it matters only when Kuadrant merges several policies)");
  });
  it("reads limits and predicates from overrides", () => {
    const c = config("{\"when\":[{\"predicate\":\"a\"}],\"overrides\":{\"when\":[{\"predicate\":\"b\"}],\"limits\":{\"x\":{\"rates\":[{\"limit\":5,\"window\":\"1h\"}]}}}}");
    expect(c.limits[0].rates[0].windowMs).toBe(3600000);
    expect(c.when.length).toBe(2);
    expect(c.when[1].path).toBe("overrides.when[0].predicate");
  });
  it("names the path inside defaults in errors", () => {
    expect(errors("{\"defaults\":{\"limits\":{}}}")).toBe("defaults.limits: must contain at least one limit");
    expect(errors("{\"defaults\":{}}")).toBe("defaults.limits: required");
    expect(errors("{\"defaults\":{\"strategy\":\"union\",\"limits\":{\"x\":{\"rates\":[{\"limit\":5,\"window\":\"1h\"}]}}}}")).toBe(
      "defaults.strategy: expected one of \"atomic\", \"merge\", got \"union\"");
  });
  it("rejects limits together with defaults, and defaults with overrides", () => {
    expect(errors(withLimits("\"defaults\":{\"limits\":{}}"))).toBe("defaults: cannot be used together with limits (set one)");
    expect(errors("{\"defaults\":{\"limits\":{\"x\":{\"rates\":[{\"limit\":5,\"window\":\"1h\"}]}}},\"overrides\":{}}")).toBe(
      "overrides: cannot be used together with defaults (set one)");
  });
});

describe("config: counters", () => {
  it("reads the backend and key prefix", () => {
    const c = config(withLimits("\"counters\":{\"backend\":\"local\",\"keyPrefix\":\"tokenlimit/v1/gw-a\"}"));
    expect(c.counters.keyPrefix).toBe("tokenlimit/v1/gw-a");
  });
  it("rejects an unknown backend", () => {
    expect(errors(withLimits("\"counters\":{\"backend\":\"redis\"}"))).toBe("counters.backend: expected one of \"local\", \"limitador\", \"envoy-rls\", got \"redis\"");
  });
  it("rejects a key prefix with separators or spaces", () => {
    expect(errors(withLimits("\"counters\":{\"keyPrefix\":\"a|b\"}"))).toBe("counters.keyPrefix: expected 1 to 64 letters, digits or _.:/-, got \"a|b\"");
    expect(errors(withLimits("\"counters\":{\"keyPrefix\":\"\"}"))).toBe("counters.keyPrefix: expected 1 to 64 letters, digits or _.:/-, got \"\"");
  });
});
