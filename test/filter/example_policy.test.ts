// The README's policy and the example response, end to end through
// build/tokenlimit.wasm: free 20,000 and gold 200,000 tokens a UTC day, per user; each
// response reports 100 tokens; the default reservation is 1000 and a request is admitted
// while used + reserved < limit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EXAMPLE_POLICY, chatHeaders, CHAT_REQUEST, CHAT_RESPONSE, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { filterHost, chat, chatRequest, counterOf, usedBy, rateLimitHeaders, metric, NINE_AM, NEXT_MIDNIGHT, HELLO_INPUT } from "./helpers.ts";

const LIMITED_BODY_AT_9 =
  '{"error":{"message":"Rate limit reached for tokens on limit free: limit 20000, remaining 0. Please try again in 15h0m0s.",' +
  '"type":"tokens","param":null,"code":"rate_limit_exceeded"}}';

/** Sends chat completions for `user` until one is refused; returns how many were admitted and the refusal. */
function exhaust(host: Awaited<ReturnType<typeof filterHost>>, user: string, groups: string[], max: number) {
  for (let admitted = 0; admitted <= max; admitted++) {
    const r = chat(host, user, groups);
    if (r.status !== 200) return { admitted, refusal: r };
  }
  throw new Error(`${user} was never refused in ${max + 1} requests`);
}

test("a free user is admitted exactly 200 times (20,000 tokens at 100 each) and the 201st request gets 429", async () => {
  const host = await filterHost();
  const { admitted, refusal } = exhaust(host, "alice", ["free"], 300);
  assert.equal(admitted, 200);
  assert.equal(refusal.status, 429);
  assert.equal(refusal.upstreamRequest, null, "a refused request never reaches the model");
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: Date.UTC(2026, 10, 29), windowMs: 86_400_000, used: 20_000, reserved: 0 });
  assert.equal(chat(host, "alice", ["free"]).status, 429, "still refused");
  assert.equal(usedBy(host, "free", "alice"), 20_000, "refusals charge nothing");
  assert.deepEqual(host.traps, []);
});

test("a gold user is admitted exactly 2,000 times (200,000 tokens) and then gets 429 naming the gold limit", async () => {
  const host = await filterHost();
  const { admitted, refusal } = exhaust(host, "bob", ["gold"], 2100);
  assert.equal(admitted, 2000);
  assert.equal(refusal.status, 429);
  assert.equal(refusal.headers["x-ratelimit-limit-tokens"], "200000");
  assert.match(refusal.body, /on limit gold: limit 200000, remaining 0\./);
  assert.equal(usedBy(host, "gold", "bob"), 200_000);
  assert.equal(counterOf(host, "free", "bob"), undefined, "a gold user never touches the free limit");
});

test("counters are per user: alice exhausted, carol in free is still admitted with her full budget", async () => {
  const host = await filterHost();
  assert.equal(exhaust(host, "alice", ["free"], 300).admitted, 200);
  const carol = chat(host, "carol", ["free"]);
  assert.equal(carol.status, 200);
  assert.equal(carol.headers["x-ratelimit-remaining-tokens"], String(19_000 - HELLO_INPUT));
  assert.equal(usedBy(host, "free", "carol"), 100);
  assert.equal(usedBy(host, "free", "alice"), 20_000);
  assert.equal(chat(host, "alice", ["free"]).status, 429);
});

test("the path predicate excludes other paths: /v1/embeddings is never limited and carries no rate-limit headers", async () => {
  const host = await filterHost();
  assert.equal(exhaust(host, "alice", ["free"], 300).admitted, 200);
  for (let i = 0; i < 5; i++) {
    const r = chat(host, "alice", ["free"], { path: "/v1/embeddings", response: '{"object":"list","data":[],"usage":{"prompt_tokens":8,"total_tokens":8}}' });
    assert.equal(r.status, 200);
    assert.equal(r.localReply, false);
    assert.deepEqual(rateLimitHeaders(r), []);
    assert.notEqual(r.upstreamRequest, null);
  }
  assert.equal(usedBy(host, "free", "alice"), 20_000, "embeddings are not charged to the chat limit");
});

