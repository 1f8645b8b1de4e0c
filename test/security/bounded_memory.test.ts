// Bounded memory: a worker's Wasm memory never shrinks once grown, so what a burst of
// concurrent streams may take is bounded (usage.maxConcurrentReads), and what a burst took
// is reused by the next one instead of growing again.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Host, HttpStream } from "../../host-test/index.ts";
import { chatHeaders, EXAMPLE_POLICY, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { filterHost, chatRequest, counterEntries, metric, usedBy, HELLO_INPUT } from "../filter/helpers.ts";

const USAGE_TAIL = 'ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';

/** Opens `n` streams of distinct gold users whose responses have started, and leaves them open. */
function openBurst(host: Host, n: number, from = 0): HttpStream[] {
  const out: HttpStream[] = [];
  for (let i = from; i < from + n; i++) {
    const s = host.newStream();
    s.sendRequestHeaders(chatHeaders(`user-${i}`, ["gold"]), false);
    s.sendRequestBody(chatRequest(10), true);
    s.sendResponseHeaders(JSON_RESPONSE_HEADERS, false);
    s.sendResponseBody('{"id":"x","choices":[{"message":{"content":"', false);
    out.push(s);
  }
  return out;
}

test("responses beyond usage.maxConcurrentReads take no usage reader: they grow memory less, and are charged the reservation, counted", async () => {
  const host = await filterHost({ pluginConfig: { ...EXAMPLE_POLICY, usage: { maxConcurrentReads: 200 } } });
  const base = host.memoryBytes(0);
  const read = openBurst(host, 200);
  const withReaders = host.memoryBytes(0);
  const unread = openBurst(host, 400, 200);
  const withoutReaders = host.memoryBytes(0);
  assert.equal(metric(host, "usage_not_read_at_capacity"), 400);
  // The first 200 took readers (and request state); the next 400 request state only.
  const perStreamRead = (withReaders - base) / 200;
  const perStreamUnread = (withoutReaders - withReaders) / 400;
  assert.ok(perStreamUnread < 0.75 * perStreamRead, `per stream: ${perStreamRead} bytes, then ${perStreamUnread} bytes`);
  for (const s of [...read, ...unread]) s.sendResponseBody(USAGE_TAIL, true);
  assert.equal(usedBy(host, "gold", "user-0"), 2, "a stream with a reader is charged its usage");
  assert.equal(usedBy(host, "gold", "user-599"), 10 + HELLO_INPUT, "one without is charged its reservation (max_tokens 10 and the prompt's estimate)");
  assert.equal(metric(host, "usage_missing"), 400);
  assert.deepEqual(host.traps, []);
});

test("the memory a burst of concurrent streams took is reused by the next burst: the second grows nothing", async () => {
  const host = await filterHost();
  for (const s of openBurst(host, 1500)) s.sendResponseBody(USAGE_TAIL, true);
  const afterFirst = host.memoryBytes(0);
  const second = openBurst(host, 1500, 1500);
  assert.equal(host.memoryBytes(0), afterFirst);
  for (const s of second) s.sendResponseBody(USAGE_TAIL, true);
  assert.equal(host.memoryBytes(0), afterFirst);
  assert.equal(metric(host, "requests_admitted"), 3000);
});

test("keys of past windows are reclaimed: 3 minutes of 150 new callers a minute leave at most counters.maxCounters slot keys", async () => {
  const policy = { limits: { per_user: { rates: [{ limit: 1000, window: "1m" }], counters: [{ expression: "auth.identity.userid" }] } }, counters: { maxCounters: 200 } };
  const host = await filterHost({ pluginConfig: policy });
  for (let m = 0; m < 3; m++) {
    for (let i = 0; i < 150; i++) {
      const r = host.exchange({ request: { headers: chatHeaders(`m${m}-u${i}`, []), body: chatRequest(5) },
        response: { headers: JSON_RESPONSE_HEADERS, body: '{"usage":{"total_tokens":3}}' } });
      assert.equal(r.status, 200);
    }
    host.clock.advance(60_000);
  }
  const slots = counterEntries(host).filter((e) => e.key.startsWith("tokenlimit|per_user|0|#"));
  assert.ok(slots.length <= 201, `${slots.length} keys`);
  assert.equal(usedBy(host, "per_user", "m2-u149"), 3);
  assert.equal(metric(host, "tokens_charged"), 3 * 150 * 3);
});

test("at counters.maxCounters, new callers share the rate's overflow counter, counted in counters_overflowed; callers with a counter keep theirs", async () => {
  const policy = { limits: { per_user: { rates: [{ limit: 100, window: "1h" }], counters: [{ expression: "auth.identity.userid" }] } }, counters: { maxCounters: 16 } };
  const host = await filterHost({ pluginConfig: policy });
  const ask = (user: string, tokens: number) => host.exchange({ request: { headers: chatHeaders(user, []), body: chatRequest(1) },
    response: { headers: JSON_RESPONSE_HEADERS, body: `{"usage":{"total_tokens":${tokens}}}` } });
  let i = 0;
  while (metric(host, "counters_overflowed") === 0 && i < 100) assert.equal(ask(`u${i++}`, 10).status, 200);
  assert.ok(i <= 17, `the first overflow came after ${i} callers`);
  // The overflowed callers share one budget of 100: ten more tokens-worth of newcomers spend it.
  let refused = 0;
  for (let k = 0; k < 60 && refused === 0; k++) if (ask(`new${k}`, 10).status === 429) refused++;
  assert.equal(refused, 1);
  assert.equal(ask("u0", 10).status, 200, "a caller with its own counter is not affected");
  assert.ok(counterEntries(host).length <= 16 + 1);
  assert.ok(host.sharedData.get("tokenlimit|per_user|0|#overflow"));
});

test("counters.maxCounters must be an integer from 16 to 10,000,000: the error names the path", async () => {
  const host = await filterHost({ pluginConfig: { ...EXAMPLE_POLICY, counters: { maxCounters: 3 } } });
  assert.equal(host.accepted, false);
  assert.ok(host.logs("error").some((l) => l.includes("counters.maxCounters")), host.logs("error").join("\n"));
});
