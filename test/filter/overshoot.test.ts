// Overshoot under concurrency: N requests in flight at once (all requests sent before any
// response) against a nearly exhausted budget. With reservations of `max_tokens` that
// cover every cost, the budget is exceeded by less than one request's cost (the bound in
// assembly/limits/README.md); check-only admission lets every one of them through.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EXAMPLE_POLICY, chatHeaders, chatResponse } from "../../fixtures/llm.ts";
import { filterHost, chat, chatRequest, counterOf, prng, sendResponse } from "./helpers.ts";
import type { Host, HttpStream } from "../../host-test/index.ts";

const LIMIT = 20_000;
const SPENT = 19_950;
const N = 50;
const MAX_TOKENS = 200;

interface Burst {
  admitted: number;
  refused: number;
  used: number;
  reserved: number;
  overshoot: number;
  largestCost: number;
  sumCosts: number;
}

/** Spends SPENT of alice's free budget, then runs N concurrent requests with seeded costs <= MAX_TOKENS. */
async function burst(mode: "reserve" | "check", seed: number): Promise<Burst> {
  const host: Host = await filterHost({ workers: 2, pluginConfig: { ...EXAMPLE_POLICY, admission: { mode } } });
  assert.equal(chat(host, "alice", ["free"], { response: chatResponse(SPENT) }).status, 200);
  const r = prng(seed);
  const streams: HttpStream[] = [];
  for (let i = 0; i < N; i++) {
    const s = host.newStream({ worker: i % 2 });
    s.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
    if (!s.answeredLocally) s.sendRequestBody(chatRequest(MAX_TOKENS), true);
    streams.push(s);
  }
  const inFlight = streams.filter((s) => !s.answeredLocally);
  let largestCost = 0;
  let sumCosts = 0;
  for (const s of r.shuffle(inFlight)) {
    const cost = 100 + r.int(MAX_TOKENS - 99); // 100..200: within max_tokens
    largestCost = Math.max(largestCost, cost);
    sumCosts += cost;
    sendResponse(s, chatResponse(cost));
  }
  for (const s of streams) {
    assert.equal(s.completed, true);
    if (s.answeredLocally) assert.equal(s.localResponse?.status, 429);
  }
  const c = counterOf(host, "free", "alice")!;
  assert.deepEqual(host.traps, []);
  return { admitted: inFlight.length, refused: N - inFlight.length, used: c.used, reserved: c.reserved, overshoot: Math.max(0, c.used - LIMIT), largestCost, sumCosts };
}

test("reservation mode bounds the overshoot of N concurrent requests below one request's cost; check mode does not", async () => {
  const reserve = await burst("reserve", 7);
  const check = await burst("check", 7);
  console.log(`overshoot: reserve=${reserve.overshoot} check=${check.overshoot}`);

  // Reserve: 19,950 + 200 >= 20,000 after the first admission, so exactly one is in flight.
  assert.equal(reserve.admitted, 1);
  assert.equal(reserve.refused, N - 1);
  assert.equal(reserve.reserved, 0);
  assert.equal(reserve.used, SPENT + reserve.sumCosts);
  assert.ok(reserve.overshoot > 0, "the one admitted request costs more than the 50 tokens left");
  assert.ok(reserve.overshoot <= MAX_TOKENS - 1, `reserve overshoot ${reserve.overshoot} exceeds one request's cost`);
  assert.ok(reserve.overshoot < reserve.largestCost);

  // Check: every request arrives before the first settles, so all N are admitted and charged.
  assert.equal(check.admitted, N);
  assert.equal(check.refused, 0);
  assert.equal(check.reserved, 0);
  assert.equal(check.used, SPENT + check.sumCosts);
  assert.equal(check.overshoot, SPENT + check.sumCosts - LIMIT);
  assert.ok(check.overshoot >= N * 100 - (LIMIT - SPENT), `check overshoot ${check.overshoot} grows with N`);
  assert.ok(check.overshoot > 10 * reserve.overshoot);
});

test("the reservation bound holds over random interleavings of admissions and settlements (estimates cover costs)", async () => {
  for (const seed of [11, 12, 13, 14, 15]) {
    const host = await filterHost({ workers: 3 });
    const r = prng(seed);
    // alice starts with a random amount already spent.
    chat(host, "alice", ["free"], { response: chatResponse(15_000 + r.int(4_900)) });
    const open: Array<{ s: HttpStream; max: number }> = [];
    let largest = 0;
    for (let step = 0; step < 400; step++) {
      if (open.length === 0 || r.next() < 0.6) {
        const max = 50 + r.int(450);
        const s = host.newStream({ worker: r.int(3) });
        s.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
        if (!s.answeredLocally) s.sendRequestBody(chatRequest(max), true);
        if (!s.answeredLocally) open.push({ s, max });
      } else {
        const { s, max } = open.splice(r.int(open.length), 1)[0];
        const cost = 11 + r.int(max - 10);
        largest = Math.max(largest, cost);
        sendResponse(s, chatResponse(cost));
      }
    }
    for (const { s, max } of open) {
      const cost = 11 + r.int(max - 10);
      largest = Math.max(largest, cost);
      sendResponse(s, chatResponse(cost));
    }
    const c = counterOf(host, "free", "alice")!;
    assert.equal(c.reserved, 0, `seed ${seed}`);
    assert.ok(c.used - LIMIT < largest, `seed ${seed}: overshoot ${c.used - LIMIT} >= largest cost ${largest}`);
  }
});
