// Budget alerts in host-test: a counter crossing a threshold within its window gives one
// metric increment, one warn line and one webhook call with the documented payload, once
// per counter, threshold and window, whichever worker settles the charge; failed calls are
// retried with backoff on the root's tick; nothing waits for the webhook.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chatHeaders, chatResponse, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { filterHost, chat, chatRequest, prng, NINE_AM, NEXT_MIDNIGHT } from "../filter/helpers.ts";
import type { HttpCallOutcome, HttpCallRecord, HttpStream } from "../../host-test/index.ts";
import { alertPolicy, alertBody } from "./helpers.ts";

const DAY_START = Date.UTC(2026, 10, 29);

function hostWith(pluginConfig: object, handler: (call: HttpCallRecord) => HttpCallOutcome = () => ({ status: 200 }), workers = 1) {
  return filterHost({ pluginConfig, workers, keepRecords: true, clusters: { alerts: handler } });
}

test("crossing 600 tokens, 80% and 100% of a 1000-token day sends one call each, with the documented payload", async () => {
  const host = await hostWith(alertPolicy());
  chat(host, "alice", [], { response: chatResponse(500) });
  assert.equal(host.httpCalls.length, 0, "500 of 1000 crosses nothing");
  chat(host, "alice", [], { response: chatResponse(320) });
  host.flush();
  assert.deepEqual(host.httpCalls.map((c) => alertBody(c).threshold), ["80%", "600"], "820 crosses 600 and 800 in one charge");
  chat(host, "alice", [], { response: chatResponse(180) });
  host.flush();
  assert.equal(host.httpCalls.length, 3);
  const call = host.httpCalls[2];
  assert.equal(call.cluster, "alerts");
  assert.equal(call.header(":method"), "POST");
  assert.equal(call.header(":path"), "/hooks/budget");
  assert.equal(call.header(":authority"), "alerts.example");
  assert.equal(call.header("content-type"), "application/json");
  assert.equal(call.header("x-tokenlimit-alert-attempt"), "1");
  assert.equal(call.timeoutMs, 2000);
  assert.deepEqual(alertBody(call), {
    type: "budget_alert", limit: "team-daily", rate: 0, window: "24h", counter: ["alice"],
    threshold: "100%", threshold_tokens: 1000, used: 1000, used_before: 820, limit_tokens: 1000,
    window_start: "2026-11-29T00:00:00Z", window_start_epoch: DAY_START / 1000,
    reset: "2026-11-30T00:00:00Z", reset_epoch: NEXT_MIDNIGHT / 1000,
    sent_at: "2026-11-29T09:00:00Z", sent_at_epoch: NINE_AM / 1000,
  });
  assert.equal(host.metric("tokenlimit.limit.team_hdaily.budget_alerts.80pct"), 1);
  assert.equal(host.metric("tokenlimit.limit.team_hdaily.budget_alerts.100pct"), 1);
  assert.equal(host.metric("tokenlimit.limit.team_hdaily.budget_alerts.600"), 1);
  assert.equal(host.metric("tokenlimit.budget_alerts"), 3);
  assert.equal(host.metric("tokenlimit.alert_webhook.delivered"), 3);
  const warns = host.logs("warn").filter((l) => l.includes("budget alert"));
  assert.equal(warns.length, 3);
  assert.equal(warns[2], "tokenlimit: budget alert: limit team-daily rate 0 (24h) counter [\"alice\"] crossed 100% (1000 tokens): " +
    "used 1000 of 1000 (was 820), window 2026-11-29T00:00:00Z, resets 2026-11-30T00:00:00Z");
});

test("charges past a threshold already crossed in the window send nothing more; the next window alerts again", async () => {
  const host = await hostWith(alertPolicy({ alerts: ["50%"] }));
  chat(host, "alice", [], { response: chatResponse(600) });
  chat(host, "alice", [], { response: chatResponse(100) });
  chat(host, "alice", [], { response: chatResponse(100) });
  host.flush();
  assert.equal(host.httpCalls.length, 1);
  // Bob's counter is another counter: it alerts on its own.
  chat(host, "bob", [], { response: chatResponse(700) });
  host.flush();
  assert.deepEqual(host.httpCalls.map((c) => alertBody(c).counter), [["alice"], ["bob"]]);
  host.clock.set(NEXT_MIDNIGHT + 60_000);
  chat(host, "alice", [], { response: chatResponse(499) });
  host.flush();
  assert.equal(host.httpCalls.length, 2, "499 of the new day's 1000 is below 50%");
  chat(host, "alice", [], { response: chatResponse(20) });
  host.flush();
  assert.equal(host.httpCalls.length, 3);
  assert.equal(alertBody(host.httpCalls[2]).window_start, "2026-11-30T00:00:00Z");
  assert.equal(alertBody(host.httpCalls[2]).used, 519);
  assert.equal(host.metric("tokenlimit.limit.team_hdaily.budget_alerts.50pct"), 3);
});

