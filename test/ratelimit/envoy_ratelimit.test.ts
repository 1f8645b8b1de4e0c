// The test rate-limit service with envoyproxy/ratelimit's semantics, asked over real gRPC
// with the generated code, counting in a real Redis: limit_remaining per descriptor, hits
// counted even over the limit, hits_addend 0 counted as 1, windows aligned to the unit.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { RateLimitResponse_Code as Code, RateLimitResponse_RateLimit_Unit as Unit } from "../../proto/gen/envoy/service/ratelimit/v3/rls_pb.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";
import { startRateLimitService, type RateLimitTestService } from "../support/ratelimit/server.ts";
import { RateLimitClient, grpcError } from "../support/ratelimit/client.ts";
import { EnvoyRateLimitConfig } from "../support/ratelimit/envoy-config.ts";

/** What `tokenlimit render --format envoy-ratelimit` writes for limit "daily": 10 per minute per counter value, and "team": 100 per hour. */
const CONFIG = `
domain: tokenlimit
descriptors:
  - key: tokenlimit_limit
    value: daily
    descriptors:
      - key: tokenlimit_window
        value: "60"
        descriptors:
          - key: tokenlimit_counter_0
            rate_limit: { unit: minute, requests_per_unit: 10 }
  - key: tokenlimit_limit
    value: team
    descriptors:
      - key: tokenlimit_window
        value: "3600"
        rate_limit: { unit: hour, requests_per_unit: 100 }
  - key: tokenlimit_limit
    value: shadow
    shadow_mode: true
    rate_limit: { unit: second, requests_per_unit: 1 }
  - key: tokenlimit_limit
    value: free
    rate_limit: { unlimited: true }
`;

/** 2026-12-01 12:00:50 UTC: 10 s before a minute ends. */
const T0 = Date.UTC(2026, 11, 1, 12, 0, 50);

let redis: RedisServer;
let svc: RateLimitTestService;
let client: RateLimitClient;
let redisClient: Redis;
let now = T0;

before(async () => {
  redis = await startRedis();
  svc = await startRateLimitService({ engine: "envoy-ratelimit", redisUrl: redis.url, envoyConfig: [{ name: "config.yaml", text: CONFIG }], nowMs: () => now });
  client = new RateLimitClient(svc.address);
  redisClient = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  redisClient.on("error", () => {});
});

after(async () => {
  client.close();
  redisClient.disconnect();
  await svc.close();
  await redis.stop();
});

function daily(user: string) {
  return { entries: [{ key: "tokenlimit_limit", value: "daily" }, { key: "tokenlimit_window", value: "60" }, { key: "tokenlimit_counter_0", value: user }] };
}

test("limit_remaining per descriptor; hits_addend is counted, 0 counts as 1, and over the limit it is still counted", async () => {
  now = T0;
  let r = await client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 3, descriptors: [daily("alice")] });
  assert.equal(r.overallCode, Code.OK);
  assert.equal(r.statuses.length, 1);
  assert.equal(r.statuses[0].code, Code.OK);
  assert.equal(r.statuses[0].limitRemaining, 7);
  assert.equal(r.statuses[0].currentLimit?.requestsPerUnit, 10);
  assert.equal(r.statuses[0].currentLimit?.unit, Unit.MINUTE);
  assert.equal(r.statuses[0].durationUntilReset?.seconds, 10n, "what is left of the minute");

  r = await client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 0, descriptors: [daily("alice")] });
  assert.equal(r.statuses[0].limitRemaining, 6, "hits_addend 0 counts as 1");

  r = await client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 8, descriptors: [daily("alice")] });
  assert.equal(r.overallCode, Code.OVER_LIMIT);
  assert.deepEqual([r.statuses[0].code, r.statuses[0].limitRemaining], [Code.OVER_LIMIT, 0]);
  const windowStart = Math.floor(T0 / 1000 / 60) * 60;
  const key = `tokenlimit_tokenlimit_limit_daily_tokenlimit_window_60_tokenlimit_counter_0_alice_${windowStart}`;
  assert.equal(await redisClient.get(key), "12", "the refused hits were counted too");
  const ttl = await redisClient.ttl(key);
  assert.ok(ttl > 55 && ttl <= 60, `expiry is the unit: ${ttl}`);

  r = await client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 1, descriptors: [daily("bob")] });
  assert.deepEqual([r.overallCode, r.statuses[0].limitRemaining], [Code.OK, 9], "another counter value is another counter");
});

test("windows are aligned to the unit: the next minute starts a new counter, whenever the first hit came", async () => {
  now = T0 + 9_000; // 12:00:59
  let r = await client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 1, descriptors: [daily("carol")] });
  assert.deepEqual([r.statuses[0].limitRemaining, r.statuses[0].durationUntilReset?.seconds], [9, 1n]);
  now = T0 + 10_000; // 12:01:00
  r = await client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 1, descriptors: [daily("carol")] });
  assert.deepEqual([r.statuses[0].limitRemaining, r.statuses[0].durationUntilReset?.seconds], [9, 60n]);
});

