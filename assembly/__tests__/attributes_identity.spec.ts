import { Value, Kind, MapValue } from "../cel/value";
import { RequestAttributes, AttributeOptions } from "../attributes/request";
import { TableAttributeSource } from "../attributes/table_source";
import { IdentitySource, parseIdentitySource, enrichIdentity, IdentityOptions, claimAsUserId } from "../attributes/identity";
import { IdentityFailure, identityFailureName, IDENTITY_FAILURE_COUNT } from "../attributes/failure";
import { decodeBase64Url } from "../attributes/base64url";
import { decodeJwtClaims, MAX_TOKEN_LENGTH } from "../attributes/jwt";
import { tokenInHeader, queryParameter } from "../attributes/jwt_extractor";
import { parseJson } from "../json/parse";
import { stringifyJson } from "../json/stringify";
import { makeJwt, b64u, encodeBase64Url } from "../attributes/testing/jwt_builder";
import {
  bytesOf, entry, structBody, metadataWith, vString, vList, vStruct, vNumber,
} from "../attributes/testing/proto_writer";

// The example identity of Kuadrant's TokenRateLimitPolicy docs: limits pick the tier
// from the groups annotation and count per userid.
const EXAMPLE_CLAIMS = "{\"sub\":\"alice\",\"groups\":[\"free\",\"beta\"],\"iss\":\"https://sso.example.com\",\"exp\":1999999999}";

function json(v: Value | null): string {
  return v === null ? "<null>" : stringifyJson(v);
}

function jwtRequest(header: string, options: AttributeOptions = new AttributeOptions()): RequestAttributes {
  return new RequestAttributes(new TableAttributeSource().addHeader("authorization", header), options);
}

/** auth.identity.userid */
function userid(a: RequestAttributes): string {
  const id = a.resolve("auth.identity");
  if (id === null) return "<no identity>";
  const u = id.map!.getString("userid");
  return u === null ? "<no userid>" : u.str;
}

/** auth.identity.metadata.annotations["kuadrant.io/groups"] */
function groups(a: RequestAttributes): string {
  const id = a.resolve("auth.identity");
  if (id === null) return "<no identity>";
  const md = id.map!.getString("metadata");
  if (md === null || md.kind != Kind.Map) return "<no metadata>";
  const ann = md.map!.getString("annotations");
  if (ann === null || ann.kind != Kind.Map) return "<no annotations>";
  const g = ann.map!.getString("kuadrant.io/groups");
  return g === null ? "<no groups>" : g.str;
}

function claims(jsonText: string): MapValue {
  return parseJson(jsonText).value!.map!;
}

describe("base64url", () => {
  it("decodes without padding", () => {
    expect(String.UTF8.decode(decodeBase64Url("aGVsbG8")!)).toBe("hello");
  });
  it("decodes with padding", () => {
    expect(String.UTF8.decode(decodeBase64Url("aGVsbG8=")!)).toBe("hello");
    expect(String.UTF8.decode(decodeBase64Url("aGk=")!)).toBe("hi");
    expect(String.UTF8.decode(decodeBase64Url("aGk")!)).toBe("hi");
  });
  it("uses the URL-safe alphabet", () => {
    const b = decodeBase64Url("-_8")!;
    expect(b.byteLength).toBe(2);
    expect(load<u8>(changetype<usize>(b))).toBe(0xFB);
    expect(load<u8>(changetype<usize>(b) + 1)).toBe(0xFF);
  });
  it("rejects the standard alphabet's '+' and '/'", () => {
    expect(decodeBase64Url("+/8")).toBeNull();
  });
  it("rejects whitespace and '=' in the middle", () => {
    expect(decodeBase64Url("aGVs bG8")).toBeNull();
    expect(decodeBase64Url("aG=sbG8")).toBeNull();
  });
  it("rejects a single dangling character", () => {
    expect(decodeBase64Url("aGVsb")).toBeNull();
  });
  it("rejects wrong padding", () => {
    expect(decodeBase64Url("aGk==")).toBeNull();
    expect(decodeBase64Url("aGVsbG8==")).toBeNull();
    expect(decodeBase64Url("a===")).toBeNull();
    expect(decodeBase64Url("====")).toBeNull();
  });
  it("rejects non-zero trailing bits (non-canonical encodings)", () => {
    expect(decodeBase64Url("aGl")).toBeNull();
    expect(decodeBase64Url("aGVsbG9")).toBeNull();
  });
  it("decodes an empty string to no bytes", () => {
    expect(decodeBase64Url("")!.byteLength).toBe(0);
  });
  it("round-trips every byte value at every length", () => {
    let ok = true;
    for (let len = 0; len < 70; len++) {
      const b = new ArrayBuffer(len);
      for (let i = 0; i < len; i++) store<u8>(changetype<usize>(b) + <usize>i, <u8>(i * 37 + len));
      for (let pad = 0; pad < 2; pad++) {
        const back = decodeBase64Url(encodeBase64Url(b, pad == 1));
        if (back === null || back.byteLength != len) { ok = false; continue; }
        if (memory.compare(changetype<usize>(back), changetype<usize>(b), <usize>len) != 0) ok = false;
      }
    }
    expect(ok).toBe(true);
  });
});