test("without a webhook an alert is still the metric and the warn line, and no call is made", async () => {
  const host = await hostWith(alertPolicy({ webhook: null, alerts: ["80%"] }));
  chat(host, "alice", [], { response: chatResponse(900) });
  host.flush();
  assert.equal(host.httpCalls.length, 0);
  assert.equal(host.metric("tokenlimit.limit.team_hdaily.budget_alerts.80pct"), 1);
  assert.equal(host.logs("warn").filter((l) => l.startsWith("tokenlimit: budget alert: limit team-daily")).length, 1);
});

test("every threshold's metric exists, at 0, as soon as the configuration is accepted", async () => {
  const host = await hostWith(alertPolicy());
  for (const t of ["80pct", "100pct", "600"]) assert.equal(host.metric(`tokenlimit.limit.team_hdaily.budget_alerts.${t}`), 0);
});

test("four workers settling interleaved charges to the same counters send exactly one call per counter, threshold and window", async () => {
  for (const seed of [7, 8, 9]) {
    const host = await hostWith(alertPolicy({ limit: 100_000, alerts: ["25%", "50%", "75%", "100%", 33_333] }), () => ({ status: 200, delayMs: 3 }), 4);
    const r = prng(seed);
    const users = ["ann", "ben"];
    const used = new Map(users.map((u) => [u, 0]));
    interface Flight { s: HttpStream; user: string; cost: number; step: number }
    const flights: Flight[] = [];
    let opened = 0;
    let done = 0;
    const total = 240;
    while (done < total) {
      if (opened < total && (flights.length === 0 || r.next() < 0.4)) {
        flights.push({ s: host.newStream({ worker: r.int(4) }), user: r.pick(users), cost: 200 + r.int(900), step: 0 });
        opened++;
        continue;
      }
      const i = r.int(flights.length);
      const f = flights[i];
      if (f.step === 0) f.s.sendRequestHeaders(chatHeaders(f.user, []), false);
      else if (f.step === 1) f.s.sendRequestBody(chatRequest(100), true);
      else if (f.step === 2) f.s.sendResponseHeaders(JSON_RESPONSE_HEADERS, false);
      else {
        if (f.s.answeredLocally) { flights.splice(i, 1); done++; continue; }
        f.s.sendResponseBody(chatResponse(f.cost), true);
        used.set(f.user, used.get(f.user)! + f.cost);
        flights.splice(i, 1);
        done++;
        continue;
      }
      if (f.step === 1 && f.s.answeredLocally) { flights.splice(i, 1); done++; continue; }
      f.step++;
    }
    host.clock.advance(10);
    const expected: string[] = [];
    for (const [user, sum] of used) {
      for (const [label, t] of [["25%", 25_000], ["50%", 50_000], ["75%", 75_000], ["100%", 100_000], ["33333", 33_333]] as const) {
        if (sum >= t) expected.push(`${user} ${label}`);
      }
    }
    const got = host.httpCalls.map((c) => { const b = alertBody(c); return `${b.counter[0]} ${b.threshold}`; });
    assert.deepEqual([...got].sort(), expected.sort(), `seed ${seed}: one call per crossed threshold (charges ${[...used.values()]})`);
    assert.ok(expected.length >= 6, `seed ${seed}: the scenario crosses thresholds (${expected.length})`);
    assert.ok(new Set(host.httpCalls.map((c) => c.vm)).size > 1, `seed ${seed}: calls came from more than one worker`);
    for (const c of host.httpCalls) {
      const b = alertBody(c);
      assert.ok(b.used_before < b.threshold_tokens && b.used >= b.threshold_tokens, `seed ${seed}: ${JSON.stringify(b)}`);
    }
    assert.equal(host.metric("tokenlimit.alert_webhook.delivered"), expected.length);
    assert.deepEqual(host.traps, []);
  }
});