test("several descriptors: each gets its status, all are counted, overall OVER_LIMIT when one is over", async () => {
  now = T0 + 120_000;
  const team = { entries: [{ key: "tokenlimit_limit", value: "team" }, { key: "tokenlimit_window", value: "3600" }] };
  await client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 10, descriptors: [daily("dave")] });
  const r = await client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 5, descriptors: [daily("dave"), team] });
  assert.equal(r.overallCode, Code.OVER_LIMIT);
  assert.deepEqual(r.statuses.map((s) => [s.code, s.limitRemaining]), [[Code.OVER_LIMIT, 0], [Code.OK, 95]]);
  assert.equal(r.statuses[1].currentLimit?.unit, Unit.HOUR);
});

test("no limit for a descriptor, an unknown domain, shadow mode and unlimited: OK; a descriptor's own hits_addend overrides the request's, 0 included", async () => {
  now = T0 + 240_000;
  let r = await client.shouldRateLimit({ domain: "tokenlimit", descriptors: [{ entries: [{ key: "tokenlimit_limit", value: "nope" }] }] });
  assert.equal(r.overallCode, Code.OK);
  assert.equal(r.statuses[0].currentLimit, undefined);
  assert.equal(r.statuses[0].limitRemaining, 0);
  r = await client.shouldRateLimit({ domain: "elsewhere", descriptors: [daily("erin")] });
  assert.deepEqual([r.overallCode, r.statuses[0].currentLimit], [Code.OK, undefined]);

  const shadow = { entries: [{ key: "tokenlimit_limit", value: "shadow" }] };
  r = await client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 5, descriptors: [shadow] });
  assert.deepEqual([r.overallCode, r.statuses[0].code, r.statuses[0].limitRemaining], [Code.OK, Code.OK, 0], "shadow mode never refuses");

  r = await client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 5, descriptors: [{ entries: [{ key: "tokenlimit_limit", value: "free" }] }] });
  assert.deepEqual([r.overallCode, r.statuses[0].limitRemaining], [Code.OK, 0xffffffff]);

  r = await client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 4, descriptors: [{ ...daily("frank"), hitsAddend: 0n }] });
  assert.equal(r.statuses[0].limitRemaining, 10, "a descriptor hits_addend of 0 only checks");
  r = await client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 4, descriptors: [{ ...daily("frank"), hitsAddend: 2n }] });
  assert.equal(r.statuses[0].limitRemaining, 8);
});

test("an empty domain or no descriptor is the engine's error (gRPC UNKNOWN with its text)", async () => {
  assert.deepEqual(await grpcError(client.shouldRateLimit({ domain: "", descriptors: [daily("x")] })), { code: GrpcStatus.UNKNOWN, details: "rate limit domain must not be empty" });
  assert.deepEqual(await grpcError(client.shouldRateLimit({ domain: "tokenlimit", descriptors: [] })), { code: GrpcStatus.UNKNOWN, details: "rate limit descriptor list must not be empty" });
});

test("50 concurrent hits on a limit of 10: exactly 10 are OK, and all 50 are counted", async () => {
  now = T0 + 360_000;
  const answers = await Promise.all(Array.from({ length: 50 }, () => client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 1, descriptors: [daily("grace")] })));
  assert.equal(answers.filter((a) => a.overallCode === Code.OK).length, 10);
  assert.deepEqual(answers.map((a) => a.statuses[0].limitRemaining).filter((n) => n > 0).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const windowStart = Math.floor((T0 + 360_000) / 1000 / 60) * 60;
  assert.equal(await redisClient.get(`tokenlimit_tokenlimit_limit_daily_tokenlimit_window_60_tokenlimit_counter_0_grace_${windowStart}`), "50");
});

test("Redis down: the engine's Redis error; Redis restarted: the counters start again from zero", async () => {
  now = T0 + 480_000;
  const first = await client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 6, descriptors: [daily("heidi")] });
  assert.equal(first.statuses[0].limitRemaining, 4);
  await redis.stop();
  const down = await grpcError(client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 1, descriptors: [daily("heidi")] }));
  assert.equal(down?.code, GrpcStatus.UNKNOWN);
  assert.match(down!.details, /^redis error: /);
  await redis.start();
  let r = null;
  for (let i = 0; i < 100 && !r; i++) {
    r = await client.shouldRateLimit({ domain: "tokenlimit", hitsAddend: 1, descriptors: [daily("heidi")] }).catch(() => null);
    if (!r) await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(r?.statuses[0].limitRemaining, 9, "the restarted Redis is empty");
});

test("the config file is checked as the engine checks it", () => {
  const load = (text: string) => () => EnvoyRateLimitConfig.load([{ name: "c.yaml", text }]);
  assert.throws(load("domain: d\ndescriptors:\n  - key: k\n    rate_limt: { unit: second, requests_per_unit: 1 }\n"), /c\.yaml: config error, unknown key 'rate_limt'/);
  assert.throws(load("domain: d\ndescriptors:\n  - key: k\n    rate_limit: { unit: fortnight, requests_per_unit: 1 }\n"), /invalid rate limit unit 'fortnight'/);
  assert.throws(load("domain: d\ndescriptors:\n  - key: k\n    value: v\n  - key: k\n    value: v\n"), /duplicate descriptor composite key 'd\.k_v'/);
  assert.throws(load("domain: d\ndescriptors:\n  - value: v\n"), /descriptor has empty key/);
  assert.throws(load("domain: d\ndescriptors:\n  - key: k\n    rate_limit: { unlimited: true, unit: second }\n"), /should not specify rate limit unit when unlimited/);
});