describe("token extraction (jwt_authn's extractor)", () => {
  it("finds the case-sensitive prefix anywhere in the value and skips what is not a token character", () => {
    expect(tokenInHeader("Token Bearer a.b.c", "Bearer ")!).toBe("a.b.c");
    expect(tokenInHeader("Bearer   a.b.c", "Bearer ")!).toBe("a.b.c");
  });
  it("finds no token without the exact prefix", () => {
    expect(tokenInHeader("bearer a.b.c", "Bearer ")).toBeNull();
    expect(tokenInHeader("Basic dXNlcg==", "Bearer ")).toBeNull();
  });
  it("keeps the whole value when no token character follows the prefix, and with an empty prefix", () => {
    expect(tokenInHeader("Bearer  ", "Bearer ")!).toBe("Bearer  ");
    expect(tokenInHeader(" a.b.c", "")!).toBe(" a.b.c");
  });
  it("reads the first value of a query parameter, percent-decoded", () => {
    expect(queryParameter("/p?a=1&access_token=x%2Ey&access_token=z", "access_token")!).toBe("x.y");
    expect(queryParameter("/p?access_token", "access_token")!).toBe("");
    expect(queryParameter("/p?access%5Ftoken=t", "access_token")!).toBe("t");
    expect(queryParameter("/p?x=access_token=t", "access_token")).toBeNull();
    expect(queryParameter("/p#access_token=t", "access_token")).toBeNull();
    expect(queryParameter("/p?a=%zz", "a")!).toBe("%zz");
  });
});

