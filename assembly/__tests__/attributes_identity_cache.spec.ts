import { Value, MapValue } from "../cel/value";
import { IdentityCache, MAX_CACHED_TOKEN_LENGTH } from "../attributes/identity_cache";
import { RequestAttributes, AttributeOptions } from "../attributes/request";
import { TableAttributeSource } from "../attributes/table_source";
import { makeJwt } from "../attributes/testing/jwt_builder";

function identityOf(user: string): Value {
  const m = new MapValue();
  m.setString("userid", Value.string(user));
  return Value.map(m);
}

function useridOf(v: Value | null): string {
  if (v === null) return "<none>";
  const m = v.map;
  if (m === null) return "<not a map>";
  const u = m.getString("userid");
  return u === null ? "<no userid>" : u.str;
}

function userid(header: string, options: AttributeOptions): string {
  const a = new RequestAttributes(new TableAttributeSource().addHeader("authorization", header), options);
  return useridOf(a.resolve("auth.identity"));
}

describe("IdentityCache", () => {
  it("answers a token it holds with the identity decoded from it", () => {
    const cache = new IdentityCache();
    const alice = identityOf("alice");
    cache.put("token-a", alice);
    expect(cache.get("token-a") === alice).toBe(true);
  });

  it("never answers a token with the identity of another token, whatever slot they share", () => {
    const cache = new IdentityCache();
    for (let i = 0; i < 1000; i++) cache.put("token-" + i.toString(), identityOf("user-" + i.toString()));
    let wrong = 0;
    let held = 0;
    for (let i = 0; i < 1000; i++) {
      const v = cache.get("token-" + i.toString());
      if (v === null) continue;
      held++;
      if (useridOf(v) != "user-" + i.toString()) wrong++;
    }
    expect(wrong).toBe(0);
    // 64 slots: the last writer of each slot is still there.
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(64);
  });

  it("does not hold tokens longer than MAX_CACHED_TOKEN_LENGTH", () => {
    const cache = new IdentityCache();
    const long = "x".repeat(MAX_CACHED_TOKEN_LENGTH + 1);
    cache.put(long, identityOf("mallory"));
    expect(cache.get(long)).toBeNull();
  });

  it("a request with a token seen before gets the same identity as the first request", () => {
    const options = new AttributeOptions();
    const token = makeJwt("{\"sub\":\"alice\",\"groups\":[\"free\"]}");
    expect(userid("Bearer " + token, options)).toBe("alice");
    expect(options.identityCache.get(token)).not.toBeNull();
    expect(userid("Bearer " + token, options)).toBe("alice");
  });

  it("a different token for another user is decoded, not answered from the cache", () => {
    const options = new AttributeOptions();
    expect(userid("Bearer " + makeJwt("{\"sub\":\"alice\"}"), options)).toBe("alice");
    expect(userid("Bearer " + makeJwt("{\"sub\":\"bob\"}"), options)).toBe("bob");
    expect(userid("Bearer " + makeJwt("{\"sub\":\"alice\"}"), options)).toBe("alice");
  });

  it("a token that does not decode is never cached", () => {
    const options = new AttributeOptions();
    expect(userid("Bearer not.a-jwt.x", options)).toBe("<none>");
    expect(options.identityCache.get("not.a-jwt.x")).toBeNull();
  });
});
