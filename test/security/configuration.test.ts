// Security rules about configuration changes: a mistake in a new configuration must not
// silently turn limits off, and a limit that cannot tell callers apart refuses them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Host } from "../../host-test/index.ts";
import { EXAMPLE_POLICY, chatHeaders, CHAT_REQUEST } from "../../fixtures/llm.ts";
import { chat, filterHost, NINE_AM } from "../filter/helpers.ts";

const PER_USER = { limits: { per_user: { rates: [{ limit: 1000, window: "1h" }], counters: [{ expression: "auth.identity.userid" }] } } };

test("a blank configuration while a policy is active is refused, and the policy keeps running", async () => {
  const host = await filterHost({ pluginConfig: { limits: { ...EXAMPLE_POLICY.limits, free: { ...EXAMPLE_POLICY.limits.free, rates: [{ limit: 100, window: "24h" }] } } } });
  assert.equal(chat(host, "mallory", ["free"]).status, 200);
  for (const blank of ["", "   ", "\n\t \r\n"]) {
    assert.equal(host.reconfigure(blank), false, JSON.stringify(blank));
    assert.ok(host.logs("error").some((l) => l.includes("(root): the configuration is blank while a policy is active")), host.logs("error").join("\n"));
  }
  assert.equal(chat(host, "mallory", ["free"]).status, 429, "the previous policy still limits");
});

test("a blank configuration on a proxy that never had a policy starts with no limits and a warning", async () => {
  const host = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: "  ", now: NINE_AM, trace: false });
  assert.equal(host.accepted, true);
  assert.ok(host.logs("warn").some((l) => l.includes("no plugin configuration")));
});

test("by default, a request a limit selected but whose counter has no value is refused with 403 naming the limit and the expression", async () => {
  const host = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: PER_USER, now: NINE_AM, trace: false });
  const headers: Record<string, string> = { ...chatHeaders("x", []) };
  delete headers.authorization;
  const r = host.exchange({ request: { headers, body: CHAT_REQUEST } });
  assert.equal(r.status, 403);
  assert.equal(r.upstreamRequest, null);
  const body = JSON.parse(r.body);
  assert.equal(body.error.code, "rate_limit_unidentified");
  assert.match(body.error.message, /limit per_user/);
  assert.match(body.error.message, /limits\.per_user\.counters\[0\]\.expression \(auth\.identity\.userid\)/);
  assert.equal(host.metric("tokenlimit.counter_expression_errors"), 1);
});

test("onCounterError skip still lets such a request through the limit, counted", async () => {
  const host = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: { ...PER_USER, onCounterError: "skip" }, now: NINE_AM, trace: false });
  const headers: Record<string, string> = { ...chatHeaders("x", []) };
  delete headers.authorization;
  assert.equal(host.exchange({ request: { headers, body: CHAT_REQUEST } }).status, 200);
  assert.equal(host.metric("tokenlimit.counter_expression_errors"), 1);
});

test("a request no limit's when selects is never refused for its missing identity", async () => {
  const host = await filterHost();
  const headers: Record<string, string> = { ...chatHeaders("x", []) };
  delete headers.authorization;
  assert.equal(host.exchange({ request: { headers, body: CHAT_REQUEST } }).status, 200);
});

test("a cost expression naming an unknown usage field is a configuration error", async () => {
  for (const expression of ["usage.totl_tokens", "usage.prompt_tokens + 4 * usage.completion_tokenz", "usage", "request.size"]) {
    const host = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: { ...PER_USER, cost: { expression } }, trace: false });
    assert.equal(host.accepted, false, expression);
    assert.ok(host.logs("error").some((l) => l.includes("cost.expression: invalid CEL") && l.includes("undeclared reference")), host.logs("error").join("\n"));
  }
});

test("a cost expression over known usage fields is accepted and charged", async () => {
  const host = await Host.create({
    wasm: "build/tokenlimit.wasm", now: NINE_AM, trace: false,
    pluginConfig: { ...PER_USER, cost: { expression: "usage.prompt_tokens + 4 * usage.completion_tokens" } },
  });
  assert.equal(host.accepted, true, host.rejection ?? "");
  assert.equal(chat(host, "alice", []).status, 200);
  assert.equal(host.metric("tokenlimit.tokens_charged"), 15 + 4 * 85);
  assert.equal(host.metric("tokenlimit.expression_errors") ?? 0, 0);
});
