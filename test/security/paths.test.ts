// Security rules about request paths: the shipped policy cannot be escaped with a query
// string, and a predicate that could be is reported when the configuration is applied.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { EXAMPLE_POLICY } from "../../fixtures/llm.ts";
import { chat, filterHost, NINE_AM } from "../filter/helpers.ts";
import { Host } from "../../host-test/index.ts";

/** The example policy with the free tier's budget lowered to `limit` tokens a day. */
function tinyFree(limit: number) {
  return { limits: { ...EXAMPLE_POLICY.limits, free: { ...EXAMPLE_POLICY.limits.free, rates: [{ limit, window: "24h" }] } } };
}

test("an exhausted caller is refused on the shipped policy's path whatever query string it adds", async () => {
  const host = await filterHost({ pluginConfig: tinyFree(100) });
  assert.equal(chat(host, "mallory", ["free"]).status, 200, "spends the 100 tokens");
  for (const path of ["/v1/chat/completions", "/v1/chat/completions?api-version=1", "/v1/chat/completions?", "/v1/chat/completions?a=1&b=2"]) {
    const r = chat(host, "mallory", ["free"], { path });
    assert.equal(r.status, 429, path);
    assert.equal(r.upstreamRequest, null, `${path}: nothing reached the upstream`);
  }
  assert.deepEqual(host.traps, []);
});

test("a caller who adds a query string is still charged for what it used", async () => {
  const host = await filterHost({ pluginConfig: tinyFree(1000) });
  assert.equal(chat(host, "mallory", ["free"], { path: "/v1/chat/completions?api-version=1" }).status, 200);
  assert.equal(host.metric("tokenlimit.tokens_charged"), 100);
});

test("request.path compared with == to a literal without ? is a configuration warning that names request.url_path", async () => {
  const policy = { limits: { free: { rates: [{ limit: 10, window: "1m" }], when: [{ predicate: 'request.method == "POST"' }, { predicate: 'request.path == "/v1/chat/completions"' }] } } };
  const host = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: policy, now: NINE_AM, trace: false });
  assert.equal(host.accepted, true, "a warning, not an error");
  const warnings = host.logs("warn").filter((l) => l.includes("request.url_path"));
  assert.ok(warnings.length > 0, host.logs("warn").join("\n"));
  assert.match(warnings[0], /^tokenlimit: configuration: limits\.free\.when\[1\]\.predicate: request\.path includes the query string/);
  assert.match(warnings[0], /request\.url_path == "\/v1\/chat\/completions"/);
});

test("request.path compared with != is a warning too, on the top-level when", async () => {
  const policy = { when: [{ predicate: '"/healthz" != request.path' }], limits: { all: { rates: [{ limit: 10, window: "1m" }] } } };
  const host = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: policy, now: NINE_AM, trace: false });
  assert.ok(host.logs("warn").some((l) => l.startsWith("tokenlimit: configuration: when[0].predicate: request.path includes the query string")));
});

test("request.url_path, request.path with a literal holding ?, and startsWith give no path warning", async () => {
  const policy = {
    limits: {
      a: { rates: [{ limit: 10, window: "1m" }], when: [{ predicate: 'request.url_path == "/v1/chat/completions"' }] },
      b: { rates: [{ limit: 10, window: "1m" }], when: [{ predicate: 'request.path == "/v1/x?y=1"' }] },
      c: { rates: [{ limit: 10, window: "1m" }], when: [{ predicate: 'request.path.startsWith("/v1/")' }] },
    },
  };
  const host = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: policy, now: NINE_AM, trace: false });
  assert.equal(host.accepted, true);
  assert.deepEqual(host.logs("warn").filter((l) => l.includes("query string")), []);
});

test("every shipped example compares request.url_path, never request.path ==", () => {
  const files = ["README.md", "docs/configuration.md", "envoy/envoy.yaml", "envoy/istio/wasmplugin.yaml", "envoy/kuadrant/tokenratelimitpolicy.yaml", "fixtures/llm.ts",
    "envoy/global/limitador-policy.yaml", "envoy/global/ratelimit-policy.yaml", "envoy/kuadrant/tokenratelimitpolicy-global.yaml", "envoy/istio/wasmplugin-global.yaml"];
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    assert.doesNotMatch(text, /predicate[^\n]*request\.path\s*==/, f);
  }
  assert.match(JSON.stringify(EXAMPLE_POLICY), /request\.url_path == /);
});

test("validate shows the request.path warning at the line of the predicate", async () => {
  const { validate } = await import("../../src/commands.ts");
  const { FILTER } = await import("../cli/fixtures.ts");
  const text = 'limits:\n  free:\n    rates: [{ limit: 1, window: 1m }]\n    when:\n      - predicate: request.path == "/v1/chat/completions"\n';
  const out = await validate("p.yaml", text, FILTER);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stderr, /\n  5:\d+: warning: limits\.free\.when\[0\]\.predicate: request\.path includes the query string.*request\.url_path == "\/v1\/chat\/completions"/);
});
