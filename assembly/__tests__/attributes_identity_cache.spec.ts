import { Value, MapValue } from "../cel/value";
import { IdentityCache, MAX_CACHED_CREDENTIAL_BYTES } from "../attributes/identity_cache";
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

/** The cache's calls with a string's UTF-8 bytes as the key. */
function get(cache: IdentityCache, key: string): Value | null {
  const b = String.UTF8.encode(key);
  return cache.get(changetype<usize>(b), <usize>b.byteLength);
}

function put(cache: IdentityCache, key: string, identity: Value): void {
  const b = String.UTF8.encode(key);
  cache.put(changetype<usize>(b), <usize>b.byteLength, identity);
}

function userid(header: string, options: AttributeOptions): string {
  const a = new RequestAttributes(new TableAttributeSource().addHeader("authorization", header), options);
  return useridOf(a.resolve("auth.identity"));
}

describe("IdentityCache", () => {
  it("answers a token it holds with the identity decoded from it", () => {
    const cache = new IdentityCache();
    const alice = identityOf("alice");
    put(cache, "token-a", alice);
    expect(get(cache, "token-a") === alice).toBe(true);
    expect(get(cache, "token-b")).toBeNull();
    expect(get(cache, "token-")).toBeNull();
  });

  it("never answers a token with the identity of another token, whatever slot they share", () => {
    const cache = new IdentityCache();
    for (let i = 0; i < 1000; i++) put(cache, "token-" + i.toString(), identityOf("user-" + i.toString()));
    let wrong = 0;
    let held = 0;
    for (let i = 0; i < 1000; i++) {
      const v = get(cache, "token-" + i.toString());
      if (v === null) continue;
      held++;
      if (useridOf(v) != "user-" + i.toString()) wrong++;
    }
    expect(wrong).toBe(0);
    // 64 slots: the last writer of each slot is still there.
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(64);
  });

  it("does not hold credentials longer than MAX_CACHED_CREDENTIAL_BYTES", () => {
    const cache = new IdentityCache();
    const long = "x".repeat(MAX_CACHED_CREDENTIAL_BYTES + 1);
    put(cache, long, identityOf("mallory"));
    expect(get(cache, long)).toBeNull();
  });

  it("a request with a token seen before gets the same identity as the first request", () => {
    const options = new AttributeOptions();
    const token = makeJwt("{\"sub\":\"alice\",\"groups\":[\"free\"]}");
    expect(userid("Bearer " + token, options)).toBe("alice");
    expect(get(options.identityCache, "Bearer " + token)).not.toBeNull();
    expect(userid("Bearer " + token, options)).toBe("alice");
  });

  it("a different token for another user is decoded, not answered from the cache", () => {
    const options = new AttributeOptions();
    expect(userid("Bearer " + makeJwt("{\"sub\":\"alice\"}"), options)).toBe("alice");
    expect(userid("Bearer " + makeJwt("{\"sub\":\"bob\"}"), options)).toBe("bob");
    expect(userid("Bearer " + makeJwt("{\"sub\":\"alice\"}"), options)).toBe("alice");
  });

  it("the same token under another prefix is not answered from the cache (the whole header is the key)", () => {
    const options = new AttributeOptions();
    const token = makeJwt("{\"sub\":\"alice\"}");
    expect(userid("Bearer " + token, options)).toBe("alice");
    expect(userid("Basic " + token, options)).toBe("<none>");
  });

  it("a token that does not decode is never cached", () => {
    const options = new AttributeOptions();
    expect(userid("Bearer not.a-jwt.x", options)).toBe("<none>");
    expect(get(options.identityCache, "Bearer not.a-jwt.x")).toBeNull();
  });
});
