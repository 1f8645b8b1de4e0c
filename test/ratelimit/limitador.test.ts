// The test rate-limit service with Limitador's semantics, asked over real gRPC with the
// generated code, counting in a real Redis: CheckRateLimit ignores hits_addend and counts
// nothing, Report counts hits_addend (0 as 1) and never refuses, ShouldRateLimit counts
// nothing when it refuses, no DescriptorStatus, windows start at a counter's first hit.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { RateLimitResponse_Code as Code } from "../../proto/gen/envoy/service/ratelimit/v3/rls_pb.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";
import { startRateLimitService, type RateLimitTestService } from "../support/ratelimit/server.ts";
import { RateLimitClient, grpcError } from "../support/ratelimit/client.ts";
import { loadLimitadorLimits } from "../support/ratelimit/limitador-limits.ts";

/** What `tokenlimit render --format limitador` writes: limit "daily" 10 per 2 s per user; "it's" 3 per 60 s for everyone. */
const LIMITS = `
- namespace: tokenlimit
  name: daily
  max_value: 10
  seconds: 2
  conditions: ["descriptors[0]['tokenlimit_limit'] == 'daily'"]
  variables: ["descriptors[0]['tokenlimit_counter_0']"]
- namespace: tokenlimit
  name: quoted
  max_value: 3
  seconds: 60
  conditions: ["descriptors[0]['tokenlimit_limit'] == 'it\\\\'s'"]
  variables: []
`;

let redis: RedisServer;
let svc: RateLimitTestService;
let client: RateLimitClient;
let store: Redis;

before(async () => {
  redis = await startRedis();
  svc = await startRateLimitService({ engine: "limitador", redisUrl: redis.url, limitadorLimits: LIMITS, keyPrefix: "t:" });
  client = new RateLimitClient(svc.address);
  store = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  store.on("error", () => {});
});

after(async () => {
  client.close();
  store.disconnect();
  await svc.close();
  await redis.stop();
});

function daily(user: string, hitsAddend = 0) {
  return { domain: "tokenlimit", hitsAddend, descriptors: [{ entries: [{ key: "tokenlimit_limit", value: "daily" }, { key: "tokenlimit_counter_0", value: user }] }] };
}

/** The counter of limit "daily" for `user`, as the service stores it (null: no counter). */
async function used(user: string): Promise<number | null> {
  const keys = await store.keys(`t:limitador:*${JSON.stringify(user)}*`);
  const mine = keys.filter((k) => k.includes('"daily"') || k.includes("'daily'"));
  if (mine.length === 0) return null;
  assert.equal(mine.length, 1, mine.join(", "));
  return Number(await store.get(mine[0]));
}

test("CheckRateLimit ignores hits_addend: it asks whether one more hit fits, counts nothing, and returns no DescriptorStatus", async () => {
  let r = await client.checkRateLimit(daily("alice", 500));
  assert.deepEqual([r.overallCode, r.statuses.length], [Code.OK, 0]);
  assert.equal(await used("alice"), null, "nothing was counted");
  await client.report(daily("alice", 9));
  r = await client.checkRateLimit(daily("alice", 500));
  assert.equal(r.overallCode, Code.OK, "9 + 1 fits 10");
  await client.report(daily("alice", 1));
  r = await client.checkRateLimit(daily("alice", 1));
  assert.equal(r.overallCode, Code.OVER_LIMIT, "10 + 1 does not");
  assert.equal(await used("alice"), 10);
});

test("Report adds hits_addend to the counter, counts 0 as 1, and never refuses", async () => {
  let r = await client.report(daily("bob", 0));
  assert.deepEqual([r.overallCode, r.statuses.length], [Code.OK, 0]);
  assert.equal(await used("bob"), 1, "0 counts as 1");
  r = await client.report(daily("bob", 25));
  assert.equal(r.overallCode, Code.OK, "over the limit, still OK");
  assert.equal(await used("bob"), 26);
});

test("ShouldRateLimit counts hits_addend (0 as 1) when it fits, and counts nothing when it refuses", async () => {
  let r = await client.shouldRateLimit(daily("carol", 4));
  assert.deepEqual([r.overallCode, r.statuses.length], [Code.OK, 0]);
  assert.equal(await used("carol"), 4);
  r = await client.shouldRateLimit(daily("carol", 7));
  assert.equal(r.overallCode, Code.OVER_LIMIT, "4 + 7 > 10");
  assert.equal(await used("carol"), 4, "the refused hits were not counted");
  r = await client.shouldRateLimit(daily("carol", 0));
  assert.equal(r.overallCode, Code.OK);
  assert.equal(await used("carol"), 5, "0 counts as 1");
  r = await client.shouldRateLimit(daily("carol", 5));
  assert.equal(r.overallCode, Code.OK, "5 + 5 fits exactly");
  assert.equal(await used("carol"), 10);
});

