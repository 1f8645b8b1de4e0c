import { compilePolicy, CompiledPolicy, PolicyEnvironment } from "../limits/policy";
import { Selection, selectLimits } from "../limits/selection";
import { parseConfig, PluginConfig } from "../config";
import { MemoryCounters } from "../counters/memory";
import { CompileOptions, MapResolver, MapValue, Value } from "../cel";

// Limit "a" applies on /a, per user; limit "b" applies everywhere, per user, two rates.
const POLICY = "{\"limits\":{" +
  "\"a\":{\"rates\":[{\"limit\":100,\"window\":\"1m\"}],\"when\":[{\"predicate\":\"request.path == '/a'\"}],\"counters\":[{\"expression\":\"user\"}]}," +
  "\"b\":{\"rates\":[{\"limit\":10,\"window\":\"1m\"},{\"limit\":1000,\"window\":\"24h\"}],\"counters\":[{\"expression\":\"user\"}]}}}";

function policy(text: string = POLICY): CompiledPolicy {
  const c = parseConfig(text).config;
  return compilePolicy(c === null ? new PluginConfig() : c, new PolicyEnvironment(new CompileOptions(), new MemoryCounters()));
}

/** A request to `path` by `user` ("" for none: the counter expression then fails). */
function request(path: string, user: string): MapResolver {
  const req = new MapValue();
  req.setString("path", Value.string(path));
  const r = new MapResolver().set("request", Value.map(req));
  if (user.length > 0) r.set("user", Value.string(user));
  return r;
}

describe("limit selection", () => {
  it("gives one counter spec per rate of every limit that applies, in limit order", () => {
    const s = selectLimits(policy(), request("/a", "alice"));
    expect(s.specs.length).toBe(3);
    expect(s.specs[0].limitName).toBe("a");
    expect(s.specs[1].limitName).toBe("b");
    expect(s.specs[2].rateIndex).toBe(1);
    expect(s.limitStarts.join(",")).toBe("0,1");
    expect(s.limitOfSpec.join(",")).toBe("0,1,1");
    expect(s.specs[0].values.join(",")).toBe("alice");
  });
  it("leaves out a limit whose predicate does not hold", () => {
    const s = selectLimits(policy(), request("/other", "alice"));
    expect(s.specs.length).toBe(2);
    expect(s.specs[0].limitName).toBe("b");
  });
  it("leaves out a limit whose counter cannot be determined, and counts it", () => {
    const s = selectLimits(policy(), request("/a", ""));
    expect(s.specs.length).toBe(0);
    expect(s.counterErrors).toBe(2);
    expect(s.counterErrorLimit).toBe("a");
  });
  it("counts a predicate that fails to evaluate as false and as an error", () => {
    const s = selectLimits(policy(), new MapResolver().set("user", Value.string("alice")));
    expect(s.expressionErrors).toBe(1);
    expect(s.specs.length).toBe(2);
  });
  it("holds only the last request's limits and errors when reused", () => {
    const p = policy();
    const out = new Selection();
    selectLimits(p, request("/a", ""), out);
    selectLimits(p, request("/a", "alice"), out);
    selectLimits(p, request("/other", "bob"), out);
    expect(out.specs.length).toBe(2);
    expect(out.limitStarts.join(",")).toBe("0");
    expect(out.limitOfSpec.join(",")).toBe("1,1");
    expect(out.counterErrors).toBe(0);
    expect(out.counterErrorLimit).toBe("");
    expect(out.specs[0].values.join(",")).toBe("bob");
  });
});
