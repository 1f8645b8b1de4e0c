import { Value } from "../cel/value";
import { RequestAttributes, AttributeOptions } from "../attributes/request";
import { TableAttributeSource } from "../attributes/table_source";
import { IdentityFailure } from "../attributes/failure";
import { IdentitySource } from "../attributes/identity";
import { makeJwt } from "../attributes/testing/jwt_builder";

function text(v: Value | null): string {
  return v === null ? "<absent>" : v.str;
}

function userid(a: RequestAttributes): string {
  const id = a.resolve("auth.identity");
  if (id === null) return "<no identity>";
  const u = id.map!.getString("userid");
  return u === null ? "<no userid>" : u.str;
}

describe("RequestAttributes.reset", () => {
  it("a reset resolver answers from the source as it is now, not from what it cached before", () => {
    const source = new TableAttributeSource().setString("request.path", "/v1/chat/completions");
    const a = new RequestAttributes(source, new AttributeOptions());
    expect(text(a.resolve("request.path"))).toBe("/v1/chat/completions");
    source.setString("request.path", "/healthz");
    expect(text(a.resolve("request.path"))).toBe("/v1/chat/completions");
    a.reset(new AttributeOptions());
    expect(text(a.resolve("request.path"))).toBe("/healthz");
  });

  it("a reset resolver looks the identity up again, and forgets why the last one had none", () => {
    const anonymous = new RequestAttributes(new TableAttributeSource(), new AttributeOptions());
    expect(userid(anonymous)).toBe("<no identity>");
    expect(anonymous.identityFailure).toBe(IdentityFailure.MissingHeader);
    const source = new TableAttributeSource().addHeader("authorization", "Bearer " + makeJwt("{\"sub\":\"bob\"}"));
    const a = new RequestAttributes(source, new AttributeOptions());
    expect(userid(a)).toBe("bob");
    anonymous.source = source;
    anonymous.reset(new AttributeOptions());
    expect(anonymous.identityFailure).toBe(IdentityFailure.None);
    expect(userid(anonymous)).toBe("bob");
  });

  it("a reset resolver uses the options it is given (a new configuration's)", () => {
    const source = new TableAttributeSource()
      .addHeader("authorization", "Bearer " + makeJwt("{\"sub\":\"bob\"}"))
      .addHeader("x-user", "carol");
    const a = new RequestAttributes(source, new AttributeOptions());
    expect(userid(a)).toBe("bob");
    const byHeader = new AttributeOptions();
    byHeader.identity.source = IdentitySource.Headers;
    byHeader.identity.userHeader = "x-user";
    a.reset(byHeader);
    expect(userid(a)).toBe("carol");
  });
});
