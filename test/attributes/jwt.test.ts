// Cross-checks the filter's base64url decoder and JWT identity against Node's own
// base64url encoder, through the compiled testing entry.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as wasm from "../../build/testing/attributes.js";

const b64u = (s: string | Uint8Array) => Buffer.from(s).toString("base64url");

function token(payload: object | string): string {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  return `${b64u('{"alg":"RS256","typ":"JWT"}')}.${b64u(body)}.${b64u("signature")}`;
}

test("base64url decoding agrees with Node's Buffer for every length, padded and unpadded", () => {
  for (let len = 0; len < 100; len++) {
    const bytes = Uint8Array.from({ length: len }, (_, i) => (i * 151 + len * 7) & 255);
    const unpadded = Buffer.from(bytes).toString("base64url");
    const padded = unpadded + "=".repeat((4 - (unpadded.length % 4)) % 4);
    const hex = Buffer.from(bytes).toString("hex");
    assert.equal(wasm.base64UrlToHex(unpadded), hex, `len ${len}`);
    assert.equal(wasm.base64UrlToHex(padded), hex, `len ${len} padded`);
  }
});

test("base64url rejects the standard alphabet, whitespace and non-canonical tails that Buffer accepts", () => {
  for (const text of ["a+b/", "aGVs bG8", "aGl", "aGVsbG9", "aGVsb", "aGk==="]) {
    assert.equal(wasm.base64UrlToHex(text), "<invalid>", text);
  }
});

test("the example identity: userid from sub, groups annotation from the groups claim", () => {
  const id = JSON.parse(wasm.jwtIdentityJson(`Bearer ${token({ sub: "alice", groups: ["free", "beta"] })}`));
  assert.deepEqual(id, {
    sub: "alice",
    groups: ["free", "beta"],
    userid: "alice",
    metadata: { annotations: { "kuadrant.io/groups": "free,beta" } },
  });
});

test("unicode claims survive base64url, UTF-8 and JSON decoding", () => {
  const id = JSON.parse(wasm.jwtIdentityJson(`Bearer ${token({ sub: "Ålice 😀", groups: "é" })}`));
  assert.equal(id.userid, "Ålice 😀");
  assert.equal(id.metadata.annotations["kuadrant.io/groups"], "é");
});

test("each kind of bad token is absent with its reason", () => {
  const cases: [string, string][] = [
    ["", "<none:missing_header>"],
    ["Basic dXNlcjpwYXNz", "<none:bad_prefix>"],
    ["Bearer abc", "<none:malformed_token>"],
    ["Bearer a.b.c.d.e", "<none:malformed_token>"],
    [`Bearer ${b64u("{}")}.e30+.${b64u("s")}`, "<none:bad_base64>"],
    [`Bearer ${token("{\"sub\":")}`, "<none:bad_json>"],
    [`Bearer ${token("42")}`, "<none:not_object>"],
  ];
  for (const [header, want] of cases) assert.equal(wasm.jwtIdentityJson(header), want, header);
});
