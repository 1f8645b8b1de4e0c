// What a response without usage costs: nothing when it cannot have carried generated
// content (a HEAD request, an informational status other than 101, 204, 304, a
// redirection), the configured fallback otherwise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Host } from "../../host-test/index.ts";
import { chatHeaders, CHAT_REQUEST } from "../../fixtures/llm.ts";
import { NINE_AM, usedBy, HELLO_INPUT } from "../filter/helpers.ts";

// Reservations of 500 tokens, and the reservation as the fallback charge (the defaults).
const POLICY = {
  limits: { per_user: { rates: [{ limit: 100000, window: "1h" }], counters: [{ expression: "auth.identity.userid" }] } },
  admission: { defaultReservation: 500 },
};

function host(): Promise<Host> {
  return Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: POLICY, now: NINE_AM, trace: false });
}

function answer(h: Host, status: string, method = "POST") {
  return h.exchange({
    request: { headers: { ...chatHeaders("alice", []), ":method": method }, body: method === "HEAD" ? undefined : CHAT_REQUEST },
    response: { headers: { ":status": status } },
  });
}

test("a HEAD request is charged nothing: its response has no body to carry usage", async () => {
  const h = await host();
  assert.equal(answer(h, "200", "HEAD").status, 200);
  assert.equal(usedBy(h, "per_user", "alice"), 0);
  assert.equal(h.metric("tokenlimit.tokens_charged") ?? 0, 0);
  assert.equal(h.metric("tokenlimit.fallback_charges") ?? 0, 0);
});

for (const status of ["204", "304", "301", "302", "307", "308", "103"]) {
  test(`a ${status} response without usage is charged nothing`, async () => {
    const h = await host();
    assert.equal(answer(h, status).status, Number(status));
    assert.equal(usedBy(h, "per_user", "alice"), 0);
    assert.equal(h.metric("tokenlimit.fallback_charges") ?? 0, 0);
    assert.equal(h.metric("tokenlimit.usage_missing") ?? 0, 0);
  });
}

test("a 200 response without usage is still charged the fallback (the reservation)", async () => {
  const h = await host();
  assert.equal(answer(h, "200").status, 200);
  assert.equal(usedBy(h, "per_user", "alice"), 500 + HELLO_INPUT);
  assert.equal(h.metric("tokenlimit.fallback_charges"), 1);
});

test("a 101 upgrade is not taken for a bodiless response: it is charged the fallback", async () => {
  const h = await host();
  answer(h, "101");
  assert.equal(usedBy(h, "per_user", "alice"), 500 + HELLO_INPUT);
  assert.equal(h.metric("tokenlimit.fallback_charges"), 1);
});