describe("JWT identity", () => {
  it("turns the example identity into userid and the groups annotation", () => {
    const a = jwtRequest("Bearer " + makeJwt(EXAMPLE_CLAIMS));
    expect(userid(a)).toBe("alice");
    expect(groups(a)).toBe("free,beta");
    expect(a.identityFailure).toBe(IdentityFailure.None);
  });
  it("keeps the original claims next to the added fields", () => {
    const id = jwtRequest("Bearer " + makeJwt(EXAMPLE_CLAIMS)).resolve("auth.identity");
    expect(id!.map!.getString("iss")!.str).toBe("https://sso.example.com");
    expect(id!.map!.getString("exp")!.i).toBe(1999999999);
  });
  it("accepts a padded payload", () => {
    expect(userid(jwtRequest("Bearer " + makeJwt(EXAMPLE_CLAIMS, true)))).toBe("alice");
  });
  it("accepts payloads of every length modulo 3, padded or not", () => {
    let ok = true;
    for (let extra = 0; extra < 3; extra++) {
      const payload = "{\"sub\":\"u\",\"x\":\"" + "y".repeat(extra) + "\"}";
      for (let pad = 0; pad < 2; pad++) {
        if (userid(jwtRequest("Bearer " + makeJwt(payload, pad == 1))) != "u") ok = false;
      }
    }
    expect(ok).toBe(true);
  });
  it("reads the token from a configured header without prefix", () => {
    const options = new AttributeOptions();
    options.identity.jwtHeader = "x-jwt";
    options.identity.jwtPrefix = "";
    const src = new TableAttributeSource().addHeader("x-jwt", makeJwt(EXAMPLE_CLAIMS));
    expect(userid(new RequestAttributes(src, options))).toBe("alice");
  });
  it("uses a configured user id claim", () => {
    const options = new AttributeOptions();
    options.identity.userIdClaim = "email";
    const a = jwtRequest("Bearer " + makeJwt("{\"sub\":\"123\",\"email\":\"a@example.com\"}"), options);
    expect(userid(a)).toBe("a@example.com");
  });
  it("keeps a numeric user id claim an int (its counter is not the string's)", () => {
    const id = jwtRequest("Bearer " + makeJwt("{\"sub\":12345}")).resolve("auth.identity")!.map!.getString("userid")!;
    expect(id.kind).toBe(Kind.Int);
    expect(id.i).toBe(12345);
  });
  it("keeps a userid the claims already have", () => {
    expect(userid(jwtRequest("Bearer " + makeJwt("{\"sub\":\"s\",\"userid\":\"u\"}")))).toBe("u");
  });
  it("keeps a groups annotation the claims already have", () => {
    const payload = "{\"sub\":\"s\",\"groups\":[\"x\"],\"metadata\":{\"annotations\":{\"kuadrant.io/groups\":\"gold\",\"other\":\"1\"}}}";
    expect(groups(jwtRequest("Bearer " + makeJwt(payload)))).toBe("gold");
  });
  it("adds the groups annotation next to existing annotations", () => {
    const payload = "{\"sub\":\"s\",\"groups\":\"gold\",\"metadata\":{\"annotations\":{\"other\":\"1\"},\"name\":\"n\"}}";
    const a = jwtRequest("Bearer " + makeJwt(payload));
    expect(groups(a)).toBe("gold");
    const md = a.resolve("auth.identity")!.map!.getString("metadata")!.map!;
    expect(md.getString("name")!.str).toBe("n");
    expect(md.getString("annotations")!.map!.getString("other")!.str).toBe("1");
  });
  it("reads a nested groups claim by dotted path (Keycloak realm roles)", () => {
    const options = new AttributeOptions();
    options.identity.groupsClaim = "realm_access.roles";
    const a = jwtRequest("Bearer " + makeJwt("{\"sub\":\"s\",\"realm_access\":{\"roles\":[\"paid\",\"admin\"]}}"), options);
    expect(groups(a)).toBe("paid,admin");
  });
  it("prefers a claim whose name contains dots over a path", () => {
    const options = new AttributeOptions();
    options.identity.groupsClaim = "https://example.com/groups";
    const a = jwtRequest("Bearer " + makeJwt("{\"sub\":\"s\",\"https://example.com/groups\":[\"team\"]}"), options);
    expect(groups(a)).toBe("team");
  });
  it("has no groups annotation when there is no groups claim", () => {
    expect(groups(jwtRequest("Bearer " + makeJwt("{\"sub\":\"s\"}")))).toBe("<no metadata>");
  });
  it("skips non-string list members of the groups claim", () => {
    expect(groups(jwtRequest("Bearer " + makeJwt("{\"sub\":\"s\",\"groups\":[\"a\",1,null,\"b\"]}")))).toBe("a,b");
  });
  it("leaves a non-map metadata claim alone", () => {
    const a = jwtRequest("Bearer " + makeJwt("{\"sub\":\"s\",\"groups\":[\"a\"],\"metadata\":\"x\"}"));
    expect(a.resolve("auth.identity")!.map!.getString("metadata")!.str).toBe("x");
  });
  it("does not change the claims map it enriches", () => {
    const c = claims("{\"sub\":\"s\",\"groups\":[\"a\"]}");
    enrichIdentity(c, new IdentityOptions());
    expect(c.size).toBe(2);
  });
});

describe("user id claim conversion", () => {
  it("keeps strings and integers with their type", () => {
    expect(claimAsUserId(Value.string("a"))!.str).toBe("a");
    expect(claimAsUserId(Value.int(42))!.kind).toBe(Kind.Int);
  });
  it("turns integral doubles into ints, so jwt_authn's Struct numbers match decoded tokens", () => {
    const v = claimAsUserId(Value.double(42.0))!;
    expect(v.kind).toBe(Kind.Int);
    expect(v.i).toBe(42);
  });
  it("refuses what cannot name a caller", () => {
    expect(claimAsUserId(Value.string(""))).toBeNull();
    expect(claimAsUserId(Value.double(1.5))).toBeNull();
    expect(claimAsUserId(Value.double(NaN))).toBeNull();
    expect(claimAsUserId(Value.double(Infinity))).toBeNull();
    expect(claimAsUserId(Value.bool(true))).toBeNull();
    expect(claimAsUserId(Value.null())).toBeNull();
  });
});

