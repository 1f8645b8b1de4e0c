// The alert webhook as a real HTTP server on 127.0.0.1: reached through a host-test cluster
// mapped to its address (a real HTTP/1.1 call, as Envoy's async client makes it), and
// through `tokenlimit serve --cluster` with several workers, where it receives exactly one
// call per threshold per window.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Host } from "../../host-test/index.ts";
import { chatResponse } from "../../fixtures/llm.ts";
import { FILTER_WASM, NINE_AM, chat } from "../filter/helpers.ts";
import { parseCluster } from "../../src/serve/clusters.ts";
import { proxy, upstream, until, openai, HELLO } from "../serve/helpers.ts";
import { alertPolicy, type AlertBody } from "./helpers.ts";

interface Received { method: string; url: string; host: string; attempt: string; contentType: string; body: AlertBody }

/** A webhook server recording what it receives; `answer` picks each response's status. */
async function webhook(t: Parameters<typeof upstream>[0], answer: (n: number) => number = () => 200) {
  const received: Received[] = [];
  const svc = await upstream(t, (req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (b: Buffer) => { body += b; });
    req.on("end", () => {
      received.push({ method: req.method!, url: req.url!, host: req.headers.host!, attempt: String(req.headers["x-tokenlimit-alert-attempt"]),
        contentType: String(req.headers["content-type"]), body: JSON.parse(body) as AlertBody });
      const status = answer(received.length);
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status < 300 ? "ok" : "busy");
    });
  });
  return { received, address: new URL(svc.url).host };
}

test("a host-test cluster mapped to a real server receives the alert; a 503 is retried after 1s and then delivered", async (t) => {
  const hook = await webhook(t, (n) => (n === 1 ? 503 : 200));
  const host = await Host.create({
    wasm: FILTER_WASM, pluginConfig: alertPolicy({ alerts: ["80%"] }), now: NINE_AM, trace: false, clusters: { alerts: { address: hook.address } },
  });
  t.after(() => host.close());
  chat(host, "alice", [], { response: chatResponse(850) });
  await until(() => host.metric("tokenlimit.alert_webhook.failures") === 1, 5000, "the first attempt's 503");
  assert.equal(hook.received.length, 1);
  host.clock.advance(1000);
  await until(() => host.metric("tokenlimit.alert_webhook.delivered") === 1, 5000, "the retry's 200");
  assert.deepEqual(hook.received.map((r) => [r.method, r.url, r.host, r.attempt, r.contentType]), [
    ["POST", "/hooks/budget", "alerts.example", "1", "application/json"],
    ["POST", "/hooks/budget", "alerts.example", "2", "application/json"],
  ]);
  assert.deepEqual(hook.received[1].body, hook.received[0].body);
  assert.equal(hook.received[0].body.threshold, "80%");
  assert.equal(hook.received[0].body.used, 850);
  assert.deepEqual(host.traps, []);
});

test("tokenlimit serve --cluster with 3 workers: the real webhook receives exactly one call per threshold crossed", async (t) => {
  const hook = await webhook(t);
  const p = await proxy(t, {
    pluginConfig: alertPolicy({ limit: 2000, alerts: ["25%", "50%", "75%", "100%", 1234] }),
    workers: 3,
    clusters: [parseCluster(`alerts=${hook.address}`)],
  });
  // Several clients in parallel, each on its own connections, so requests land on every worker.
  const clients = [0, 1, 2].map(() => openai(p.url, "alice"));
  for (let round = 0; round < 8; round++) {
    await Promise.all(clients.map((c) => c.chat.completions.create({ model: "m", messages: HELLO, max_tokens: 98 }).catch(() => null)));
  }
  const used = p.metric("tokenlimit.limit.team_hdaily.tokens_charged")!;
  const crossed = [["25%", 500], ["50%", 1000], ["75%", 1500], ["100%", 2000], ["1234", 1234]].filter(([, t]) => used >= (t as number)).map(([l]) => l);
  assert.ok(crossed.length >= 4, `used ${used}`);
  await until(() => hook.received.length >= crossed.length, 5000, "the webhook calls");
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(hook.received.map((r) => r.body.threshold).sort(), [...crossed].sort(), "one call per threshold, none twice");
  for (const r of hook.received) {
    assert.equal(r.body.limit, "team-daily");
    assert.deepEqual(r.body.counter, ["alice"]);
    assert.equal(r.body.window_start, "2026-11-29T00:00:00Z");
    assert.equal(r.body.reset, "2026-11-30T00:00:00Z");
    assert.ok(r.body.used_before < r.body.threshold_tokens && r.body.used >= r.body.threshold_tokens, JSON.stringify(r.body));
  }
  assert.ok(new Set(p.logs.map((l) => l.record.worker)).size === 3, "requests ran on all three workers");
  const metrics = await p.prometheus();
  assert.match(metrics, new RegExp(`^tokenlimit_alert_webhook_delivered\\{\\} ${crossed.length}$`, "m"));
  assert.match(metrics, /^tokenlimit_limit_budget_alerts\{tokenlimit_limit="team_hdaily",tokenlimit_threshold="25pct"\} 1$/m);
});
