// The three-replica scenario through `tokenlimit serve`: three real HTTP proxies (two worker
// VMs each) in front of the built-in upstream, their counters cluster reaching the test
// rate-limit service on a real Redis with `--cluster`, one user's concurrent requests spread
// over all of them. Charged tokens stay within the documented bound and the service counted
// them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { jwtFor } from "../../fixtures/llm.ts";
import { startServe, type Serving } from "../../src/serve/server.ts";
import { startMockUpstream } from "../../src/serve/mock-upstream.ts";
import { NINE_AM } from "../filter/helpers.ts";
import { startRedis } from "../support/redis.ts";
import { startRateLimitService } from "../support/ratelimit/server.ts";
import { CLUSTER, FILTER_WASM, engineLimits, freePolicy } from "./fleet.ts";

const LIMIT = 2500;
const MAX_TOKENS = 240; // the built-in upstream answers with max_tokens completion tokens...
const COST = 242; // ...plus ceil(6 / 4) = 2 prompt tokens for "Hello!"
const R = 3;
const C = 2;

for (const backend of ["envoy-rls", "limitador"] as const) {
  test(`${backend}: one user through three tokenlimit serve proxies is charged within the bound, and the service counted it`, async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const svc = await startRateLimitService({ engine: backend === "envoy-rls" ? "envoy-ratelimit" : "limitador", redisUrl: redis.url, nowMs: () => NINE_AM, ...engineLimits(backend, LIMIT) });
    t.after(() => svc.close());
    const mock = await startMockUpstream();
    t.after(() => mock.close());
    const proxies: Serving[] = [];
    for (let i = 0; i < R; i++) {
      const s = await startServe({
        wasm: FILTER_WASM, pluginConfig: freePolicy(backend, LIMIT), upstream: mock.url, listen: "127.0.0.1:0", workers: C,
        now: NINE_AM, holdClock: true, clusters: [{ name: CLUSTER, host: "127.0.0.1", port: svc.port }],
      });
      t.after(() => s.close());
      proxies.push(s);
    }
    const headers = { authorization: `Bearer ${jwtFor("alice", ["free"])}`, "content-type": "application/json" };
    const body = JSON.stringify({ model: "gpt-4o-mini", max_tokens: MAX_TOKENS, messages: [{ role: "user", content: "Hello!" }] });
    let charged = 0;
    let refused = 0;
    let rounds = 0;
    for (; rounds < 20; rounds++) {
      // Two requests on each proxy at once: two connections, so both workers serve.
      const answers = await Promise.all(proxies.flatMap((p) => [0, 1].map(async () => {
        const r = await fetch(`${p.url}/v1/chat/completions`, { method: "POST", headers, body });
        return { status: r.status, json: (await r.json()) as { usage?: { total_tokens: number } } };
      })));
      // Every report reaches the service before the next round.
      for (let i = 0; i < 3; i++) await Promise.all(proxies.map((p) => p.host.whenRemoteIdle()));
      const ok = answers.filter((a) => a.status === 200);
      assert.deepEqual(answers.filter((a) => a.status !== 200 && a.status !== 429).map((a) => a.status), []);
      for (const a of ok) {
        assert.equal(a.json.usage?.total_tokens, COST);
        charged += COST;
      }
      refused += answers.length - ok.length;
      if (ok.length === 0) break;
    }
    const bound = backend === "envoy-rls" ? COST + (R - 1) * C * MAX_TOKENS + R * C * (COST - MAX_TOKENS) : (R * C + 1) * COST;
    assert.ok(refused > 0 && rounds >= 2, `${rounds} rounds, ${refused} refused`);
    assert.ok(charged <= LIMIT + bound, `charged ${charged} > ${LIMIT} + ${bound}`);
    assert.ok(charged > LIMIT - MAX_TOKENS, `charged ${charged}: the budget was not used`);
    const store = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    t.after(() => store.disconnect());
    const keys = await store.keys(backend === "envoy-rls" ? "*_alice_*" : '*"alice"*');
    assert.equal(keys.length, 1);
    assert.equal(Number(await store.get(keys[0])), backend === "envoy-rls" ? charged + refused : charged);
    assert.deepEqual(svc.decodeErrors, []);
    for (const p of proxies) assert.equal(p.host.metric("tokenlimit.service.errors") ?? 0, 0);
  });
}
