// Per-limit metric names are one-to-one with limit names: `team-daily`, `team_daily` and
// `team.daily` are three limits, and stay three series in Envoy's stats, in its Prometheus
// endpoint without stats_tags, and as three `tokenlimit_limit` labels with them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { filterHost, chat } from "./helpers.ts";
import { STATS_TAGS, escapeMetricPart, limitMetricName } from "../../src/serve/metric-names.ts";

const CHAT_ONLY = [{ predicate: 'request.url_path == "/v1/chat/completions"' }];
function limit(team: string) {
  return { rates: [{ limit: 1000, window: "1h" }], when: [...CHAT_ONLY, { predicate: `request.headers["x-team"] == "${team}"` }],
    counters: [{ expression: "auth.identity.userid" }], alerts: [{ at: "80%" }, { at: 900 }] };
}
const POLICY = { limits: { "team-daily": limit("a"), team_daily: limit("b"), "team.daily": limit("c") } };

test("three limits whose names differ only in - _ . get three metric names in Envoy's stats", async () => {
  const host = await filterHost({ pluginConfig: POLICY });
  chat(host, "alice", [], { headers: { "x-team": "a" } });
  chat(host, "alice", [], { headers: { "x-team": "b" } });
  chat(host, "alice", [], { headers: { "x-team": "b" } });
  assert.equal(host.metric("tokenlimit.limit.team_hdaily.requests_admitted"), 1);
  assert.equal(host.metric("tokenlimit.limit.team__daily.requests_admitted"), 2);
  assert.equal(host.metric("tokenlimit.limit.team_ddaily.requests_admitted"), 0);
  assert.equal(host.metric("tokenlimit.limit.team_hdaily.budget_alerts.80pct"), 0);
  assert.equal(host.metric("tokenlimit.limit.team_ddaily.budget_alerts.900"), 0);
});

test("without stats_tags, Envoy's Prometheus page shows each limit's series under its own name", async () => {
  const host = await filterHost({ pluginConfig: POLICY });
  chat(host, "alice", [], { headers: { "x-team": "c" } });
  const lines = host.prometheus().split("\n").filter((l) => l.startsWith("tokenlimit_limit_") && l.includes("requests_admitted"));
  assert.deepEqual(lines, [
    "tokenlimit_limit_team__daily_requests_admitted{} 0",
    "tokenlimit_limit_team_ddaily_requests_admitted{} 1",
    "tokenlimit_limit_team_hdaily_requests_admitted{} 0",
  ]);
  const names = host.prometheus().split("\n").filter((l) => l.startsWith("# TYPE tokenlimit_limit_"));
  assert.equal(new Set(names).size, names.length, "no metric name twice");
  assert.equal(names.length, 3 * 5, "3 limits x (admitted, limited, tokens, 2 thresholds)");
});

test("with the documented stats_tags, one metric per kind carries the limit and the threshold as labels", async () => {
  const host = await filterHost({ pluginConfig: POLICY });
  chat(host, "alice", [], { headers: { "x-team": "a" } });
  const text = host.prometheus(STATS_TAGS);
  const limitLines = text.split("\n").filter((l) => l.startsWith("tokenlimit_limit_"));
  assert.deepEqual(limitLines.filter((l) => l.startsWith("tokenlimit_limit_requests_admitted")), [
    'tokenlimit_limit_requests_admitted{tokenlimit_limit="team_hdaily"} 1',
    'tokenlimit_limit_requests_admitted{tokenlimit_limit="team_ddaily"} 0',
    'tokenlimit_limit_requests_admitted{tokenlimit_limit="team__daily"} 0',
  ], "one series per limit, in the order the filter defined them (limits sorted by name)");
  assert.deepEqual(limitLines.filter((l) => l.startsWith("tokenlimit_limit_budget_alerts") && l.includes("team_hdaily")), [
    'tokenlimit_limit_budget_alerts{tokenlimit_limit="team_hdaily",tokenlimit_threshold="80pct"} 0',
    'tokenlimit_limit_budget_alerts{tokenlimit_limit="team_hdaily",tokenlimit_threshold="900"} 0',
  ]);
  assert.deepEqual(text.split("\n").filter((l) => l.startsWith("# TYPE tokenlimit_limit_")), [
    "# TYPE tokenlimit_limit_budget_alerts counter",
    "# TYPE tokenlimit_limit_requests_admitted counter",
    "# TYPE tokenlimit_limit_requests_limited counter",
    "# TYPE tokenlimit_limit_tokens_charged counter",
  ]);
  // Filter-wide metrics carry no limit label.
  assert.match(text, /^tokenlimit_requests_admitted\{\} 1$/m);
});

test("the escape is one-to-one over every limit name character, and its TypeScript twin matches the filter", () => {
  const names = ["a", "a_b", "a-b", "a.b", "a__b", "a_hb", "a_db", "_", "-", ".", "__", "_h", "-h", ".d", "x-y_z.w"];
  const escaped = names.map(escapeMetricPart);
  assert.equal(new Set(escaped).size, names.length);
  for (const e of escaped) assert.match(e, /^\w+$/);
  assert.equal(limitMetricName("team-daily", "tokens_charged"), "tokenlimit.limit.team_hdaily.tokens_charged");
});
