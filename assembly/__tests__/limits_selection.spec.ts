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

// Limits "a" and "c" share their predicate, as limits on one route do; "b" applies everywhere.
const SHARED = "{\"limits\":{" +
  "\"a\":{\"rates\":[{\"limit\":100,\"window\":\"1m\"}],\"when\":[{\"predicate\":\"request.path == '/a'\"}],\"counters\":[{\"expression\":\"user\"}]}," +
  "\"b\":{\"rates\":[{\"limit\":10,\"window\":\"1m\"}],\"counters\":[{\"expression\":\"user\"}]}," +
  "\"c\":{\"rates\":[{\"limit\":5,\"window\":\"1m\"}],\"when\":[{\"predicate\":\"request.path == '/a'\"},{\"predicate\":\"user == 'alice'\"}],\"counters\":[{\"expression\":\"user\"}]}}}";

/** Counts how often the request attribute is looked up (each evaluation of `request.path` looks it up). */
class CountingResolver extends MapResolver {
  requestLookups: i32 = 0;
  resolve(name: string): Value | null {
    if (name == "request") this.requestLookups++;
    return super.resolve(name);
  }
}

function countingRequest(path: string, user: string): CountingResolver {
  const req = new MapValue();
  req.setString("path", Value.string(path));
  const r = new CountingResolver();
  r.set("request", Value.map(req));
  if (user.length > 0) r.set("user", Value.string(user));
  return r;
}

describe("limit selection", () => {
  it("evaluates a predicate several limits share once per request, and applies it to each", () => {
    const r = countingRequest("/a", "alice");
    const s = selectLimits(policy(SHARED), r);
    expect(r.requestLookups).toBe(1);
    expect(s.limitStarts.length).toBe(3);
    expect(s.specs[0].limitName).toBe("a");
    expect(s.specs[1].limitName).toBe("b");
    expect(s.specs[2].limitName).toBe("c");
  });
  it("evaluates a shared predicate afresh for the next request", () => {
    const p = policy(SHARED);
    const out = new Selection();
    selectLimits(p, countingRequest("/a", "alice"), out);
    expect(out.specs.length).toBe(3);
    const r = countingRequest("/other", "alice");
    selectLimits(p, r, out);
    expect(r.requestLookups).toBe(1);
    expect(out.specs.length).toBe(1);
    expect(out.specs[0].limitName).toBe("b");
  });
  it("counts a shared predicate that fails to evaluate as an error of every limit that uses it", () => {
    const s = selectLimits(policy(SHARED), new MapResolver().set("user", Value.string("alice")));
    expect(s.expressionErrors).toBe(2);
    expect(s.specs.length).toBe(1);
    expect(s.specs[0].limitName).toBe("b");
  });
  it("keeps a limit's own later predicates: a shared first predicate that holds does not decide the rest", () => {
    const s = selectLimits(policy(SHARED), request("/a", "bob"));
    expect(s.specs.length).toBe(2);
    expect(s.specs[0].limitName).toBe("a");
    expect(s.specs[1].limitName).toBe("b");
  });

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
