// Several worker VMs share one shared-data store, as Envoy's worker threads do: streams
// opened on different workers, their steps interleaved at random (seeded), must lose no
// charge and leave no reservation behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chatHeaders, chatResponse, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { filterHost, chat, counterOf, counterEntries, chatRequest, prng, metric, sendResponse, HELLO_INPUT } from "./helpers.ts";
import type { HttpStream } from "../../host-test/index.ts";

const USERS = ["ann", "ben", "cat"];

interface Flight {
  stream: HttpStream;
  user: string;
  cost: number;
  response: string;
  /** Next step: 0 request headers, 1 request body, 2 response headers, 3.. response body chunks. */
  step: number;
  cuts: number[];
}

function scenario(seed: number, workers: number, streams: number) {
  return (async () => {
    const host = await filterHost({ workers });
    const r = prng(seed);
    const expected = new Map<string, number>(USERS.map((u) => [u, 0]));
    const pending: Flight[] = [];
    let opened = 0;
    let done = 0;
    while (done < streams) {
      // Open a new stream (on a random worker) or advance a random one by one step.
      if (opened < streams && (pending.length === 0 || r.next() < 0.3)) {
        const user = r.pick(USERS);
        const cost = 1 + r.int(500);
        const response = chatResponse(cost + 10, "x".repeat(r.int(300)));
        const cuts = [...new Set([r.int(response.length), r.int(response.length)])].filter((c) => c > 0).sort((a, b) => a - b);
        pending.push({ stream: host.newStream({ worker: r.int(workers) }), user, cost: cost + 10, response, step: 0, cuts });
        opened++;
        continue;
      }
      const i = r.int(pending.length);
      const f = pending[i];
      const s = f.stream;
      if (f.step === 0) s.sendRequestHeaders(chatHeaders(f.user, ["gold"]), false);
      else if (f.step === 1) s.sendRequestBody(chatRequest(600), true);
      else if (f.step === 2) s.sendResponseHeaders(JSON_RESPONSE_HEADERS, false);
      else {
        const k = f.step - 3;
        const from = k === 0 ? 0 : f.cuts[k - 1];
        const last = k === f.cuts.length;
        s.sendResponseBody(f.response.slice(from, last ? undefined : f.cuts[k]), last);
        if (last) {
          assert.equal(s.completed, true);
          assert.equal(s.downstreamResponse?.status, 200);
          expected.set(f.user, expected.get(f.user)! + f.cost);
          pending.splice(i, 1);
          done++;
          continue;
        }
      }
      f.step++;
    }
    return { host, expected };
  })();
}

test("four workers sharing one shared-data store lose no charge: used equals the sum of charges, reserved returns to 0", async () => {
  for (const seed of [1, 2, 3]) {
    const { host, expected } = await scenario(seed, 4, 300);
    let total = 0;
    for (const [user, sum] of expected) {
      const c = counterOf(host, "gold", user);
      assert.ok(c, `counter of ${user}`);
      assert.equal(c.used, sum, `seed ${seed}: ${user}'s charges`);
      assert.equal(c.reserved, 0, `seed ${seed}: ${user}'s reservations`);
      total += sum;
    }
    assert.equal(metric(host, "tokens_charged"), total);
    assert.equal(metric(host, "requests_admitted"), 300);
    assert.equal(counterEntries(host).length, USERS.length, "one key per counter, whichever worker wrote it");
    assert.deepEqual(host.traps, []);
    for (let w = 0; w < 4; w++) assert.equal(host.worker(w).failed, false);
  }
});

test("reservations taken on one worker are visible to admission on another", async () => {
  const host = await filterHost({ workers: 2 });
  // Worker 0 spends 19,500 of alice's 20,000.
  const s0 = host.newStream({ worker: 0 });
  s0.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s0.sendRequestBody(chatRequest(), true);
  s0.sendResponseHeaders(JSON_RESPONSE_HEADERS);
  s0.sendResponseBody(chatResponse(19_500), true);
  // Worker 1 reserves 400 of the remaining 500 and keeps the response open.
  const s1 = host.newStream({ worker: 1 });
  s1.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s1.sendRequestBody(chatRequest(400), true);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 19_500, reserved: 400 + HELLO_INPUT });
  // Worker 0 still fits (19,900 < 20,000) and reserves 1000; then worker 1 is refused.
  const s2 = host.newStream({ worker: 0 });
  s2.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s2.sendRequestBody(chatRequest(), true);
  assert.equal(s2.answeredLocally, false);
  const s3 = host.newStream({ worker: 1 });
  s3.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  s3.sendRequestBody(chatRequest(), true);
  assert.equal(s3.localResponse?.status, 429);
  assert.equal(counterOf(host, "free", "alice")?.reserved, 1400 + 2 * HELLO_INPUT);
  s1.sendResponseHeaders(JSON_RESPONSE_HEADERS);
  s1.sendResponseBody(chatResponse(300), true);
  s2.sendResponseHeaders(JSON_RESPONSE_HEADERS);
  s2.sendResponseBody(chatResponse(50), true);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 19_850, reserved: 0 });
});

test("a request that passes the header check but finds the budget gone once its body is read gets 429; its upstream request is reset", async () => {
  const host = await filterHost({ workers: 2 });
  chat(host, "alice", ["free"], { response: chatResponse(18_500) });
  const late = host.newStream({ worker: 0 });
  late.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  assert.notEqual(late.upstreamRequest, null, "headers go on while the body is read");
  // Meanwhile another worker reserves the rest.
  const other = host.newStream({ worker: 1 });
  other.sendRequestHeaders(chatHeaders("alice", ["free"]), false);
  other.sendRequestBody(chatRequest(1500), true);
  assert.equal(other.answeredLocally, false);
  late.sendRequestBody(chatRequest(10), true);
  assert.equal(late.localResponse?.status, 429);
  assert.equal(late.upstreamRequest?.reset, true);
  assert.equal(late.downstreamResponse?.status, 429);
  assert.equal(late.downstreamResponse?.headers["retry-after"], "54000");
  assert.equal(late.completed, true);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 18_500, reserved: 1500 + HELLO_INPUT });
  sendResponse(other, chatResponse(1000));
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 19_500, reserved: 0 });
});
