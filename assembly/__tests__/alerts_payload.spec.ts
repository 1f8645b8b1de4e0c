import { rfc3339, epochSeconds } from "../alerts/time_text";
import { alertPayload, alertLogLine } from "../alerts/payload";
import { backoffMs, WebhookQueue, MAX_PENDING } from "../alerts/webhook_queue";
import { BudgetAlert } from "../limits/alerts";
import { WebhookConfig } from "../config/alerts";
import { escapeMetricPart, budgetAlertMetricName, limitMetricName } from "../filter/metric_names";

describe("RFC 3339 in UTC", () => {
  it("formats the epoch, a leap day and the end of a year", () => {
    expect(rfc3339(0)).toBe("1970-01-01T00:00:00Z");
    expect(rfc3339(1709251199999)).toBe("2024-02-29T23:59:59Z");
    expect(rfc3339(1735689599000)).toBe("2024-12-31T23:59:59Z");
    expect(rfc3339(1764460800000)).toBe("2025-11-30T00:00:00Z");
  });
  it("formats instants before the epoch, flooring milliseconds", () => {
    expect(rfc3339(-1)).toBe("1969-12-31T23:59:59Z");
    expect(rfc3339(-86_400_000)).toBe("1969-12-31T00:00:00Z");
    expect(rfc3339(951782400000)).toBe("2000-02-29T00:00:00Z");
    expect(epochSeconds(-1)).toBe(-1);
    expect(epochSeconds(1999)).toBe(1);
  });
  it("clamps to years 0000 and 9999 instead of trapping", () => {
    expect(rfc3339(i64.MIN_VALUE)).toBe("0000-01-01T00:00:00Z");
    expect(rfc3339(i64.MAX_VALUE)).toBe("9999-12-31T23:59:59Z");
  });
});

function alert(): BudgetAlert {
  const a = new BudgetAlert();
  a.limitName = "team-daily";
  a.rateIndex = 1;
  a.values = ["al\"ice", "gpt-4o"];
  a.limit = 20000;
  a.window = "24h";
  a.windowStartMs = 1764374400000;
  a.windowMs = 86_400_000;
  a.usedBefore = 15900;
  a.used = 16020;
  a.threshold = 16000;
  a.label = "80%";
  a.metricLabel = "80pct";
  return a;
}

describe("alert payload and log line", () => {
  it("is the documented JSON, counter values escaped", () => {
    expect(alertPayload(alert(), 1764438130500)).toBe(
      "{\"type\":\"budget_alert\",\"limit\":\"team-daily\",\"rate\":1,\"window\":\"24h\",\"counter\":[\"al\\\"ice\",\"gpt-4o\"]," +
      "\"threshold\":\"80%\",\"threshold_tokens\":16000,\"used\":16020,\"used_before\":15900,\"limit_tokens\":20000," +
      "\"window_start\":\"2025-11-29T00:00:00Z\",\"window_start_epoch\":1764374400," +
      "\"reset\":\"2025-11-30T00:00:00Z\",\"reset_epoch\":1764460800," +
      "\"sent_at\":\"2025-11-29T17:42:10Z\",\"sent_at_epoch\":1764438130}");
  });
  it("logs one line naming the limit, the counter, used and limit", () => {
    expect(alertLogLine(alert())).toBe("tokenlimit: budget alert: limit team-daily rate 1 (24h) counter [\"al\\\"ice\",\"gpt-4o\"] " +
      "crossed 80% (16000 tokens): used 16020 of 20000 (was 15900), window 2025-11-29T00:00:00Z, resets 2025-11-30T00:00:00Z");
  });
});

describe("webhook retries", () => {
  it("back off 1s, 2s, 4s ... up to 60s", () => {
    expect(backoffMs(1)).toBe(1000);
    expect(backoffMs(2)).toBe(2000);
    expect(backoffMs(3)).toBe(4000);
    expect(backoffMs(6)).toBe(32000);
    expect(backoffMs(7)).toBe(60000);
    expect(backoffMs(1000)).toBe(60000);
  });
  it("give up after maxAttempts", () => {
    const w = new WebhookConfig();
    w.maxAttempts = 2;
    const q = new WebhookQueue();
    q.add(w, new ArrayBuffer(1), 0);
    const p = q.due(0)[0];
    q.started(p, 4);
    expect(q.inFlight(4)).toBe(p);
    expect(q.failed(p, 10)).toBe(true);
    expect(q.due(1009).length).toBe(0);
    expect(q.due(1010).length).toBe(1);
    q.started(p, 8);
    expect(q.failed(p, 2000)).toBe(false);
    expect(q.size).toBe(0);
  });
  it("keep at most MAX_PENDING alerts", () => {
    const w = new WebhookConfig();
    const q = new WebhookQueue();
    for (let i = 0; i < MAX_PENDING; i++) expect(q.add(w, new ArrayBuffer(1), 0)).toBe(true);
    expect(q.add(w, new ArrayBuffer(1), 0)).toBe(false);
  });
});

describe("metric names", () => {
  it("escape limit names one-to-one into [A-Za-z0-9_]", () => {
    expect(escapeMetricPart("free")).toBe("free");
    expect(escapeMetricPart("team-daily")).toBe("team_hdaily");
    expect(escapeMetricPart("team_daily")).toBe("team__daily");
    expect(escapeMetricPart("team.daily")).toBe("team_ddaily");
    expect(escapeMetricPart("a_hb")).toBe("a__hb");
    expect(limitMetricName("team.daily", "tokens_charged")).toBe("tokenlimit.limit.team_ddaily.tokens_charged");
    expect(budgetAlertMetricName("team-daily", "80pct")).toBe("tokenlimit.limit.team_hdaily.budget_alerts.80pct");
  });
});
