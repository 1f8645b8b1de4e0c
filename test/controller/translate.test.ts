// HTTPRoute -> CEL: the predicate each route policy's limits carry, and proof in the real
// filter that a route policy limits that route's traffic and nothing else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Host } from "../../host-test/index.ts";
import { CHAT_REQUEST, CHAT_RESPONSE, JSON_RESPONSE_HEADERS, chatHeaders } from "../../fixtures/llm.ts";
import { routePredicate } from "../../src/controller/translate.ts";
import type { HTTPRoute } from "../../src/controller/types.ts";
import { FilterVerdicts, plan } from "../../src/controller/validation.ts";
import { NOW, OPTIONS, daily, gateway, onGateway, onRoute, policy, route } from "./objects.ts";

const predicate = (spec: HTTPRoute["spec"], section?: string) => routePredicate(route("ns", "r", spec), section);

test("hostnames: exact names with or without a port, and wildcards covering one or more labels", () => {
  assert.deepEqual(predicate({ hostnames: ["api.example.com", "*.example.org"], rules: [{}] }), {
    predicate: '(request.host == "api.example.com" || request.host.startsWith("api.example.com:")) || ' +
      'request.host.matches("^[^:]+\\\\.example\\\\.org(:[0-9]+)?$")',
  });
});

test("a route without hostnames and a rule without matches take every request: no predicate", () => {
  assert.deepEqual(predicate({ rules: [{}] }), { predicate: null });
  assert.deepEqual(predicate({ rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }] }] }), { predicate: null });
});

test("a route without rules routes nothing", () => {
  assert.deepEqual(predicate({ hostnames: ["a.example.com"] }), {
    predicate: '(request.host == "a.example.com" || request.host.startsWith("a.example.com:")) && false',
  });
});

test("matches: path (Exact, PathPrefix element-wise, RegularExpression as a full match), method, headers, query parameters; ANDed within a match, ORed across matches and rules", () => {
  assert.deepEqual(predicate({
    rules: [
      { matches: [
        { path: { type: "Exact", value: "/v1/models" }, method: "GET" },
        { path: { type: "PathPrefix", value: "/v1/chat/" }, headers: [{ name: "X-Tier", value: "gold" }, { type: "RegularExpression", name: "x-model", value: "gpt-4.*" }] },
      ] },
      { matches: [{ path: { type: "RegularExpression", value: "/v[0-9]+/embeddings" }, queryParams: [{ name: "api-version", value: "2024.1" }] }] },
    ],
  }), {
    predicate: '(request.url_path == "/v1/models" && request.method == "GET") || ' +
      '((request.url_path == "/v1/chat" || request.url_path.startsWith("/v1/chat/")) && ' +
      '"x-tier" in request.headers && request.headers["x-tier"] == "gold" && ' +
      '"x-model" in request.headers && request.headers["x-model"].matches("^(gpt-4.*)$")) || ' +
      '(request.url_path.matches("^(/v[0-9]+/embeddings)$") && request.query.matches("(^|&)api-version=2024\\\\.1(&|$)"))',
  });
});

test("a targetRef's sectionName selects the rule of that name", () => {
  const spec = { rules: [{ name: "chat", matches: [{ path: { type: "Exact", value: "/chat" } }] }, { name: "other", matches: [{ method: "PUT" }] }] };
  assert.deepEqual(predicate(spec, "chat"), { predicate: 'request.url_path == "/chat"' });
  assert.deepEqual(predicate(spec, "missing"), { error: 'HTTPRoute has no rule named "missing"' });
});

test("what CEL over the filter's attributes cannot express is refused, not approximated", () => {
  assert.deepEqual(predicate({ rules: [{ matches: [{ queryParams: [{ type: "RegularExpression", name: "a", value: "b.*" }] }] }] }),
    { error: 'queryParams match type "RegularExpression" cannot be expressed (only Exact)' });
});

test("in the real filter, a route policy limits that route's requests and the gateway's defaults limit the rest", async () => {
  const snapshot = {
    policies: [
      policy("ns", "defaults", { targetRef: onGateway("gw"), limits: { all: daily(1000) } }),
      policy("ns", "chat", { targetRef: onRoute("chat"), limits: { chat: daily(100) } }),
    ],
    gateways: [gateway("ns", "gw")],
    routes: [route("ns", "chat", { parentRefs: [{ name: "gw" }], hostnames: ["chat.example.com"], rules: [{ matches: [{ path: { type: "PathPrefix", value: "/v1" } }] }] })],
    plugins: [],
  };
  const result = await plan(snapshot, OPTIONS, new FilterVerdicts(readFileSync("build/tokenlimit.wasm")), NOW);
  const host = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: JSON.stringify(result.apply[0].spec.pluginConfig), trace: false, now: Date.UTC(2026, 11, 4, 9) });
  try {
    const send = (authority: string) => host.exchange({
      request: { headers: { ...chatHeaders("alice", ["free"]), ":authority": authority }, body: CHAT_REQUEST },
      response: { headers: JSON_RESPONSE_HEADERS, body: CHAT_RESPONSE },
    }).status;
    // Each response uses 100 tokens: the route's budget is spent after one, the gateway's after ten.
    assert.deepEqual([send("chat.example.com"), send("chat.example.com:443"), send("other.example.com")], [200, 429, 200]);
    for (let i = 0; i < 9; i++) send("other.example.com");
    assert.equal(send("other.example.com"), 429);
  } finally {
    host.close();
  }
});
