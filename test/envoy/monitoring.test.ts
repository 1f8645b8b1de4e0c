// envoy/monitoring/ stays valid: every metric its Prometheus rules and Grafana dashboard use
// is one the filter exports, named as Envoy's /stats/prometheus exports it with the
// stats_tags of envoy/envoy.yaml, and as `tokenlimit serve`'s /stats/prometheus does; every
// label they use is one of those tags; envoy.yaml's tags and access log are the documented ones.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { filterHost, chat } from "../filter/helpers.ts";
import { chatResponse } from "../../fixtures/llm.ts";
import { STATS_TAGS } from "../../src/serve/metric-names.ts";
import { proxy, openai, HELLO } from "../serve/helpers.ts";

const RULES = parse(readFileSync("envoy/monitoring/prometheus-rules.yaml", "utf8")) as {
  groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> }> }>;
};
const DASHBOARD = JSON.parse(readFileSync("envoy/monitoring/grafana-dashboard.json", "utf8")) as {
  panels: Array<{ title: string; targets: Array<{ expr: string; legendFormat?: string }> }>;
  templating: { list: Array<{ query?: unknown; definition?: string }> };
};
const TAG_NAMES = new Set(STATS_TAGS.map((t) => t.tag_name));

/** Every PromQL expression (and legend) of the rules and the dashboard, with where it is. */
function expressions(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const g of RULES.groups) for (const r of g.rules) out.push([`rule ${r.alert}`, r.expr], [`rule ${r.alert} summary`, r.annotations.summary]);
  for (const p of DASHBOARD.panels) for (const t of p.targets) out.push([`panel ${p.title}`, t.expr], [`panel ${p.title} legend`, t.legendFormat ?? ""]);
  for (const v of DASHBOARD.templating.list) if (v.definition) out.push(["variable", v.definition]);
  return out;
}

/** The metric names and label names of a Prometheus text page. */
function exported(page: string): { metrics: Set<string>; labels: Set<string> } {
  const metrics = new Set<string>();
  const labels = new Set<string>();
  for (const line of page.split("\n")) {
    const m = /^# TYPE (\S+) /.exec(line);
    if (m) metrics.add(m[1]);
    const s = /^[a-zA-Z_]\w*\{([^}]*)\}/.exec(line);
    if (s) for (const pair of s[1].split(",").filter(Boolean)) labels.add(pair.split("=")[0]);
  }
  return { metrics, labels };
}

function checkAgainst(page: string, where: string): void {
  const { metrics, labels } = exported(page);
  let used = 0;
  for (const [what, expr] of expressions()) {
    for (const name of expr.match(/\btokenlimit_\w+/g) ?? []) {
      if (TAG_NAMES.has(name)) {
        assert.ok(labels.has(name), `${what}: label ${name} is on no series of ${where}`);
      } else {
        assert.ok(metrics.has(name), `${what}: ${name} is not a metric of ${where}`);
        used++;
      }
    }
  }
  assert.ok(used > 20, `the rules and the dashboard use the filter's metrics (${used})`);
}

/** A policy that defines every kind of metric: limits with alerts, a webhook. */
const POLICY = {
  limits: {
    "team-daily": {
      rates: [{ limit: 1000, window: "24h" }],
      when: [{ predicate: 'request.url_path == "/v1/chat/completions"' }],
      counters: [{ expression: "auth.identity.userid" }],
      alerts: [{ at: "80%" }, { at: "100%" }],
    },
  },
  alerts: { webhook: { cluster: "alerts" } },
};

test("the rules are well formed: a name, an expression, a severity and a summary each", () => {
  const rules = RULES.groups.flatMap((g) => g.rules);
  assert.ok(rules.length >= 5);
  for (const r of rules) {
    assert.match(r.alert, /^[A-Z][A-Za-z]+$/);
    assert.ok(r.expr.trim().length > 0);
    assert.ok(["info", "warning", "critical"].includes(r.labels.severity), r.alert);
    assert.ok(r.annotations.summary.length > 0, r.alert);
    if (r.for !== undefined) assert.match(r.for, /^\d+[smh]$/);
  }
  assert.equal(new Set(rules.map((r) => r.alert)).size, rules.length, "alert names are unique");
});

test("every metric the rules and the dashboard use is exported by Envoy's /stats/prometheus with envoy.yaml's stats_tags", async () => {
  const host = await filterHost({ pluginConfig: POLICY, clusters: { alerts: () => ({ status: 200 }) } });
  chat(host, "alice", [], { response: chatResponse(900) });
  checkAgainst(host.prometheus(STATS_TAGS), "Envoy's /stats/prometheus");
});

test("and by tokenlimit serve's /stats/prometheus", async (t) => {
  const p = await proxy(t, { pluginConfig: POLICY });
  await openai(p.url, "alice").chat.completions.create({ model: "m", messages: HELLO, max_tokens: 10 });
  checkAgainst(await p.prometheus(), "tokenlimit serve");
});

test("a misspelt metric would be caught: the check fails on a name the filter does not export", async () => {
  const host = await filterHost({ pluginConfig: POLICY });
  const { metrics } = exported(host.prometheus(STATS_TAGS));
  assert.equal(metrics.has("tokenlimit_limit_tokens_charge"), false);
  assert.equal(metrics.has("tokenlimit_limit_tokens_charged"), true);
});

test("envoy.yaml carries the documented stats_tags and prints the charge in its access log", () => {
  const y = parse(readFileSync("envoy/envoy.yaml", "utf8"));
  assert.deepEqual(y.stats_config.stats_tags, STATS_TAGS);
  const log = y.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.access_log[0].typed_config;
  assert.match(log.log_format.text_format_source.inline_string, / tokenlimit=%FILTER_STATE\(wasm\.tokenlimit\.charge:PLAIN\)%\n$/);
});