describe("JWT failures", () => {
  it("has no identity without the header", () => {
    const a = new RequestAttributes(new TableAttributeSource(), new AttributeOptions());
    expect(a.resolve("auth.identity")).toBeNull();
    expect(a.identityFailure).toBe(IdentityFailure.MissingHeader);
  });
  it("has no identity for another auth scheme", () => {
    const a = jwtRequest("Basic dXNlcjpwYXNz");
    expect(a.resolve("auth.identity")).toBeNull();
    expect(a.identityFailure).toBe(IdentityFailure.BadPrefix);
  });
  it("rejects 'Bearer' with no token", () => {
    const a = jwtRequest("Bearer ");
    expect(a.resolve("auth.identity")).toBeNull();
    expect(a.identityFailure).toBe(IdentityFailure.MalformedToken);
  });
  it("accepts an unsecured token with an empty signature (it is decoded, never verified)", () => {
    const a = jwtRequest("Bearer " + b64u("{\"alg\":\"none\"}") + "." + b64u("{\"sub\":\"alice\"}") + ".");
    expect(userid(a)).toBe("alice");
  });
  it("rejects tokens that are not three parts with a header and a payload", () => {
    const bad = ["abc", "a.b", "a.b.c.d.e", ".b.c", "a..c", "..", "a.b.c.d"];
    let rejected = 0;
    for (let i = 0; i < bad.length; i++) {
      const a = jwtRequest("Bearer " + bad[i]);
      if (a.resolve("auth.identity") === null && a.identityFailure == IdentityFailure.MalformedToken) rejected++;
    }
    expect(rejected).toBe(bad.length);
  });
  it("rejects a payload that is not base64url", () => {
    const a = jwtRequest("Bearer " + b64u("{}") + ".eyJzdWIiOi+hIn0." + b64u("s"));
    expect(a.resolve("auth.identity")).toBeNull();
    expect(a.identityFailure).toBe(IdentityFailure.BadBase64);
  });
  it("rejects a payload that is not JSON", () => {
    const a = jwtRequest("Bearer " + b64u("{}") + "." + b64u("{\"sub\":") + "." + b64u("s"));
    expect(a.resolve("auth.identity")).toBeNull();
    expect(a.identityFailure).toBe(IdentityFailure.BadJson);
  });
  it("rejects a payload that is JSON but not an object", () => {
    const a = jwtRequest("Bearer " + makeJwt("[\"sub\"]"));
    expect(a.resolve("auth.identity")).toBeNull();
    expect(a.identityFailure).toBe(IdentityFailure.NotObject);
  });
  it("survives a payload of invalid UTF-8 (the JSON parser decides: replaced or rejected)", () => {
    const a = jwtRequest("Bearer " + b64u("{}") + "." + encodeBase64Url(bytesOf([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D])) + "." + b64u("s"));
    const id = a.resolve("auth.identity");
    expect(id === null ? a.identityFailure == IdentityFailure.BadJson : a.identityFailure == IdentityFailure.None).toBe(true);
  });
  it("rejects a token longer than the limit before decoding it", () => {
    const big = "{\"sub\":\"" + "x".repeat(MAX_TOKEN_LENGTH) + "\"}";
    expect(decodeJwtClaims(makeJwt(big)).failure).toBe(IdentityFailure.TooLarge);
  });
  it("rejects a deeply nested payload without trapping", () => {
    const deep = "{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
    expect(decodeJwtClaims(makeJwt(deep)).claims).toBeNull();
  });
  it("counts each failure reason and each success across requests", () => {
    const options = new AttributeOptions();
    jwtRequest("Basic x", options).resolve("auth.identity");
    jwtRequest("Basic y", options).resolve("auth.identity");
    jwtRequest("Bearer " + makeJwt(EXAMPLE_CLAIMS), options).resolve("auth.identity");
    new RequestAttributes(new TableAttributeSource(), options).resolve("auth.identity");
    expect(options.identityStats.failed(IdentityFailure.BadPrefix)).toBe(2);
    expect(options.identityStats.failed(IdentityFailure.MissingHeader)).toBe(1);
    expect(options.identityStats.found).toBe(1);
  });
  it("names every failure reason for metrics", () => {
    let named = 0;
    for (let i = 0; i < IDENTITY_FAILURE_COUNT; i++) {
      if (identityFailureName(<IdentityFailure>i) != "unknown") named++;
    }
    expect(named).toBe(IDENTITY_FAILURE_COUNT);
    expect(identityFailureName(IdentityFailure.BadBase64)).toBe("bad_base64");
  });
});