test("the daily window resets at 00:00 UTC: exhausted at 23:59:59.999, admitted at 00:00:00.000", async () => {
  const host = await filterHost();
  assert.equal(exhaust(host, "alice", ["free"], 300).admitted, 200);
  host.clock.set(NEXT_MIDNIGHT - 1);
  const late = chat(host, "alice", ["free"]);
  assert.equal(late.status, 429);
  assert.equal(late.headers["retry-after"], "1");
  assert.equal(late.headers["x-ratelimit-reset-tokens"], "1s");
  host.clock.set(NEXT_MIDNIGHT);
  const fresh = chat(host, "alice", ["free"]);
  assert.equal(fresh.status, 200);
  assert.deepEqual(rateLimitHeaders(fresh), [
    ["x-ratelimit-limit-tokens", "20000"],
    ["x-ratelimit-remaining-tokens", String(19_000 - HELLO_INPUT)],
    ["x-ratelimit-reset-tokens", "24h0m0s"],
  ]);
  assert.deepEqual(counterOf(host, "free", "alice"), { windowStart: NEXT_MIDNIGHT, windowMs: 86_400_000, used: 100, reserved: 0 });
});

test("the 429 is exact: status, content-type, retry-after = seconds to midnight, limit/remaining/reset headers, JSON body", async () => {
  const host = await filterHost();
  const { refusal } = exhaust(host, "alice", ["free"], 300);
  assert.equal(refusal.status, 429);
  assert.equal(refusal.localReply, true);
  assert.equal(refusal.localResponse?.details, "token_rate_limited");
  assert.deepEqual(refusal.headerPairs, [
    [":status", "429"],
    ["content-type", "application/json"],
    ["x-ratelimit-limit-tokens", "20000"],
    ["x-ratelimit-remaining-tokens", "0"],
    ["x-ratelimit-reset-tokens", "15h0m0s"],
    ["retry-after", String((NEXT_MIDNIGHT - NINE_AM) / 1000)],
    ["content-length", String(Buffer.byteLength(LIMITED_BODY_AT_9))],
  ]);
  assert.equal(refusal.headers["retry-after"], "54000");
  assert.equal(refusal.body, LIMITED_BODY_AT_9);
  assert.deepEqual(JSON.parse(refusal.body).error.code, "rate_limit_exceeded");
});

test("retry-after and the reset header count down with the clock (rounded up to whole seconds)", async () => {
  const host = await filterHost();
  exhaust(host, "alice", ["free"], 300);
  host.clock.set(Date.UTC(2026, 10, 29, 21, 57, 3, 500)); // 2h2m56.5s before midnight
  const r = chat(host, "alice", ["free"]);
  assert.equal(r.status, 429);
  assert.equal(r.headers["retry-after"], "7377");
  assert.equal(r.headers["x-ratelimit-reset-tokens"], "2h2m57s");
  assert.match(r.body, /Please try again in 2h2m57s\./);
});

