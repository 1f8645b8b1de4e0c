// Cross-checks the filter's protobuf decoding of google.protobuf.Struct and Envoy's
// Metadata against an independent encoder (@bufbuild/protobuf), through the compiled
// testing entry (node scripts/build.mjs --only testing/attributes).
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, fromJson, toBinary, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { AnySchema, StructSchema } from "@bufbuild/protobuf/wkt";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import * as wasm from "../../build/testing/attributes.js";

function structBytes(json: JsonObject): Uint8Array {
  return toBinary(StructSchema, fromJson(StructSchema, json));
}

/** envoy.config.core.v3.Metadata { map<string, Struct> filter_metadata = 1; map<string, Any> typed_filter_metadata = 2; } */
function metadataBytes(filter: Record<string, JsonObject>, typed: Record<string, { typeUrl: string; value: Uint8Array }> = {}): Uint8Array {
  const w = new BinaryWriter();
  for (const [ns, json] of Object.entries(filter)) {
    w.tag(1, WireType.LengthDelimited).fork()
      .tag(1, WireType.LengthDelimited).string(ns)
      .tag(2, WireType.LengthDelimited).bytes(structBytes(json))
      .join();
  }
  for (const [ns, any] of Object.entries(typed)) {
    w.tag(2, WireType.LengthDelimited).fork()
      .tag(1, WireType.LengthDelimited).string(ns)
      .tag(2, WireType.LengthDelimited).bytes(toBinary(AnySchema, create(AnySchema, any)))
      .join();
  }
  return w.finish();
}

const JWT_AUTHN_PAYLOAD: JsonObject = {
  iss: "https://sso.example.com/realms/llm",
  sub: "f2d1c9a0-7d4b-4c55-9a61-0d3f4f0c2b7e",
  aud: ["llm-gateway", "account"],
  exp: 1999999999,
  iat: 1700000000.5,
  email_verified: true,
  groups: ["free", "beta"],
  realm_access: { roles: ["offline_access", "uma_authorization"] },
  nickname: null,
  name: "Ålice Ünïcode 😀",
};

test("a jwt_authn payload Struct encoded by @bufbuild/protobuf decodes to the same JSON", () => {
  assert.deepEqual(JSON.parse(wasm.structToJson(structBytes(JWT_AUTHN_PAYLOAD))), JWT_AUTHN_PAYLOAD);
});

test("an empty Struct decodes to an empty map", () => {
  assert.equal(wasm.structToJson(structBytes({})), "{}");
});

function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

function randomJson(r: () => number, depth: number): JsonValue {
  const k = Math.floor(r() * (depth > 3 ? 4 : 6));
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: {
      const n = [0, 1, -1, 2 ** 53, 1e300, 5e-324, 0.1, -123.456, 1999999999][Math.floor(r() * 9)];
      return r() < 0.5 ? n : Math.round((r() - 0.5) * 1e9) / 1000;
    }
    case 3: {
      const alphabet = ["a", "Z", "é", "😀", "\"", "\\", "\n", "\u0000", " ", ".", "/"];
      let s = "";
      const n = Math.floor(r() * 8);
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
      return s;
    }
    case 4: {
      const n = Math.floor(r() * 4);
      return Array.from({ length: n }, () => randomJson(r, depth + 1));
    }
    default: return randomObject(r, depth + 1);
  }
}

function randomObject(r: () => number, depth: number): JsonObject {
  const out: JsonObject = {};
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) out[`k${Math.floor(r() * 6)}${r() < 0.2 ? ".x" : ""}`] = randomJson(r, depth);
  return out;
}

test("300 random Structs round-trip through the filter's decoder", () => {
  const r = rng(20240601);
  for (let i = 0; i < 300; i++) {
    const json = randomObject(r, 0);
    assert.deepEqual(JSON.parse(wasm.structToJson(structBytes(json))), json, `case ${i}: ${JSON.stringify(json)}`);
  }
});

test("every truncation of a Struct is rejected or decodes to a prefix of its entries, never garbage", () => {
  const bytes = structBytes({ sub: "alice", groups: ["free", "beta"] });
  for (let cut = 0; cut < bytes.length; cut++) {
    const out = wasm.structToJson(bytes.subarray(0, cut));
    if (out === "<invalid>") continue;
    const v = JSON.parse(out);
    assert.ok(Object.keys(v).length < 2, `cut ${cut}: ${out}`);
    if ("sub" in v) assert.equal(v.sub, "alice");
  }
});

test("Metadata with several namespaces decodes filter_metadata per namespace", () => {
  const md = metadataBytes({
    "envoy.filters.http.jwt_authn": { jwt_payload: JWT_AUTHN_PAYLOAD },
    "envoy.filters.http.ext_authz": { tier: "gold" },
  });
  assert.deepEqual(JSON.parse(wasm.metadataToJson(md)), {
    filter_metadata: {
      "envoy.filters.http.jwt_authn": { jwt_payload: JWT_AUTHN_PAYLOAD },
      "envoy.filters.http.ext_authz": { tier: "gold" },
    },
    typed_filter_metadata: {},
  });
});

test("typed_filter_metadata keeps the Any's type_url (its bytes print as null in JSON)", () => {
  const md = metadataBytes({}, { istio: { typeUrl: "type.googleapis.com/google.protobuf.Struct", value: structBytes({ a: 1 }) } });
  assert.deepEqual(JSON.parse(wasm.metadataToJson(md)), {
    filter_metadata: {},
    typed_filter_metadata: { istio: { type_url: "type.googleapis.com/google.protobuf.Struct", value: null } },
  });
});

test("the jwtAuthn identity source reads the verified payload from Metadata built by @bufbuild/protobuf", () => {
  const md = metadataBytes({ "envoy.filters.http.jwt_authn": { jwt_payload: JWT_AUTHN_PAYLOAD } });
  const id = JSON.parse(wasm.jwtAuthnIdentityJson(md, ""));
  assert.equal(id.userid, JWT_AUTHN_PAYLOAD.sub);
  assert.equal(id.metadata.annotations["kuadrant.io/groups"], "free,beta");
  assert.deepEqual(id.realm_access, JWT_AUTHN_PAYLOAD.realm_access);
});

test("the jwtAuthn identity is absent, with a reason, when the namespace is missing", () => {
  assert.equal(wasm.jwtAuthnIdentityJson(metadataBytes({ other: { a: 1 } }), ""), "<none:missing_metadata>");
});