describe("identity lookups", () => {
  it("resolves request.auth.identity to the same identity as auth.identity", () => {
    const a = jwtRequest("Bearer " + makeJwt(EXAMPLE_CLAIMS));
    const viaRequest = a.resolve("request.auth.identity");
    expect(viaRequest).not.toBeNull();
    expect(viaRequest === a.resolve("auth.identity")).toBe(true);
  });
  it("resolves auth and request.auth to a map holding the identity", () => {
    const a = jwtRequest("Bearer " + makeJwt(EXAMPLE_CLAIMS));
    expect(a.resolve("auth")!.map!.getString("identity") === a.resolve("auth.identity")).toBe(true);
    expect(a.resolve("request.auth")!.map!.getString("identity")).not.toBeNull();
  });
  it("resolves auth to an empty map when there is no identity, so has(auth.identity) is false", () => {
    const a = new RequestAttributes(new TableAttributeSource(), new AttributeOptions());
    expect(a.resolve("auth")!.map!.size).toBe(0);
  });
  it("answers deeper identity names with null so the evaluator walks the map", () => {
    const a = jwtRequest("Bearer " + makeJwt(EXAMPLE_CLAIMS));
    expect(a.resolve("request.auth.identity.metadata")).toBeNull();
    expect(a.resolve("auth.identity.userid")).toBeNull();
  });
  it("does not treat request.authority as the auth alias", () => {
    const a = jwtRequest("Bearer " + makeJwt(EXAMPLE_CLAIMS));
    expect(a.resolve("request.authority")).toBeNull();
  });
  it("reads the token header once for all identity names", () => {
    const src = new TableAttributeSource().addHeader("authorization", "Bearer " + makeJwt(EXAMPLE_CLAIMS));
    const a = new RequestAttributes(src, new AttributeOptions());
    a.resolve("request.auth.identity.metadata");
    a.resolve("request.auth.identity");
    a.resolve("auth.identity");
    a.resolve("auth");
    expect(src.headerCalls).toBe(1);
    expect(src.propertyCalls).toBe(1); // the whole metadata, for a payload jwt_authn verified
  });
  it("counts one identity outcome per request however often it is read", () => {
    const options = new AttributeOptions();
    const a = jwtRequest("Bearer " + makeJwt(EXAMPLE_CLAIMS), options);
    a.resolve("auth.identity");
    a.resolve("request.auth.identity");
    expect(options.identityStats.found).toBe(1);
  });
  it("does not look the identity up until asked", () => {
    const src = new TableAttributeSource().addHeader("authorization", "Bearer x");
    const a = new RequestAttributes(src, new AttributeOptions());
    a.resolve("request.headers");
    expect(a.identityResolved).toBe(false);
    expect(src.headerCalls).toBe(0);
  });
});

