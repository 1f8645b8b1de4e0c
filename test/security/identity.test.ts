// Security rules about identity: the filter charges the caller the verifier in front
// (Envoy's jwt_authn, Istio RequestAuthentication) verified, reads tokens where jwt_authn
// reads them, and refuses a request whose credential is present but unusable instead of
// letting it through unlimited. Driven through host-test with the real filter; jwt_authn's
// verified payload is a real envoy.config.core.v3.Metadata encoded with @bufbuild/protobuf.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromJson, toBinary, type JsonObject } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { Attr, type Host } from "../../host-test/index.ts";
import { CHAT_REQUEST, CHAT_RESPONSE, JSON_RESPONSE_HEADERS, jwtFor } from "../../fixtures/llm.ts";
import { filterHost, counterEntries, counterIdentities, usedBy, metric } from "../filter/helpers.ts";

const JWT_AUTHN = "envoy.filters.http.jwt_authn";
const CHAT_PATH = "/v1/chat/completions";

/** One limit on the chat path, counted per user. */
const PER_USER = {
  limits: {
    chat: {
      rates: [{ limit: 20000, window: "24h" }],
      when: [{ predicate: `request.url_path == "${CHAT_PATH}"` }],
      counters: [{ expression: "auth.identity.userid" }],
    },
  },
};

/** The limit and the predicate of the shipped example: a group limit reads the identity in its `when`. */
const BY_GROUP = {
  limits: {
    free: {
      rates: [{ limit: 20000, window: "24h" }],
      when: [{ predicate: `request.url_path == "${CHAT_PATH}"` },
        { predicate: 'auth.identity.metadata.annotations["kuadrant.io/groups"].split(",").exists(g, g == "free")' }],
      counters: [{ expression: "auth.identity.userid" }],
    },
  },
};

function b64url(b: string | Uint8Array): string {
  return Buffer.from(b).toString("base64url");
}

/** An unsigned JWT whose payload is exactly `payload` (bytes or JSON text). */
function jwtWithPayload(payload: string | Uint8Array): string {
  return `${b64url(JSON.stringify({ alg: "RS256" }))}.${b64url(payload)}.c2ln`;
}

/** An unsigned JWT with claims `claims`. */
function jwtWith(claims: Record<string, unknown>): string {
  return jwtWithPayload(JSON.stringify(claims));
}

/** envoy.config.core.v3.Metadata with jwt_authn's verified payload under `payload_in_metadata: key`. */
function verifiedMetadata(payload: JsonObject, key = "https://issuer.example"): Uint8Array {
  const struct = toBinary(StructSchema, fromJson(StructSchema, { [key]: payload }));
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).fork()
    .tag(1, WireType.LengthDelimited).string(JWT_AUTHN)
    .tag(2, WireType.LengthDelimited).bytes(struct)
    .join();
  return w.finish();
}

interface Call { headers?: Record<string, string>; path?: string; metadata?: Uint8Array }

function call(host: Host, c: Call) {
  const headers: Record<string, string> = {
    ":method": "POST", ":path": c.path ?? CHAT_PATH, ":authority": "llm.example", "content-type": "application/json", ...(c.headers ?? {}),
  };
  return host.exchange({
    request: { headers, body: CHAT_REQUEST },
    response: { headers: JSON_RESPONSE_HEADERS, body: CHAT_RESPONSE },
    attributes: c.metadata ? { metadata: Attr.message(c.metadata) } : undefined,
  });
}

/** The users whose `chat` counters exist, from the shared-data keys. */
function chargedUsers(host: Host): string[] {
  return counterIdentities(host).map((k) => k.split("|").slice(3).join("|")).sort();
}

// ---- 1. A verified payload is the identity --------------------------------------------

