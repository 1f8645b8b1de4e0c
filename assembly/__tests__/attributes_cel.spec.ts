// The attribute resolver under the real CEL compiler and evaluator, with the expressions
// of Kuadrant's TokenRateLimitPolicy examples.
import { compile, compileWith, evaluate, evaluateBool, CompileOptions, Program } from "../cel/index";
import { Kind } from "../cel/value";
import { RequestAttributes, AttributeOptions, knownAttributeNames } from "../attributes/request";
import { TableAttributeSource } from "../attributes/table_source";
import { IdentitySource } from "../attributes/identity";
import { makeJwt } from "../attributes/testing/jwt_builder";
import { entry, structBody, metadataWith, vString, vStruct, vList } from "../attributes/testing/proto_writer";

const FREE = 'auth.identity.metadata.annotations["kuadrant.io/groups"].split(",").exists(g, g == "free")';

function program(source: string): Program {
  const r = compile(source);
  expect(r.error).toBe("", source);
  return r.program!;
}

function withToken(claims: string): RequestAttributes {
  const src = new TableAttributeSource()
    .addHeader(":path", "/v1/chat/completions")
    .addHeader("authorization", "Bearer " + makeJwt(claims))
    .setString("request.path", "/v1/chat/completions");
  return new RequestAttributes(src, new AttributeOptions());
}

describe("CEL over request attributes", () => {
  it("selects the free tier from a JWT's groups claim", () => {
    expect(evaluateBool(program(FREE), withToken("{\"sub\":\"alice\",\"groups\":[\"free\",\"beta\"]}"))).toBe(1);
    expect(evaluateBool(program(FREE), withToken("{\"sub\":\"bob\",\"groups\":[\"gold\"]}"))).toBe(0);
  });
  it("counts per auth.identity.userid", () => {
    const v = evaluate(program("auth.identity.userid"), withToken("{\"sub\":\"alice\"}"));
    expect(v.kind).toBe(Kind.String);
    expect(v.str).toBe("alice");
  });
  it("reads request.auth.identity like auth.identity", () => {
    const p = program('request.auth.identity.metadata.annotations["kuadrant.io/groups"] == "free"');
    expect(evaluateBool(p, withToken("{\"sub\":\"a\",\"groups\":\"free\"}"))).toBe(1);
  });
  it("makes an identity predicate false, not a trap, without a token", () => {
    const a = new RequestAttributes(new TableAttributeSource(), new AttributeOptions());
    expect(evaluateBool(program(FREE), a)).toBe(-1);
    const has = evaluate(program("has(auth.identity)"), a);
    expect(has.kind).toBe(Kind.Bool);
    expect(has.b).toBe(false);
  });
  it("indexes request.headers and compares request.path", () => {
    const src = new TableAttributeSource().addHeader("x-tenant", "acme").setString("request.path", "/v1/embeddings");
    const a = new RequestAttributes(src, new AttributeOptions());
    expect(evaluateBool(program('request.headers["x-tenant"] == "acme" && request.path.startsWith("/v1/")'), a)).toBe(1);
  });
  it("reads jwt_authn metadata both as the identity and through metadata.filter_metadata", () => {
    const md = metadataWith("envoy.filters.http.jwt_authn", structBody([entry("https://issuer", vStruct([
      entry("sub", vString("carol")), entry("groups", vList([vString("free")])),
    ]))]));
    const options = new AttributeOptions();
    options.identity.source = IdentitySource.JwtAuthn;
    const src = new TableAttributeSource().setProperty(["metadata"], md);
    const a = new RequestAttributes(src, options);
    expect(evaluateBool(program(FREE), a)).toBe(1);
    const viaMetadata = program('metadata.filter_metadata["envoy.filters.http.jwt_authn"]["https://issuer"].sub == "carol"');
    expect(evaluateBool(viaMetadata, a)).toBe(1);
    expect(src.propertyCalls).toBe(1);
  });
  it("compiles against knownAttributeNames and rejects a misspelt attribute", () => {
    const options = new CompileOptions();
    options.knownNames = knownAttributeNames();
    options.onlyKnownNames = true;
    expect(compileWith(FREE, options).error).toBe("");
    expect(compileWith('request.headers["x"] == "y" && source.port > 0 && connection.mtls', options).error).toBe("");
    expect(compileWith("request.pth == \"/\"", options).error).not.toBe("");
  });
  it("evaluates a program bound with knownAttributeNames", () => {
    const options = new CompileOptions();
    options.knownNames = knownAttributeNames();
    const r = compileWith(FREE, options);
    expect(evaluateBool(r.program!, withToken("{\"sub\":\"a\",\"groups\":[\"free\"]}"))).toBe(1);
  });
});