describe("identity sources", () => {
  it("parses the configured source names", () => {
    expect(parseIdentitySource("jwt")).toBe(IdentitySource.Jwt);
    expect(parseIdentitySource("jwtAuthn")).toBe(IdentitySource.JwtAuthn);
    expect(parseIdentitySource("headers")).toBe(IdentitySource.Headers);
    expect(parseIdentitySource("none")).toBe(IdentitySource.None);
    expect(parseIdentitySource("JWT")).toBe(-1);
  });
  it("has no identity with source none, and asks nothing", () => {
    const options = new AttributeOptions();
    options.identity.source = IdentitySource.None;
    const src = new TableAttributeSource().addHeader("authorization", "Bearer " + makeJwt(EXAMPLE_CLAIMS));
    const a = new RequestAttributes(src, options);
    expect(a.resolve("auth.identity")).toBeNull();
    expect(a.identityFailure).toBe(IdentityFailure.Disabled);
    expect(src.headerCalls).toBe(0);
  });
  it("builds the identity from trusted headers", () => {
    const options = new AttributeOptions();
    options.identity.source = IdentitySource.Headers;
    const src = new TableAttributeSource().addHeader("x-auth-user", "bob").addHeader("x-auth-groups", " free , ,beta");
    const a = new RequestAttributes(src, options);
    expect(userid(a)).toBe("bob");
    expect(groups(a)).toBe("free,beta");
    expect(json(a.resolve("auth.identity")!.map!.getString("groups"))).toBe("[\"free\",\"beta\"]");
  });
  it("builds a header identity without groups when the groups header is absent", () => {
    const options = new AttributeOptions();
    options.identity.source = IdentitySource.Headers;
    const a = new RequestAttributes(new TableAttributeSource().addHeader("x-auth-user", "bob"), options);
    expect(json(a.resolve("auth.identity"))).toBe("{\"userid\":\"bob\"}");
  });
  it("has no header identity without the user header", () => {
    const options = new AttributeOptions();
    options.identity.source = IdentitySource.Headers;
    const a = new RequestAttributes(new TableAttributeSource().addHeader("x-auth-groups", "a"), options);
    expect(a.resolve("auth.identity")).toBeNull();
    expect(a.identityFailure).toBe(IdentityFailure.MissingHeader);
  });
  it("has no header identity for a blank user header", () => {
    const options = new AttributeOptions();
    options.identity.source = IdentitySource.Headers;
    const a = new RequestAttributes(new TableAttributeSource().addHeader("x-auth-user", "  "), options);
    expect(a.resolve("auth.identity")).toBeNull();
  });
});

function jwtAuthnOptions(): AttributeOptions {
  const options = new AttributeOptions();
  options.identity.source = IdentitySource.JwtAuthn;
  return options;
}

const NS = "envoy.filters.http.jwt_authn";

function examplePayloadStruct(): ArrayBuffer {
  return structBody([
    entry("sub", vString("alice")),
    entry("groups", vList([vString("free"), vString("beta")])),
    entry("exp", vNumber(1999999999)),
  ]);
}