test("admitted responses carry limit, remaining (after this request's reservation) and reset headers, never retry-after", async () => {
  const host = await filterHost();
  const first = chat(host, "alice", ["free"]);
  assert.equal(first.status, 200);
  assert.deepEqual(rateLimitHeaders(first), [
    ["x-ratelimit-limit-tokens", "20000"],
    ["x-ratelimit-remaining-tokens", String(19_000 - HELLO_INPUT)],
    ["x-ratelimit-reset-tokens", "15h0m0s"],
  ]);
  assert.equal(first.body, CHAT_RESPONSE, "the body passes unchanged");
  const second = chat(host, "alice", ["free"]);
  assert.equal(second.headers["x-ratelimit-remaining-tokens"], String(18_900 - HELLO_INPUT));
  const gold = chat(host, "bob", ["gold"]);
  assert.deepEqual(rateLimitHeaders(gold), [
    ["x-ratelimit-limit-tokens", "200000"],
    ["x-ratelimit-remaining-tokens", String(199_000 - HELLO_INPUT)],
    ["x-ratelimit-reset-tokens", "15h0m0s"],
  ]);
  // The 200th admitted request: 19,900 used + 1,000 reserved leaves nothing.
  for (let i = 2; i < 199; i++) chat(host, "alice", ["free"]);
  const last = chat(host, "alice", ["free"]);
  assert.equal(last.status, 200);
  assert.equal(last.headers["x-ratelimit-remaining-tokens"], "0");
  assert.equal(metric(host, "requests_admitted"), 201);
  assert.equal(metric(host, "limit.free.tokens_charged"), 20_000);
});

test("a user in both groups is held to both limits and told about the tighter one", async () => {
  const host = await filterHost();
  const r = chat(host, "dora", ["gold", "free"]);
  assert.equal(r.status, 200);
  assert.equal(r.headers["x-ratelimit-limit-tokens"], "20000");
  assert.equal(usedBy(host, "free", "dora"), 100);
  assert.equal(usedBy(host, "gold", "dora"), 100);
  assert.equal(exhaust(host, "dora", ["gold", "free"], 300).admitted, 199);
});

test("the request and response reach the model and the client unchanged apart from the rate-limit headers", async () => {
  const host = await filterHost();
  const r = host.exchange({
    request: { headers: chatHeaders("alice", ["free"]), body: CHAT_REQUEST },
    response: { headers: JSON_RESPONSE_HEADERS, body: CHAT_RESPONSE },
  });
  assert.equal(r.upstreamRequest?.body, CHAT_REQUEST);
  assert.equal(r.upstreamRequest?.headers[":path"], "/v1/chat/completions");
  assert.equal(r.upstreamRequest?.headers.authorization, chatHeaders("alice", ["free"]).authorization);
  assert.equal(r.body, CHAT_RESPONSE);
  assert.deepEqual(r.headerPairs.filter(([k]) => !k.startsWith("x-ratelimit-")), [[":status", "200"], ["content-type", "application/json"]]);
});

test("with several rates a request must fit all; the refusal reports the exhausted counter that resets last", async () => {
  const free = { ...EXAMPLE_POLICY.limits.free, rates: [{ limit: 300, window: "1m" }, { limit: 1200, window: "1h" }] };
  const host = await filterHost({ pluginConfig: { limits: { free } } });
  const call = () => chat(host, "alice", ["free"], { body: chatRequest(100) });
  const burst = () => {
    let admitted = 0;
    let r = call();
    for (; r.status === 200; r = call()) admitted++;
    return { admitted, refusal: r };
  };
  const minute1 = burst();
  assert.equal(minute1.admitted, 3);
  assert.deepEqual(rateLimitHeaders(minute1.refusal), [
    ["x-ratelimit-limit-tokens", "300"],
    ["x-ratelimit-remaining-tokens", "0"],
    ["x-ratelimit-reset-tokens", "1m0s"],
    ["retry-after", "60"],
  ]);
  for (const minute of [1, 2]) {
    host.clock.set(NINE_AM + minute * 60_000);
    assert.equal(burst().admitted, 3);
  }
  host.clock.set(NINE_AM + 3 * 60_000);
  const last = burst();
  assert.equal(last.admitted, 3);
  assert.deepEqual(rateLimitHeaders(last.refusal), [
    ["x-ratelimit-limit-tokens", "1200"],
    ["x-ratelimit-remaining-tokens", "0"],
    ["x-ratelimit-reset-tokens", "57m0s"],
    ["retry-after", "3420"],
  ], "both exhausted: the hour's counter decides when to come back");
  assert.equal(counterOf(host, "free", "alice", 1)?.used, 1200);
});
