// Who the caller is: a JWT in a header (default), headers from a trusted filter, or the
// payload Envoy's jwt_authn wrote to dynamic metadata (a real envoy.config.core.v3.Metadata
// protobuf, encoded with @bufbuild/protobuf). And what happens when there is none.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromJson, toBinary, type JsonObject } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { Attr } from "../../host-test/index.ts";
import { EXAMPLE_POLICY, CHAT_REQUEST, CHAT_RESPONSE, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { filterHost, chat, counterOf, counterEntries, usedBy, metric, rateLimitHeaders, HELLO_INPUT } from "./helpers.ts";

/** Request headers of a chat completion with no identity at all. */
const ANONYMOUS = { ":method": "POST", ":path": "/v1/chat/completions", ":authority": "llm.example", "content-type": "application/json" };

/** One limit on the chat path, counted per user, with no group predicate. */
const PER_USER = {
  limits: {
    chat: {
      rates: [{ limit: 20000, window: "24h" }],
      when: [{ predicate: 'request.path == "/v1/chat/completions"' }],
      counters: [{ expression: "auth.identity.userid" }],
    },
  },
};

function anonymous(host: Awaited<ReturnType<typeof filterHost>>, headers: Record<string, string> = ANONYMOUS, attributes?: Record<string, never>) {
  return host.exchange({ request: { headers, body: CHAT_REQUEST }, response: { headers: JSON_RESPONSE_HEADERS, body: CHAT_RESPONSE }, attributes });
}

test("no Authorization header with onCounterError skip: the counter expression fails, the limit is skipped and the request passes without headers", async () => {
  const host = await filterHost({ pluginConfig: { ...PER_USER, onCounterError: "skip" } });
  const r = anonymous(host);
  assert.equal(r.status, 200);
  assert.equal(r.localReply, false);
  assert.equal(r.body, CHAT_RESPONSE);
  assert.deepEqual(rateLimitHeaders(r), []);
  assert.equal(metric(host, "counter_expression_errors"), 1);
  assert.equal(metric(host, "identity_missing"), 1);
  assert.equal(metric(host, "requests_admitted"), 0);
  assert.deepEqual(counterEntries(host), [], "no counter was touched");
});

test("no Authorization header (onCounterError reject, the default): 403 with an OpenAI-style JSON body naming the limit and the expression", async () => {
  const host = await filterHost({ pluginConfig: PER_USER });
  const r = anonymous(host);
  const body = '{"error":{"message":"Request rejected: limit chat applies, but its counter limits.chat.counters[0].expression ' +
    '(auth.identity.userid) has no value for this request (no identity?)",' +
    '"type":"tokens","param":null,"code":"rate_limit_unidentified"}}';
  assert.equal(r.status, 403);
  assert.equal(r.upstreamRequest, null);
  assert.deepEqual(r.headerPairs, [[":status", "403"], ["content-type", "application/json"], ["content-length", String(body.length)]]);
  assert.equal(r.body, body);
  assert.equal(r.localResponse?.details, "token_rate_limit_no_identity");
  assert.equal(metric(host, "counter_expression_errors"), 1);
});

test("with the example policy a caller without a credential matches no group predicate: passes, counted as expression errors", async () => {
  const host = await filterHost();
  const r = anonymous(host, ANONYMOUS);
  assert.equal(r.status, 200);
  assert.deepEqual(rateLimitHeaders(r), []);
  assert.equal(metric(host, "expression_errors"), 2, "both group predicates");
  assert.equal(metric(host, "identity_missing"), 1);
  assert.equal(metric(host, "counter_expression_errors"), 0);
  assert.deepEqual(counterEntries(host), []);
});

test("with the example policy a credential that cannot be decoded is refused 403, not let through unlimited", async () => {
  const host = await filterHost();
  for (const authorization of ["Bearer not.a.jwt", "Basic YWxpY2U6cHc="]) {
    const r = anonymous(host, { ...ANONYMOUS, authorization });
    assert.equal(r.status, 403, authorization);
    assert.equal(r.upstreamRequest, null);
    assert.equal(JSON.parse(r.body).error.code, "rate_limit_invalid_credential");
  }
  assert.deepEqual(counterEntries(host), []);
});

test("identity.source headers: x-auth-user and x-auth-groups work with the example policy unchanged", async () => {
  const host = await filterHost({ pluginConfig: { ...EXAMPLE_POLICY, identity: { source: "headers" } } });
  const call = (user: string, groups: string) => host.exchange({
    request: { headers: { ...ANONYMOUS, "x-auth-user": user, "x-auth-groups": groups }, body: CHAT_REQUEST },
    response: { headers: JSON_RESPONSE_HEADERS, body: CHAT_RESPONSE },
  });
  const free = call("erin", "beta,free");
  assert.equal(free.status, 200);
  assert.equal(free.headers["x-ratelimit-limit-tokens"], "20000");
  const gold = call("fred", "gold");
  assert.equal(gold.headers["x-ratelimit-limit-tokens"], "200000");
  assert.equal(usedBy(host, "free", "erin"), 100);
  assert.equal(usedBy(host, "gold", "fred"), 100);
  let admitted = 1;
  while (call("erin", "beta,free").status === 200) admitted++;
  assert.equal(admitted, 200);
  // A JWT is ignored with this source: only the headers count.
  const jwtOnly = chat(host, "erin", ["free"]);
  assert.deepEqual(rateLimitHeaders(jwtOnly), []);
});

/** google.protobuf.Struct bytes of a JSON object. */
function structBytes(json: JsonObject): Uint8Array {
  return toBinary(StructSchema, fromJson(StructSchema, json));
}

/** envoy.config.core.v3.Metadata { map<string, google.protobuf.Struct> filter_metadata = 1; } */
function metadataBytes(filterMetadata: Record<string, JsonObject>): Uint8Array {
  const w = new BinaryWriter();
  for (const [ns, json] of Object.entries(filterMetadata)) {
    // A map entry is a nested message: key = 1, value = 2.
    w.tag(1, WireType.LengthDelimited).fork()
      .tag(1, WireType.LengthDelimited).string(ns)
      .tag(2, WireType.LengthDelimited).bytes(structBytes(json))
      .join();
  }
  return w.finish();
}

const JWT_AUTHN = "envoy.filters.http.jwt_authn";

function withMetadata(host: Awaited<ReturnType<typeof filterHost>>, metadata: Uint8Array, headers: Record<string, string> = ANONYMOUS) {
  return host.exchange({
    request: { headers, body: CHAT_REQUEST },
    response: { headers: JSON_RESPONSE_HEADERS, body: CHAT_RESPONSE },
    attributes: { metadata: Attr.message(metadata) },
  });
}

test("identity.source jwtAuthn: the payload jwt_authn wrote to dynamic metadata identifies the caller", async () => {
  const host = await filterHost({ pluginConfig: { ...EXAMPLE_POLICY, identity: { source: "jwtAuthn" } } });
  const meta = metadataBytes({
    "envoy.lb": { canary: true },
    [JWT_AUTHN]: { "https://sso.example.com": { iss: "https://sso.example.com", sub: "gina", groups: ["beta", "free"], exp: 1999999999 } },
  });
  const r = withMetadata(host, meta);
  assert.equal(r.status, 200);
  assert.deepEqual(rateLimitHeaders(r), [
    ["x-ratelimit-limit-tokens", "20000"],
    ["x-ratelimit-remaining-tokens", String(19_000 - HELLO_INPUT)],
    ["x-ratelimit-reset-tokens", "15h0m0s"],
  ]);
  assert.equal(usedBy(host, "free", "gina"), 100);
  const gold = withMetadata(host, metadataBytes({ [JWT_AUTHN]: { issuer: { sub: "hank", groups: "gold" } } }));
  assert.equal(gold.headers["x-ratelimit-limit-tokens"], "200000", "a groups claim given as a string");
  assert.equal(usedBy(host, "gold", "hank"), 100);
  // No jwt_authn namespace: no identity, no limit.
  const none = withMetadata(host, metadataBytes({ "envoy.lb": { canary: true } }));
  assert.deepEqual(rateLimitHeaders(none), []);
  assert.equal(metric(host, "identity_missing"), 1);
});

test("identity.jwtAuthn.payloadKey picks one provider's payload out of several", async () => {
  const host = await filterHost({ pluginConfig: { ...EXAMPLE_POLICY, identity: { source: "jwtAuthn", jwtAuthn: { payloadKey: "gold-idp" } } } });
  const meta = metadataBytes({ [JWT_AUTHN]: { "free-idp": { sub: "ivan", groups: ["free"] }, "gold-idp": { sub: "ivan", groups: ["gold"] } } });
  const r = withMetadata(host, meta);
  assert.equal(r.headers["x-ratelimit-limit-tokens"], "200000");
  assert.equal(counterOf(host, "free", "ivan"), undefined);
  assert.equal(usedBy(host, "gold", "ivan"), 100);
});

test("a JWT in another header without prefix, with other claims for user and groups", async () => {
  const policy = { ...EXAMPLE_POLICY, identity: { jwt: { header: "x-api-token", prefix: "" }, userIdClaim: "email", groupsClaim: "roles" } };
  const host = await filterHost({ pluginConfig: policy });
  const payload = Buffer.from(JSON.stringify({ email: "jo@example.com", roles: ["gold"] })).toString("base64url");
  const token = `eyJhbGciOiJSUzI1NiJ9.${payload}.c2ln`;
  const r = anonymous(host, { ...ANONYMOUS, "x-api-token": token });
  assert.equal(r.headers["x-ratelimit-limit-tokens"], "200000");
  assert.equal(usedBy(host, "gold", "jo@example.com"), 100);
});