test("a counter's window starts at its first hit: later hits do not extend it, and when it ends the next hit starts a new one", async () => {
  await client.report(daily("dave", 3));
  const [key] = (await store.keys("t:limitador:*")).filter((k) => k.includes('"dave"'));
  const ttl1 = await store.pttl(key);
  assert.ok(ttl1 > 1000 && ttl1 <= 2000, `expires 2 s after the first hit: ${ttl1}`);
  await new Promise((r) => setTimeout(r, 600));
  await client.report(daily("dave", 3));
  const ttl2 = await store.pttl(key);
  assert.ok(ttl2 <= ttl1 - 500, `the second hit did not restart the window: ${ttl1} then ${ttl2}`);
  assert.equal(await used("dave"), 6);
  await new Promise((r) => setTimeout(r, ttl2 + 100));
  assert.equal(await used("dave"), null, "the window ended");
  await client.report(daily("dave", 1));
  assert.equal(await used("dave"), 1);
});

test("a limit applies only where its conditions hold and its variables resolve; each counter value is its own counter; quoted names match", async () => {
  const other = { domain: "tokenlimit", hitsAddend: 100, descriptors: [{ entries: [{ key: "tokenlimit_limit", value: "weekly" }, { key: "tokenlimit_counter_0", value: "erin" }] }] };
  assert.equal((await client.shouldRateLimit(other)).overallCode, Code.OK, "no limit for another name");
  const noVariable = { domain: "tokenlimit", hitsAddend: 100, descriptors: [{ entries: [{ key: "tokenlimit_limit", value: "daily" }] }] };
  assert.equal((await client.shouldRateLimit(noVariable)).overallCode, Code.OK, "the variable does not resolve: the limit does not apply");
  assert.equal((await client.shouldRateLimit({ ...daily("erin", 10), domain: "elsewhere" })).overallCode, Code.OK, "another namespace");
  assert.equal((await store.keys("t:limitador:*erin*")).length, 0);

  await client.report(daily("frank", 10));
  assert.equal((await client.checkRateLimit(daily("frank"))).overallCode, Code.OVER_LIMIT);
  assert.equal((await client.checkRateLimit(daily("grace"))).overallCode, Code.OK);

  const quoted = { domain: "tokenlimit", hitsAddend: 3, descriptors: [{ entries: [{ key: "tokenlimit_limit", value: "it's" }] }] };
  assert.equal((await client.shouldRateLimit(quoted)).overallCode, Code.OK);
  assert.equal((await client.shouldRateLimit({ ...quoted, hitsAddend: 1 })).overallCode, Code.OVER_LIMIT);
});

test("an empty namespace answers UNKNOWN on all three methods", async () => {
  for (const call of [client.checkRateLimit.bind(client), client.report.bind(client), client.shouldRateLimit.bind(client)]) {
    assert.equal((await call({ ...daily("x", 1), domain: "" })).overallCode, Code.UNKNOWN);
  }
});

test("Redis down: UNAVAILABLE 'Service unavailable'; Redis restarted: counters start again from zero", async () => {
  await client.report(daily("heidi", 8));
  await redis.stop();
  for (const call of [client.checkRateLimit.bind(client), client.report.bind(client), client.shouldRateLimit.bind(client)]) {
    assert.deepEqual(await grpcError(call(daily("heidi", 1))), { code: GrpcStatus.UNAVAILABLE, details: "Service unavailable" });
  }
  await redis.start();
  let r = null;
  for (let i = 0; i < 100 && !r; i++) {
    r = await client.shouldRateLimit(daily("heidi", 10)).catch(() => null);
    if (!r) await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(r?.overallCode, Code.OK, "10 fits a counter that starts from zero again");
});

test("the service can answer late, stop listening and come back on the same port", async () => {
  svc.delayMs = 300;
  const t0 = Date.now();
  await client.checkRateLimit(daily("ivan"));
  assert.ok(Date.now() - t0 >= 290, "answered after the delay");
  svc.delayMs = 0;
  await svc.stop();
  const down = await grpcError(client.checkRateLimit(daily("ivan")));
  assert.equal(down?.code, GrpcStatus.UNAVAILABLE);
  await svc.start();
  let r = null;
  for (let i = 0; i < 100 && !r; i++) {
    r = await client.checkRateLimit(daily("ivan")).catch(() => null);
    if (!r) await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(r?.overallCode, Code.OK);
  assert.deepEqual(svc.decodeErrors, []);
  assert.ok(svc.calls.some((c) => c.method === "CheckRateLimit" && c.request.descriptors[0].entries[1].value === "ivan"));
});

test("the limits file is read as Limitador reads it, and what the service cannot evaluate is refused by path", () => {
  const [l] = loadLimitadorLimits(`- { namespace: ns, max_value: 5, seconds: 60, conditions: ["'gold' == descriptors[0].tier"], variables: ["descriptors[0]['user']"] }`);
  assert.deepEqual([l.conditions[0].ref, l.conditions[0].value, l.variables[0].ref], [{ index: 0, key: "tier" }, "gold", { index: 0, key: "user" }]);
  assert.throws(() => loadLimitadorLimits(`- { namespace: ns, max_value: 5, seconds: 60, conditions: ["descriptors[0]['a'].startsWith('x')"] }`), /limits\[0\]\.conditions\[0\]: .*expected == or !=/);
  assert.throws(() => loadLimitadorLimits(`- { namespace: ns, max_value: 5, secs: 60 }`), /limits\[0\]: unknown field 'secs'/);
  assert.throws(() => loadLimitadorLimits(`- { namespace: ns, max_value: -1, seconds: 60 }`), /limits\[0\]\.max_value: expected an unsigned integer/);
});
