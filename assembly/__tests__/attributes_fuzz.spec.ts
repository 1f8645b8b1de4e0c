// Hostile-input fuzzing of the attribute decoders: random and mutated protobuf, base64url
// and JWT inputs. A trap fails the whole file, so reaching the expectations is the test;
// the counts check that the generators hit both the accepting and the rejecting paths.
// Deterministic: a fixed-seed xorshift generator.

import { Value } from "../cel/value";
import { decodeStruct, decodeMetadata } from "../attributes/struct";
import { decodeBase64Url } from "../attributes/base64url";
import { decodeJwtClaims } from "../attributes/jwt";
import { RequestAttributes, AttributeOptions } from "../attributes/request";
import { TableAttributeSource } from "../attributes/table_source";
import { IdentitySource } from "../attributes/identity";
import { stringifyJson } from "../json/stringify";
import { makeJwt, encodeBase64Url, b64u } from "../attributes/testing/jwt_builder";
import {
  bytesOf, concat, entry, structBody, metadataWith, vString, vList, vStruct, vNumber, vBool, vNull,
} from "../attributes/testing/proto_writer";

let seed: u32 = 0x9E3779B9;

function rand(): u32 {
  let x = seed;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  seed = x;
  return x;
}

function below(n: i32): i32 {
  return n <= 0 ? 0 : <i32>(rand() % <u32>n);
}

function randomBytes(len: i32): ArrayBuffer {
  const b = new ArrayBuffer(len);
  for (let i = 0; i < len; i++) store<u8>(changetype<usize>(b) + <usize>i, <u8>rand());
  return b;
}

/** One random edit: flip a bit, set a byte, truncate, insert, duplicate a slice, or set a varint-ish byte. */
function mutate(src: ArrayBuffer): ArrayBuffer {
  const len = src.byteLength;
  const op = below(6);
  if (len == 0) return randomBytes(below(4));
  if (op == 0) {
    const out = src.slice(0);
    const at = below(len);
    const p = changetype<usize>(out) + <usize>at;
    store<u8>(p, load<u8>(p) ^ <u8>(<u32>1 << <u32>below(8)));
    return out;
  }
  if (op == 1) {
    const out = src.slice(0);
    const specials: u8[] = [0x00, 0x7F, 0x80, 0xFF, 0x0A, 0x12, 0x2A, 0x32, 0x08, 0x0B];
    store<u8>(changetype<usize>(out) + <usize>below(len), specials[below(specials.length)]);
    return out;
  }
  if (op == 2) return src.slice(0, below(len));
  if (op == 3) {
    const at = below(len + 1);
    return concat([src.slice(0, at), randomBytes(1 + below(3)), src.slice(at)]);
  }
  if (op == 4) {
    const a = below(len);
    const b = a + below(len - a + 1);
    return concat([src.slice(0, b), src.slice(a, b), src.slice(b)]);
  }
  // A huge length or varint somewhere.
  const at = below(len + 1);
  return concat([src.slice(0, at), bytesOf([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]), src.slice(at)]);
}

function sampleStruct(): ArrayBuffer {
  return structBody([
    entry("sub", vString("alice")),
    entry("groups", vList([vString("free"), vString("beta"), vNumber(3)])),
    entry("nested", vStruct([entry("a", vList([vStruct([entry("b", vBool(true))]), vNull()]))])),
    entry("exp", vNumber(1999999999)),
  ]);
}

/** A decoded value must print (walking it exercises every list and map it built). */
function walk(v: Value | null): i32 {
  return v === null ? 0 : stringifyJson(v).length;
}

describe("protobuf decoders under fuzzing", () => {
  it("never trap on random bytes as a Struct", () => {
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      const v = decodeStruct(randomBytes(below(48)));
      if (v !== null) { accepted++; walk(v); }
    }
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(4000);
  });
  it("never trap on random bytes as Metadata", () => {
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      const v = decodeMetadata(randomBytes(below(48)));
      if (v !== null) { accepted++; walk(v); }
    }
    expect(accepted).toBeGreaterThan(0);
  });
  it("never trap on mutated Structs (bit flips, truncation, insertion, duplication)", () => {
    const base = sampleStruct();
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 5000; i++) {
      let b = mutate(base);
      if (below(3) == 0) b = mutate(b);
      const v = decodeStruct(b);
      if (v === null) rejected++; else { accepted++; walk(v); }
    }
    expect(accepted).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });
  it("never trap on mutated Metadata", () => {
    const base = concat([metadataWith("envoy.filters.http.jwt_authn", structBody([entry("p", vStruct([entry("sub", vString("a"))]))])), metadataWith("x", sampleStruct())]);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const v = decodeMetadata(mutate(mutate(base)));
      if (v !== null) { accepted++; walk(v); }
    }
    expect(accepted).toBeGreaterThan(100);
  });
  it("never trap on nesting far past the limit", () => {
    let v = vString("x");
    for (let i = 0; i < 2000; i++) v = i % 2 == 0 ? vList([v]) : vStruct([entry("k", v)]);
    expect(decodeStruct(structBody([entry("d", v)]))).toBeNull();
  });
});