test("a payload jwt_authn verified is the identity whatever the authorization header says", async () => {
  const host = await filterHost({ pluginConfig: PER_USER });
  const alice = jwtFor("alice", []);
  // The attack: an unsigned token naming the victim in the header (lower-case
  // `bearer`, which jwt_authn does not read) and the caller's real token in ?access_token=.
  const r = call(host, {
    headers: { authorization: `bearer ${jwtFor("victim", [])}` },
    path: `${CHAT_PATH}?access_token=${alice}`,
    metadata: verifiedMetadata({ sub: "alice" }),
  });
  assert.equal(r.status, 200);
  assert.equal(usedBy(host, "chat", "alice"), 100);
  assert.equal(usedBy(host, "chat", "victim"), 0);
  // Even a well-formed `Bearer` header naming someone else does not move the charge.
  const again = call(host, { headers: { authorization: `Bearer ${jwtFor("victim", [])}` }, metadata: verifiedMetadata({ sub: "alice" }) });
  assert.equal(again.status, 200);
  assert.equal(usedBy(host, "chat", "alice"), 200);
  assert.deepEqual(chargedUsers(host), ["alice"]);
});

test("with identity.source headers too, a payload jwt_authn verified wins over x-auth-user", async () => {
  const host = await filterHost({ pluginConfig: { ...PER_USER, identity: { source: "headers" } } });
  const r = call(host, { headers: { "x-auth-user": "victim" }, metadata: verifiedMetadata({ sub: "alice" }) });
  assert.equal(r.status, 200);
  assert.deepEqual(chargedUsers(host), ["alice"]);
});

test("a verified payload whose user id claim has the wrong type is refused, not replaced by the header's token", async () => {
  const host = await filterHost({ pluginConfig: PER_USER });
  const r = call(host, { headers: { authorization: `Bearer ${jwtFor("victim", [])}` }, metadata: verifiedMetadata({ sub: true }) });
  assert.equal(r.status, 403);
  assert.equal(JSON.parse(r.body).error.code, "rate_limit_invalid_credential");
  assert.deepEqual(counterEntries(host), []);
});

// ---- 1. Tokens are read where jwt_authn reads them ----------------------------------------

test("authorization: Token Bearer <token> is read as jwt_authn reads it (the case-sensitive prefix anywhere in the value)", async () => {
  const host = await filterHost({ pluginConfig: PER_USER });
  const r = call(host, { headers: { authorization: `Token Bearer ${jwtFor("carol", [])}` } });
  assert.equal(r.status, 200);
  assert.deepEqual(chargedUsers(host), ["carol"]);
});

test("jwt_authn skips what is not a token character after the prefix: Bearer followed by extra spaces reads the token", async () => {
  const host = await filterHost({ pluginConfig: PER_USER });
  const r = call(host, { headers: { authorization: `Bearer   ${jwtFor("dave", [])}` } });
  assert.equal(r.status, 200);
  assert.deepEqual(chargedUsers(host), ["dave"]);
});

test("lower-case bearer carries no token for jwt_authn: without another credential the request is refused, not charged to that token's sub", async () => {
  const host = await filterHost({ pluginConfig: PER_USER });
  const r = call(host, { headers: { authorization: `bearer ${jwtFor("victim", [])}` } });
  assert.equal(r.status, 403);
  assert.match(JSON.parse(r.body).error.message, /\(bad_prefix\)/);
  assert.deepEqual(counterEntries(host), []);
});

test("a token in ?access_token= is read when the header carries none, as jwt_authn's default location", async () => {
  const host = await filterHost({ pluginConfig: PER_USER });
  assert.equal(call(host, { path: `${CHAT_PATH}?api-version=1&access_token=${jwtFor("erin", [])}` }).status, 200);
  // The header is absent but its prefix is missing too: jwt_authn would still read the parameter.
  assert.equal(call(host, { headers: { authorization: "Basic ZXJpbjpwdw==" }, path: `${CHAT_PATH}?access_token=${jwtFor("erin", [])}` }).status, 200);
  assert.equal(usedBy(host, "chat", "erin"), 200);
});

test("a header token wins over ?access_token=, as jwt_authn extracts headers first", async () => {
  const host = await filterHost({ pluginConfig: PER_USER });
  const r = call(host, { headers: { authorization: `Bearer ${jwtFor("frank", [])}` }, path: `${CHAT_PATH}?access_token=${jwtFor("victim", [])}` });
  assert.equal(r.status, 200);
  assert.deepEqual(chargedUsers(host), ["frank"]);
});

