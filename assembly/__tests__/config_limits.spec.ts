import { parseConfig, PluginConfig } from "../config/plugin";
import { TokenKind } from "../config/limits";

function errors(text: string): string {
  return parseConfig(text).errors.join("\n");
}
function config(text: string): PluginConfig {
  const c = parseConfig(text).config;
  return c === null ? new PluginConfig() : c;
}
/** A configuration whose only limit `l` has the body `body`. */
function limit(body: string): string {
  return "{\"limits\":{\"l\":" + body + "}}";
}
/** A limit with one rate written as `rate`. */
function rate(rate: string): string {
  return limit("{\"rates\":[" + rate + "]}");
}

describe("config: limits", () => {
  it("rejects limits that are not an object", () => {
    expect(errors("{\"limits\":[]}")).toBe("limits: expected an object mapping limit names to limits, got array");
  });
  it("rejects an empty limits map", () => {
    expect(errors("{\"limits\":{}}")).toBe("limits: must contain at least one limit");
  });
  it("sorts limits by name whatever the JSON order", () => {
    const c = config("{\"limits\":{\"b\":{\"rates\":[{\"limit\":1,\"window\":\"1m\"}]},\"A\":{\"rates\":[{\"limit\":1,\"window\":\"1m\"}]},\"a.2\":{\"rates\":[{\"limit\":1,\"window\":\"1m\"}]},\"a\":{\"rates\":[{\"limit\":1,\"window\":\"1m\"}]}}}");
    expect(c.limits.length).toBe(4);
    expect(c.limits[0].name).toBe("A");
    expect(c.limits[1].name).toBe("a");
    expect(c.limits[2].name).toBe("a.2");
    expect(c.limits[3].name).toBe("b");
  });
  it("accepts names of letters, digits, '_', '.' and '-'", () => {
    const r = parseConfig("{\"limits\":{\"gpt-4o_free.v2\":{\"rates\":[{\"limit\":1,\"window\":\"1m\"}]}}}");
    expect(r.errors.length).toBe(0);
  });
  it("rejects other names, quoting them in the path", () => {
    expect(errors("{\"limits\":{\"free tier\":{\"rates\":[{\"limit\":1,\"window\":\"1m\"}]}}}")).toBe(
      "limits[\"free tier\"]: invalid limit name \"free tier\" (expected 1 to 128 letters, digits, '_', '.' or '-')");
    expect(errors("{\"limits\":{\"\":{\"rates\":[{\"limit\":1,\"window\":\"1m\"}]}}}")).toBe(
      "limits[\"\"]: invalid limit name \"\" (expected 1 to 128 letters, digits, '_', '.' or '-')");
  });
  it("rejects a limit that is not an object", () => {
    expect(errors(limit("5"))).toBe("limits.l: expected an object, got 5");
  });
  it("rejects unknown fields in a limit", () => {
    expect(errors(limit("{\"rates\":[{\"limit\":1,\"window\":\"1m\"}],\"rate\":1}"))).toBe(
      "limits.l.rate: unknown field (expected one of: rates, when, counters, tokens, alerts, soft)");
  });
  it("requires rates", () => {
    expect(errors(limit("{}"))).toBe("limits.l.rates: required");
  });
  it("requires at least one rate", () => {
    expect(errors(limit("{\"rates\":[]}"))).toBe("limits.l.rates: must contain at least one rate");
  });
  it("rejects rates that are not an array", () => {
    expect(errors(limit("{\"rates\":{\"limit\":1,\"window\":\"1m\"}}"))).toBe("limits.l.rates: expected an array, got object");
  });
  it("reads several rates in order", () => {
    const rates = config(limit("{\"rates\":[{\"limit\":1000,\"window\":\"1m\"},{\"limit\":50000,\"window\":\"1d\"}]}")).limits[0].rates;
    expect(rates.length).toBe(2);
    expect(rates[0].windowMs).toBe(60000);
    expect(rates[1].limit).toBe(50000);
    expect(rates[1].path).toBe("limits.l.rates[1]");
  });
});

