// Envoy attributes in policies: values the proxy holds for the request, read when a
// predicate or counter touches them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Attr } from "../../host-test/index.ts";
import { filterHost } from "./helpers.ts";

test("filter_state[\"key\"] in a predicate reads the proxy's filter state for that key", async () => {
  const policy = { limits: { gold: {
    rates: [{ limit: 100, window: "1h" }],
    when: [{ predicate: 'filter_state["tier"] == b"gold"' }],
    counters: [{ expression: "source.address" }],
  } } };
  const host = await filterHost({ pluginConfig: policy });
  const exchange = (tier: string) => host.exchange({
    request: { headers: { ":method": "GET", ":path": "/v1/models", ":authority": "llm" } },
    response: { headers: { ":status": "200" } },
    attributes: { "filter_state.tier": Attr.bytes(Buffer.from(tier)) },
  });
  assert.equal(exchange("gold").headers["x-ratelimit-limit-tokens"], "100");
  assert.equal(exchange("free").headers["x-ratelimit-limit-tokens"], undefined);
  assert.deepEqual(host.traps, []);
});