test("identity.jwt.queryParameter names another parameter, and \"\" never reads the query", async () => {
  const other = await filterHost({ pluginConfig: { ...PER_USER, identity: { jwt: { queryParameter: "token" } } } });
  assert.equal(call(other, { path: `${CHAT_PATH}?token=${jwtFor("gina", [])}` }).status, 200);
  assert.deepEqual(chargedUsers(other), ["gina"]);
  assert.equal(call(other, { path: `${CHAT_PATH}?access_token=${jwtFor("gina", [])}` }).status, 403, "access_token is no longer read");
  const none = await filterHost({ pluginConfig: { ...PER_USER, identity: { jwt: { queryParameter: "" } } } });
  const r = call(none, { path: `${CHAT_PATH}?access_token=${jwtFor("gina", [])}` });
  assert.equal(r.status, 403);
  assert.equal(JSON.parse(r.body).error.code, "rate_limit_unidentified");
});

test("a configuration naming its own token header reads no query parameter, as a jwt_authn provider with from_headers", async () => {
  const host = await filterHost({ pluginConfig: { ...PER_USER, identity: { jwt: { header: "x-api-token", prefix: "" } } } });
  const r = call(host, { path: `${CHAT_PATH}?access_token=${jwtFor("victim", [])}` });
  assert.equal(r.status, 403);
  assert.equal(JSON.parse(r.body).error.code, "rate_limit_unidentified");
  assert.equal(call(host, { headers: { "x-api-token": jwtFor("hugo", []) } }).status, 200);
  assert.deepEqual(chargedUsers(host), ["hugo"]);
});

// ---- 2. A credential present but unusable is refused ---------------------------------------

const UNUSABLE: Array<[string, string, string]> = [
  ["a token that is not a compact JWS", "Bearer not-a-jwt", "malformed_token"],
  ["a payload that is not base64url", "Bearer aGVhZA.pay+load.c2ln", "bad_base64"],
  ["a payload that is not JSON", `Bearer ${jwtWithPayload("{sub: alice}")}`, "bad_json"],
  ["a payload that is not an object", `Bearer ${jwtWithPayload('["alice"]')}`, "not_object"],
  ["a token over the size limit (16384 characters)", `Bearer ${jwtWith({ sub: "alice", pad: "x".repeat(16500) })}`, "too_large"],
  ["a payload whose strings are not valid UTF-8", `Bearer ${jwtWithPayload(Buffer.from([...Buffer.from('{"sub":"a'), 0xff, ...Buffer.from('"}')]))}`, "bad_json"],
  ["a payload with a lone surrogate escape", `Bearer ${jwtWithPayload('{"sub":"a\\udcff"}')}`, "bad_json"],
  ["a Basic credential", "Basic YWxpY2U6cHc=", "bad_prefix"],
];

for (const [what, authorization, reason] of UNUSABLE) {
  test(`a request a limit covers with ${what} is refused 403 (${reason}), not let through unlimited`, async () => {
    const host = await filterHost({ pluginConfig: BY_GROUP });
    const r = call(host, { headers: { authorization } });
    assert.equal(r.status, 403);
    assert.equal(r.upstreamRequest, null);
    const body = JSON.parse(r.body);
    assert.equal(body.error.code, "rate_limit_invalid_credential");
    assert.match(body.error.message, new RegExp(`\\(${reason}\\)`));
    assert.equal(r.localResponse?.details, "token_rate_limit_invalid_credential");
    assert.equal(metric(host, `identity_missing.${reason}`), 1);
    assert.deepEqual(counterEntries(host), []);
  });
}

for (const [what, sub] of [["\"\"", ""], ["true", true], ["a list", ["alice"]], ["an object", { id: "alice" }], ["a fraction", 1.5], ["null", null]] as const) {
  test(`a sub claim that is ${what} is refused 403 (bad_claim)`, async () => {
    const host = await filterHost({ pluginConfig: PER_USER });
    const r = call(host, { headers: { authorization: `Bearer ${jwtWith({ sub })}` } });
    assert.equal(r.status, 403);
    assert.match(JSON.parse(r.body).error.message, /\(bad_claim\)/);
    assert.deepEqual(counterEntries(host), []);
  });
}