const B64_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/. \té\u0000";

function randomB64ish(len: i32): string {
  let s = "";
  for (let i = 0; i < len; i++) {
    // Mostly the alphabet, sometimes junk.
    const idx = below(8) == 0 ? below(B64_CHARS.length) : below(64);
    s += B64_CHARS.charAt(idx);
  }
  return s;
}

function mutateText(s: string): string {
  const n = s.length;
  const op = below(4);
  if (n == 0) return randomB64ish(below(4));
  const at = below(n);
  if (op == 0) return s.substring(0, at) + B64_CHARS.charAt(below(B64_CHARS.length)) + s.substring(at + 1);
  if (op == 1) return s.substring(0, at);
  if (op == 2) return s.substring(0, at) + randomB64ish(1 + below(3)) + s.substring(at);
  return s.substring(0, at) + s.substring(at + 1 + below(4));
}

describe("base64url and JWT under fuzzing", () => {
  it("never trap on random base64url-like text", () => {
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      if (decodeBase64Url(randomB64ish(below(40))) !== null) accepted++;
    }
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(5000);
  });
  it("never trap on mutated tokens through the resolver", () => {
    const token = makeJwt("{\"sub\":\"alice\",\"groups\":[\"free\",\"beta\"],\"n\":{\"a\":[1,2.5,true,null]}}");
    const options = new AttributeOptions();
    let found = 0;
    for (let i = 0; i < 4000; i++) {
      let t = mutateText(token);
      if (below(2) == 0) t = mutateText(t);
      const a = new RequestAttributes(new TableAttributeSource().addHeader("authorization", "Bearer " + t), options);
      const id = a.resolve("request.auth.identity");
      if (id !== null) { found++; walk(id); }
    }
    expect(found).toBeGreaterThan(0);
    expect(options.identityStats.found).toBe(found);
    expect(found).toBeLessThan(4000);
  });
  it("never trap on random bytes as the payload", () => {
    let found = 0;
    for (let i = 0; i < 3000; i++) {
      const t = b64u("{}") + "." + encodeBase64Url(randomBytes(below(32)), below(2) == 0) + "." + b64u("s");
      if (decodeJwtClaims(t).claims !== null) found++;
    }
    expect(found).toBeLessThan(3000);
  });
  it("never trap on JSON-like random payloads", () => {
    const pieces = ["{", "}", "[", "]", "\"", ":", ",", "\"sub\"", "\"groups\"", "1", "-0.5e3", "true", "null",
      "\"a\"", "\\u00e9", "\\ud800", "\\", " ", "\"userid\"", "\"metadata\"", "{\"annotations\":{}}"];
    let found = 0;
    for (let i = 0; i < 4000; i++) {
      let text = below(2) == 0 ? "{\"sub\":" : "{";
      const n = below(12);
      for (let k = 0; k < n; k++) text += pieces[below(pieces.length)];
      if (below(2) == 0) text += "}";
      const a = new RequestAttributes(new TableAttributeSource().addHeader("authorization", "Bearer " + makeJwt(text)), new AttributeOptions());
      const id = a.resolve("auth.identity");
      if (id !== null) { found++; walk(id); }
    }
    expect(found).toBeGreaterThan(0);
  });
  it("never trap on mutated jwt_authn metadata through the resolver", () => {
    const base = metadataWith("envoy.filters.http.jwt_authn", structBody([entry("jwt_payload", sampleStructValue())]));
    const options = new AttributeOptions();
    options.identity.source = IdentitySource.JwtAuthn;
    let found = 0;
    for (let i = 0; i < 3000; i++) {
      const a = new RequestAttributes(new TableAttributeSource().setProperty(["metadata"], mutate(base)), options);
      const id = a.resolve("auth.identity");
      if (id !== null) { found++; walk(id); }
    }
    expect(found).toBeGreaterThan(0);
  });
});

function sampleStructValue(): ArrayBuffer {
  return vStruct([
    entry("sub", vString("alice")),
    entry("groups", vList([vString("free"), vString("beta")])),
  ]);
}
