// Errors users can act on: a refused client gets an error body its own SDK parses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Host } from "../../host-test/index.ts";
import { chatHeaders } from "../../fixtures/llm.ts";
import { chat, NINE_AM } from "../filter/helpers.ts";

const SMALL = { limits: { per_user: { rates: [{ limit: 100, window: "1h" }], counters: [{ expression: "auth.identity.userid" }] } } };

/** A host where alice has spent her 100 tokens, refusing her on any path. */
async function exhausted(extra: object = {}): Promise<Host> {
  const host = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: { ...SMALL, ...extra }, now: NINE_AM, trace: false });
  assert.equal(chat(host, "alice", []).status, 200);
  return host;
}

function refused(host: Host, path: string, user = "alice") {
  const r = host.exchange({ request: { headers: chatHeaders(user, [], path), body: "{}" } });
  assert.equal(r.upstreamRequest, null);
  return { status: r.status, body: JSON.parse(r.body), headers: r.headers };
}

test("the 429 on an OpenAI path is OpenAI's error object", async () => {
  const r = refused(await exhausted(), "/v1/chat/completions");
  assert.equal(r.status, 429);
  assert.deepEqual(Object.keys(r.body.error), ["message", "type", "param", "code"]);
  assert.equal(r.body.error.code, "rate_limit_exceeded");
  assert.equal(r.headers["retry-after"] !== undefined, true);
});

test("the 429 on /v1/messages is Anthropic's error object", async () => {
  const host = await exhausted();
  for (const path of ["/v1/messages", "/v1/messages?beta=true", "/anthropic/v1/messages/"]) {
    const r = refused(host, path);
    assert.equal(r.status, 429, path);
    assert.deepEqual(Object.keys(r.body), ["type", "error"], path);
    assert.equal(r.body.type, "error");
    assert.equal(r.body.error.type, "rate_limit_error");
    assert.match(r.body.error.message, /^Rate limit reached for tokens on limit per_user/);
  }
});

test("the 429 on generateContent is Gemini's error object", async () => {
  const host = await exhausted();
  for (const path of ["/v1beta/models/gemini-2.0-flash:generateContent", "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"]) {
    const r = refused(host, path);
    assert.equal(r.status, 429, path);
    assert.deepEqual(Object.keys(r.body.error), ["code", "message", "status"], path);
    assert.equal(r.body.error.code, 429);
    assert.equal(r.body.error.status, "RESOURCE_EXHAUSTED");
  }
});

test("response.format fixes the error shape whatever the path", async () => {
  const host = await exhausted({ response: { format: "openai" } });
  assert.equal(refused(host, "/v1/messages").body.error.code, "rate_limit_exceeded");
  const g = await exhausted({ response: { format: "gemini", status: 403 } });
  const r = refused(g, "/v1/chat/completions");
  assert.equal(r.status, 403);
  assert.deepEqual(r.body, { error: { code: 403, message: r.body.error.message, status: "PERMISSION_DENIED" } });
});

test("response.format rejects an unknown shape", async () => {
  const host = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: { ...SMALL, response: { format: "xml" } }, trace: false });
  assert.equal(host.accepted, false);
  assert.ok(host.logs("error").some((l) => l.includes('response.format: expected one of "auto", "openai", "anthropic", "gemini"')), host.logs("error").join("\n"));
});

test("the 403 for an unidentified caller on /v1/messages is Anthropic's permission_error", async () => {
  const host = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: SMALL, now: NINE_AM, trace: false });
  const headers: Record<string, string> = { ...chatHeaders("x", [], "/v1/messages") };
  delete headers.authorization;
  const r = host.exchange({ request: { headers, body: "{}" } });
  assert.equal(r.status, 403);
  const body = JSON.parse(r.body);
  assert.equal(body.type, "error");
  assert.equal(body.error.type, "permission_error");
  assert.match(body.error.message, /auth\.identity\.userid/);
});
