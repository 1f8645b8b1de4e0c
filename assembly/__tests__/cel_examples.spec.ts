import { compile, evaluate, evaluateBool, valueToString } from "../cel/index";
import { Value, MapValue } from "../cel/value";
import { MapResolver } from "../cel/resolver";

function identity(groups: string): Value {
  const annotations = new MapValue();
  annotations.setString("kuadrant.io/groups", Value.string(groups));
  const metadata = new MapValue();
  metadata.setString("annotations", Value.map(annotations));
  const id = new MapValue();
  id.setString("userid", Value.string("alice"));
  id.setString("metadata", Value.map(metadata));
  return Value.map(id);
}

function request(path: string, groups: string): MapResolver {
  return new MapResolver()
    .set("request.path", Value.string(path))
    .set("auth.identity", identity(groups));
}

describe("cel policy examples", () => {
  it("matches the request path predicate", () => {
    const r = compile('request.path == "/v1/chat/completions"');
    expect(r.error).toBe("");
    const p = r.program!;
    expect(evaluateBool(p, request("/v1/chat/completions", "free"))).toBe(1);
    expect(evaluateBool(p, request("/v1/embeddings", "free"))).toBe(0);
  });
  it("finds a group in a comma-separated annotation", () => {
    const r = compile('auth.identity.metadata.annotations["kuadrant.io/groups"].split(",").exists(g, g == "free")');
    expect(r.error).toBe("");
    const p = r.program!;
    expect(evaluateBool(p, request("/", "paid,free"))).toBe(1);
    expect(evaluateBool(p, request("/", "paid,gold"))).toBe(0);
  });
  it("produces the user id as a counter key", () => {
    const r = compile("auth.identity.userid");
    expect(r.error).toBe("");
    expect(valueToString(evaluate(r.program!, request("/", "free")))).toBe("alice");
  });
  it("reports a missing attribute as an error value, not a trap", () => {
    const r = compile("auth.identity.userid");
    const v = evaluate(r.program!, new MapResolver());
    expect(v.isError()).toBe(true);
    expect(evaluateBool(r.program!, new MapResolver())).toBe(-1);
  });
  it("reports a syntax error with its byte position", () => {
    const r = compile("request.path == ");
    expect(r.program).toBeNull();
    expect(r.position).toBe(16);
  });
});