test("a failing webhook is retried on the tick after 1s, then 2s, until it answers 2xx; the attempt number is sent", async () => {
  const answers: HttpCallOutcome[] = [{ status: 503 }, { connectFailure: true }, { reset: true }, { status: 204 }];
  const host = await hostWith(alertPolicy({ alerts: ["80%"] }), () => answers.shift() ?? { status: 500 });
  chat(host, "alice", [], { response: chatResponse(900) });
  host.flush();
  assert.equal(host.httpCalls.length, 1);
  host.clock.advance(999);
  assert.equal(host.httpCalls.length, 1, "no retry before 1s");
  host.clock.advance(1);
  host.flush();
  assert.equal(host.httpCalls.length, 2, "second attempt after 1s");
  host.clock.advance(1999);
  assert.equal(host.httpCalls.length, 2, "third attempt waits 2s");
  host.clock.advance(1);
  host.flush();
  assert.equal(host.httpCalls.length, 3);
  host.clock.advance(4000);
  host.flush();
  assert.equal(host.httpCalls.length, 4);
  assert.deepEqual(host.httpCalls.map((c) => c.header("x-tokenlimit-alert-attempt")), ["1", "2", "3", "4"]);
  assert.deepEqual(host.httpCalls.map((c) => c.bodyText), Array(4).fill(host.httpCalls[0].bodyText), "the same alert each time");
  host.clock.advance(120_000);
  assert.equal(host.httpCalls.length, 4, "delivered: no more attempts");
  assert.equal(host.metric("tokenlimit.alert_webhook.calls"), 4);
  assert.equal(host.metric("tokenlimit.alert_webhook.failures"), 3);
  assert.equal(host.metric("tokenlimit.alert_webhook.retries"), 3);
  assert.equal(host.metric("tokenlimit.alert_webhook.delivered"), 1);
  assert.equal(host.metric("tokenlimit.alert_webhook.dropped"), 0);
});

test("a webhook that times out every time is given up after maxAttempts, counted and logged", async () => {
  const host = await hostWith(alertPolicy({ alerts: ["80%"], webhook: { timeout: "500ms", maxAttempts: 3 } }), () => ({ pending: true }));
  chat(host, "alice", [], { response: chatResponse(900) });
  host.clock.advance(60_000);
  assert.equal(host.httpCalls.length, 3);
  assert.deepEqual(host.httpCalls.map((c) => c.state), ["timeout", "timeout", "timeout"]);
  assert.equal(host.metric("tokenlimit.alert_webhook.failures"), 3);
  assert.equal(host.metric("tokenlimit.alert_webhook.dropped"), 1);
  assert.ok(host.logs("warn").includes("tokenlimit: budget alert webhook alerts failed 3 times (last: status 504); alert dropped"));
});

test("a 4xx answer is not retried: the alert is dropped and counted", async () => {
  const host = await hostWith(alertPolicy({ alerts: ["80%"] }), () => ({ status: 400 }));
  chat(host, "alice", [], { response: chatResponse(900) });
  host.clock.advance(60_000);
  assert.equal(host.httpCalls.length, 1);
  assert.equal(host.metric("tokenlimit.alert_webhook.dropped"), 1);
});

test("the webhook never holds the response: the stream completes while the call is still pending", async () => {
  const host = await hostWith(alertPolicy({ alerts: ["80%"] }), () => ({ status: 200, delayMs: 1500 }));
  const r = chat(host, "alice", [], { response: chatResponse(900) });
  assert.equal(r.status, 200);
  assert.equal(r.stream.completed, true);
  assert.equal(host.httpCalls.length, 1);
  assert.equal(host.httpCalls[0].state, "pending");
  host.clock.advance(1500);
  assert.equal(host.httpCalls[0].state, "answered");
  assert.equal(host.metric("tokenlimit.alert_webhook.delivered"), 1);
});

test("a stream reset mid-response that is charged from what passed can cross a threshold too", async () => {
  const host = await hostWith(alertPolicy({ alerts: ["50%"] }));
  chat(host, "alice", [], { response: chatResponse(499) });
  const s = host.newStream();
  s.sendRequestHeaders(chatHeaders("alice", []), false);
  s.sendRequestBody(chatRequest(), true);
  s.sendResponseHeaders(JSON_RESPONSE_HEADERS, false);
  s.sendResponseBody(chatResponse(100).slice(0, 40), false);
  s.reset();
  host.flush();
  assert.equal(host.httpCalls.length, 1, `charged on reset: ${host.metric("tokenlimit.limit.team_hdaily.tokens_charged")}`);
});

test("a soft limit admits past its budget and alerts at 100%", async () => {
  const host = await hostWith(alertPolicy({ soft: true, alerts: ["100%"] }));
  chat(host, "alice", [], { response: chatResponse(1200) });
  const r = chat(host, "alice", [], { response: chatResponse(100) });
  assert.equal(r.status, 200, "a soft limit never refuses");
  assert.equal(r.localReply, false);
  assert.equal(r.headers["x-ratelimit-remaining-tokens"], undefined, "a soft limit does not govern the budget headers");
  host.flush();
  assert.equal(host.httpCalls.length, 1);
  assert.equal(alertBody(host.httpCalls[0]).used, 1200);
  assert.equal(host.metric("tokenlimit.limit.team_hdaily.requests_limited"), 0);
});