describe("config: rates", () => {
  it("accepts integral numbers written with a fraction or exponent", () => {
    expect(config(rate("{\"limit\":2e4,\"window\":\"1m\"}")).limits[0].rates[0].limit).toBe(20000);
    expect(config(rate("{\"limit\":20000.0,\"window\":\"1m\"}")).limits[0].rates[0].limit).toBe(20000);
  });
  it("accepts limits up to 2^53 - 1", () => {
    expect(config(rate("{\"limit\":9007199254740991,\"window\":\"1m\"}")).limits[0].rates[0].limit).toBe(9007199254740991);
  });
  it("requires limit and window", () => {
    expect(errors(rate("{}"))).toBe("limits.l.rates[0].limit: required\nlimits.l.rates[0].window: required");
  });
  it("rejects a rate that is not an object", () => {
    expect(errors(rate("100"))).toBe("limits.l.rates[0]: expected an object, got 100");
  });
  it("rejects unknown fields in a rate", () => {
    expect(errors(rate("{\"limit\":1,\"window\":\"1m\",\"unit\":\"minute\"}"))).toBe(
      "limits.l.rates[0].unit: unknown field (expected one of: limit, window)");
  });
  it("rejects a limit given as a string", () => {
    expect(errors(rate("{\"limit\":\"20000\",\"window\":\"1m\"}"))).toBe("limits.l.rates[0].limit: expected a positive integer, got \"20000\"");
  });
  it("rejects zero, negative and fractional limits", () => {
    expect(errors(rate("{\"limit\":0,\"window\":\"1m\"}"))).toBe("limits.l.rates[0].limit: expected a positive integer, got 0");
    expect(errors(rate("{\"limit\":-5,\"window\":\"1m\"}"))).toBe("limits.l.rates[0].limit: expected a positive integer, got -5");
    expect(errors(rate("{\"limit\":1.5,\"window\":\"1m\"}"))).toBe("limits.l.rates[0].limit: expected a positive integer, got 1.5");
  });
  it("rejects limits beyond 2^53 - 1", () => {
    expect(errors(rate("{\"limit\":9007199254740992,\"window\":\"1m\"}"))).toBe(
      "limits.l.rates[0].limit: expected at most 9007199254740991, got 9007199254740992");
    expect(errors(rate("{\"limit\":1e300,\"window\":\"1m\"}"))).toBe(
      "limits.l.rates[0].limit: expected a positive integer, got 1e+300");
  });
  it("rejects booleans and arrays as limits", () => {
    expect(errors(rate("{\"limit\":true,\"window\":\"1m\"}"))).toBe("limits.l.rates[0].limit: expected a positive integer, got true");
    expect(errors(rate("{\"limit\":[1],\"window\":\"1m\"}"))).toBe("limits.l.rates[0].limit: expected a positive integer, got array");
  });
  it("rejects an invalid window", () => {
    expect(errors(rate("{\"limit\":1,\"window\":\"1.5h\"}"))).toBe(
      "limits.l.rates[0].window: invalid duration \"1.5h\" (expected e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d)");
  });
  it("rejects a window given as a number", () => {
    expect(errors(rate("{\"limit\":1,\"window\":60}"))).toBe(
      "limits.l.rates[0].window: expected a duration string (e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d), got 60");
  });
  it("rejects a zero or too long window", () => {
    expect(errors(rate("{\"limit\":1,\"window\":\"0s\"}"))).toBe("limits.l.rates[0].window: duration \"0s\" must be greater than zero");
    expect(errors(rate("{\"limit\":1,\"window\":\"400d\"}"))).toBe("limits.l.rates[0].window: duration \"400d\" is longer than 366d");
  });
});

describe("config: predicates and counters", () => {
  it("reads an empty when and counters as none", () => {
    const l = config(limit("{\"rates\":[{\"limit\":1,\"window\":\"1m\"}],\"when\":[],\"counters\":[]}")).limits[0];
    expect(l.when.length).toBe(0);
    expect(l.counters.length).toBe(0);
  });
  it("rejects a predicate given as a bare string", () => {
    expect(errors(limit("{\"rates\":[{\"limit\":1,\"window\":\"1m\"}],\"when\":[\"true\"]}"))).toBe(
      "limits.l.when[0]: expected an object like {\"predicate\": \"<CEL expression>\"}, got \"true\"");
  });
  it("rejects when that is not an array", () => {
    expect(errors(limit("{\"rates\":[{\"limit\":1,\"window\":\"1m\"}],\"when\":{\"predicate\":\"true\"}}"))).toBe(
      "limits.l.when: expected an array, got object");
  });
  it("requires the predicate field", () => {
    expect(errors(limit("{\"rates\":[{\"limit\":1,\"window\":\"1m\"}],\"when\":[{}]}"))).toBe("limits.l.when[0].predicate: required");
  });
  it("rejects an empty or blank expression", () => {
    expect(errors(limit("{\"rates\":[{\"limit\":1,\"window\":\"1m\"}],\"counters\":[{\"expression\":\" \"}]}"))).toBe(
      "limits.l.counters[0].expression: must not be empty");
  });
  it("rejects an expression that is not a string", () => {
    expect(errors(limit("{\"rates\":[{\"limit\":1,\"window\":\"1m\"}],\"when\":[{\"predicate\":true}]}"))).toBe(
      "limits.l.when[0].predicate: expected a CEL expression string, got true");
  });
  it("rejects unknown fields next to an expression", () => {
    expect(errors(limit("{\"rates\":[{\"limit\":1,\"window\":\"1m\"}],\"counters\":[{\"expression\":\"a\",\"predicate\":\"b\"}]}"))).toBe(
      "limits.l.counters[0].predicate: unknown field (expected one of: expression)");
  });
  it("does not compile expressions (the CEL module does)", () => {
    const l = config(limit("{\"rates\":[{\"limit\":1,\"window\":\"1m\"}],\"when\":[{\"predicate\":\"((\"}]}")).limits[0];
    expect(l.when[0].source).toBe("((");
  });
});

describe("config: tokens", () => {
  it("defaults to total", () => {
    expect(config(limit("{\"rates\":[{\"limit\":1,\"window\":\"1m\"}]}")).limits[0].tokens).toBe(TokenKind.Total);
  });
  it("reads input and output", () => {
    expect(config(limit("{\"rates\":[{\"limit\":1,\"window\":\"1m\"}],\"tokens\":\"input\"}")).limits[0].tokens).toBe(TokenKind.Input);
    expect(config(limit("{\"rates\":[{\"limit\":1,\"window\":\"1m\"}],\"tokens\":\"output\"}")).limits[0].tokens).toBe(TokenKind.Output);
  });
  it("rejects other kinds", () => {
    expect(errors(limit("{\"rates\":[{\"limit\":1,\"window\":\"1m\"}],\"tokens\":\"Total\"}"))).toBe(
      "limits.l.tokens: expected one of \"total\", \"input\", \"output\", got \"Total\"");
  });
});