describe("jwt_authn identity", () => {
  it("reads the verified payload from dynamic metadata", () => {
    const md = metadataWith(NS, structBody([entry("jwt_payload", vStruct([
      entry("sub", vString("alice")), entry("groups", vList([vString("free"), vString("beta")])),
    ]))]));
    const a = new RequestAttributes(new TableAttributeSource().setProperty(["metadata"], md), jwtAuthnOptions());
    expect(userid(a)).toBe("alice");
    expect(groups(a)).toBe("free,beta");
  });
  it("picks the configured payload key", () => {
    const md = metadataWith(NS, structBody([
      entry("other_provider", vStruct([entry("sub", vString("mallory"))])),
      entry("my_payload", vStruct([entry("sub", vString("alice"))])),
    ]));
    const options = jwtAuthnOptions();
    options.identity.jwtAuthnPayloadKey = "my_payload";
    expect(userid(new RequestAttributes(new TableAttributeSource().setProperty(["metadata"], md), options))).toBe("alice");
  });
  it("turns a numeric sub from a Struct (a double) into the int a decoded token gives", () => {
    const md = metadataWith(NS, structBody([entry("p", vStruct([entry("sub", vNumber(1234567))]))]));
    const id = new RequestAttributes(new TableAttributeSource().setProperty(["metadata"], md), jwtAuthnOptions()).resolve("auth.identity")!.map!.getString("userid")!;
    expect(id.kind).toBe(Kind.Int);
    expect(id.i).toBe(1234567);
  });
  it("does not alter metadata.filter_metadata when enriching", () => {
    const md = metadataWith(NS, structBody([entry("p", vStruct([entry("sub", vString("alice"))]))]));
    const a = new RequestAttributes(new TableAttributeSource().setProperty(["metadata"], md), jwtAuthnOptions());
    a.resolve("auth.identity");
    expect(json(a.resolve("metadata"))).toBe("{\"filter_metadata\":{\"" + NS + "\":{\"p\":{\"sub\":\"alice\"}}},\"typed_filter_metadata\":{}}");
  });
  it("shares one metadata hostcall between the identity and metadata expressions", () => {
    const src = new TableAttributeSource().setProperty(["metadata"], metadataWith(NS, structBody([entry("p", vStruct([]))])));
    const a = new RequestAttributes(src, jwtAuthnOptions());
    a.resolve("auth.identity");
    a.resolve("metadata");
    expect(src.propertyCalls).toBe(1);
  });
  it("falls back to the namespace's own Struct when whole metadata is not served", () => {
    const src = new TableAttributeSource().setProperty(["metadata", "filter_metadata", NS],
      structBody([entry("jwt_payload", vStruct([entry("sub", vString("alice"))]))]));
    expect(userid(new RequestAttributes(src, jwtAuthnOptions()))).toBe("alice");
  });
  it("has no identity when the namespace is missing", () => {
    const src = new TableAttributeSource().setProperty(["metadata"], metadataWith("other", examplePayloadStruct()));
    const a = new RequestAttributes(src, jwtAuthnOptions());
    expect(a.resolve("auth.identity")).toBeNull();
    expect(a.identityFailure).toBe(IdentityFailure.MissingMetadata);
  });
  it("has no identity when there is no metadata at all", () => {
    const a = new RequestAttributes(new TableAttributeSource(), jwtAuthnOptions());
    expect(a.resolve("auth.identity")).toBeNull();
    expect(a.identityFailure).toBe(IdentityFailure.MissingMetadata);
  });
  it("has no identity when the namespace holds no payload struct", () => {
    const src = new TableAttributeSource().setProperty(["metadata"], metadataWith(NS, structBody([entry("x", vString("y"))])));
    const a = new RequestAttributes(src, jwtAuthnOptions());
    expect(a.resolve("auth.identity")).toBeNull();
    expect(a.identityFailure).toBe(IdentityFailure.MissingPayload);
  });
  it("has no identity when the metadata bytes are malformed", () => {
    const src = new TableAttributeSource().setProperty(["metadata"], bytesOf([0x0A, 0x7F]));
    const a = new RequestAttributes(src, jwtAuthnOptions());
    expect(a.resolve("auth.identity")).toBeNull();
    expect(a.identityFailure).toBe(IdentityFailure.BadMetadata);
  });
  it("has no identity when the fallback namespace Struct is malformed", () => {
    const src = new TableAttributeSource().setProperty(["metadata", "filter_metadata", NS], bytesOf([0x0A, 0x7F]));
    const a = new RequestAttributes(src, jwtAuthnOptions());
    expect(a.resolve("auth.identity")).toBeNull();
    expect(a.identityFailure).toBe(IdentityFailure.BadMetadata);
  });
});

describe("jwt identity falling back to jwt_authn metadata", () => {
  it("uses the verified payload when the token header was removed", () => {
    const md = metadataWith(NS, structBody([entry("https://issuer", vStruct([
      entry("sub", vString("alice")), entry("groups", vList([vString("free")])),
    ]))]));
    const a = new RequestAttributes(new TableAttributeSource().setProperty(["metadata"], md), new AttributeOptions());
    expect(userid(a)).toBe("alice");
    expect(groups(a)).toBe("free");
  });
  it("prefers the payload jwt_authn verified over the token in the header", () => {
    const md = metadataWith(NS, structBody([entry("p", vStruct([entry("sub", vString("alice"))]))]));
    const src = new TableAttributeSource().setProperty(["metadata"], md)
      .addHeader("authorization", "Bearer " + makeJwt("{\"sub\":\"mallory\"}"));
    expect(userid(new RequestAttributes(src, new AttributeOptions()))).toBe("alice");
  });
  it("reports the missing header when there is no metadata either", () => {
    const a = new RequestAttributes(new TableAttributeSource(), new AttributeOptions());
    expect(a.resolve("auth.identity")).toBeNull();
    expect(a.identityFailure).toBe(IdentityFailure.MissingHeader);
  });
});