test("a userid claim of the wrong type is refused like a sub of the wrong type", async () => {
  const host = await filterHost({ pluginConfig: PER_USER });
  const r = call(host, { headers: { authorization: `Bearer ${jwtWith({ sub: "alice", userid: ["bob"] })}` } });
  assert.equal(r.status, 403);
  assert.match(JSON.parse(r.body).error.message, /\(bad_claim\)/);
});

test("identity.invalidStatus sets the refusal's status", async () => {
  const host = await filterHost({ pluginConfig: { ...BY_GROUP, identity: { invalidStatus: 401 } } });
  assert.equal(call(host, { headers: { authorization: "Bearer not-a-jwt" } }).status, 401);
});

test("identity.onInvalid anonymous treats an unusable credential as none (the group predicate is false, the request passes)", async () => {
  const host = await filterHost({ pluginConfig: { ...BY_GROUP, identity: { onInvalid: "anonymous" } } });
  assert.equal(call(host, { headers: { authorization: "Bearer not-a-jwt" } }).status, 200);
  assert.deepEqual(counterEntries(host), []);
});

test("identity.onInvalid and identity.invalidStatus reject bad values naming the path", async () => {
  const host = await filterHost({ pluginConfig: PER_USER });
  assert.equal(host.reconfigure({ ...PER_USER, identity: { onInvalid: "allow", invalidStatus: 200 } }), false);
  const errors = host.logs("error").join("\n");
  assert.match(errors, /identity\.onInvalid/);
  assert.match(errors, /identity\.invalidStatus/);
});

test("a request no limit needs the identity for is not refused for its unusable credential", async () => {
  const host = await filterHost({ pluginConfig: BY_GROUP });
  const r = call(host, { headers: { authorization: "Bearer not-a-jwt" }, path: "/v1/models" });
  assert.equal(r.status, 200);
});

test("a dry run never refuses an unusable credential", async () => {
  const host = await filterHost({ pluginConfig: { ...BY_GROUP, dryRun: true } });
  assert.equal(call(host, { headers: { authorization: "Bearer not-a-jwt" } }).status, 200);
});

// ---- 5. identity.source headers -------------------------------------------------------------

test("identity.source headers: a request carrying two x-auth-user values is refused 403 (duplicate_header)", async () => {
  const host = await filterHost({ pluginConfig: { ...PER_USER, identity: { source: "headers" } } });
  const r = host.exchange({
    request: {
      headers: [[":method", "POST"], [":path", CHAT_PATH], [":authority", "llm.example"], ["content-type", "application/json"],
        ["x-auth-user", "victim"], ["x-auth-user", "mallory"]],
      body: CHAT_REQUEST,
    },
    response: { headers: JSON_RESPONSE_HEADERS, body: CHAT_RESPONSE },
  });
  assert.equal(r.status, 403);
  assert.match(JSON.parse(r.body).error.message, /\(duplicate_header\)/);
  assert.deepEqual(counterEntries(host), []);
});

test("identity.source headers: two x-auth-groups values are refused too", async () => {
  const host = await filterHost({ pluginConfig: { ...BY_GROUP, identity: { source: "headers" } } });
  const r = host.exchange({
    request: {
      headers: [[":method", "POST"], [":path", CHAT_PATH], [":authority", "llm.example"], ["content-type", "application/json"],
        ["x-auth-user", "mallory"], ["x-auth-groups", "gold"], ["x-auth-groups", "free"]],
      body: CHAT_REQUEST,
    },
    response: { headers: JSON_RESPONSE_HEADERS, body: CHAT_RESPONSE },
  });
  assert.equal(r.status, 403);
  assert.deepEqual(counterEntries(host), []);
});

test("identity.source headers: one value of each header identifies the caller", async () => {
  const host = await filterHost({ pluginConfig: { ...BY_GROUP, identity: { source: "headers" } } });
  const r = call(host, { headers: { "x-auth-user": "mallory", "x-auth-groups": "free" } });
  assert.equal(r.status, 200);
  assert.deepEqual(chargedUsers(host), ["mallory"]);
});
