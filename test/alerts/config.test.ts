// Budget alert configuration: every mistake is an error naming its JSON path, so a typo
// cannot silently turn an alert (or a limit) off; accepted but pointless settings warn.
import { test } from "node:test";
import assert from "node:assert/strict";
import { filterHost } from "../filter/helpers.ts";
import { CHAT_ONLY, PER_USER } from "./helpers.ts";

const PREFIX = "tokenlimit: invalid configuration: ";
const RATE = { rates: [{ limit: 1000, window: "1h" }], when: CHAT_ONLY, counters: PER_USER };

const INVALID: Array<[string, object, string[]]> = [
  ["thresholds that are neither a percentage nor tokens", { limits: { free: { ...RATE, alerts: [
    { at: "80" }, { at: "0%" }, { at: "1001%" }, { at: "12.5%" }, { at: -5 }, { at: 1.5 }, { at: true }, { at: "80 %" }] } } }, [
    "limits.free.alerts[0].at: expected a percentage of the limit from \"1%\" to \"1000%\" (whole percent) or a number of tokens, got \"80\"",
    "limits.free.alerts[1].at: expected a percentage of the limit from \"1%\" to \"1000%\" (whole percent) or a number of tokens, got \"0%\"",
    "limits.free.alerts[2].at: expected a percentage of the limit from \"1%\" to \"1000%\" (whole percent) or a number of tokens, got \"1001%\"",
    "limits.free.alerts[3].at: expected a percentage of the limit from \"1%\" to \"1000%\" (whole percent) or a number of tokens, got \"12.5%\"",
    "limits.free.alerts[4].at: expected a positive integer, got -5",
    "limits.free.alerts[5].at: expected a positive integer, got 1.5",
    "limits.free.alerts[6].at: expected a percentage like \"80%\" or a number of tokens like 15000, got true",
    "limits.free.alerts[7].at: expected a percentage of the limit from \"1%\" to \"1000%\" (whole percent) or a number of tokens, got \"80 %\""]],
  ["a misspelt key, a missing threshold, a duplicate, a non-list", { limits: {
    free: { ...RATE, alerts: [{ at: "80%" }, { threshold: "90%" }, { at: "80%" }, "100%"] },
    gold: { ...RATE, alerts: { at: "80%" } } } }, [
    "limits.free.alerts[1].threshold: unknown field (expected one of: at)",
    "limits.free.alerts[1].at: required",
    "limits.free.alerts[2].at: duplicate threshold \"80%\"",
    "limits.free.alerts[3]: expected an object like {\"at\": \"80%\"} or {\"at\": 15000}, got \"100%\"",
    "limits.gold.alerts: expected an array, got object"]],
  ["soft that is not a boolean", { limits: { free: { ...RATE, soft: "yes", alerts: [{ at: "80%" }] } } }, [
    "limits.free.soft: expected true or false, got \"yes\""]],
  ["a webhook without a cluster, with a relative path, a bad timeout and attempts", { limits: { free: { ...RATE, alerts: [{ at: "80%" }] } },
    alerts: { webhook: { path: "hooks", timeout: "5 s", maxAttempts: 0, authority: "a b" } } }, [
    "alerts.webhook.cluster: required",
    "alerts.webhook.path: expected a request path starting with \"/\" (visible characters, no spaces), got \"hooks\"",
    "alerts.webhook.authority: expected a host name (visible characters, no spaces), got \"a b\"",
    "alerts.webhook.timeout: invalid duration \"5 s\" (expected e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d)",
    "alerts.webhook.maxAttempts: expected an integer from 1 to 20, got 0"]],
  ["a webhook timeout over a minute, a misspelt webhook field", { limits: { free: { ...RATE, alerts: [{ at: "80%" }] } },
    alerts: { webhook: { cluster: "alerts", timeout: "2m" }, webhok: {} } }, [
    "alerts.webhok: unknown field (expected one of: webhook)",
    "alerts.webhook.timeout: must be at most 60s, got \"2m\""]],
  ["accessLog that is not an object", { limits: { free: RATE }, accessLog: { filterstate: false } }, [
    "accessLog.filterstate: unknown field (expected one of: filterState, responseTrailer)"]],
];

for (const [what, config, errors] of INVALID) {
  test(`alerts: an invalid configuration (${what}) is refused with one error per problem, naming its path`, async () => {
    const host = await filterHost({ pluginConfig: config });
    assert.equal(host.accepted, false);
    assert.deepEqual(host.logs("error"), errors.map((e) => PREFIX + e));
    assert.deepEqual(host.traps, []);
  });
}

test("a soft limit without alerts, and a webhook no limit alerts to, are accepted with a warning each (the canary and the worker each log it)", async () => {
  const host = await filterHost({ pluginConfig: { limits: { free: { ...RATE, soft: true } }, alerts: { webhook: { cluster: "alerts" } } }, clusters: ["alerts"] });
  assert.equal(host.accepted, true);
  const warns = host.logs("warn").filter((l) => l.startsWith("tokenlimit: configuration: "));
  assert.deepEqual([...new Set(warns)], [
    "tokenlimit: configuration: limits.free.soft: a soft limit refuses nothing; without alerts it only counts (add alerts to be told when it is crossed)",
    "tokenlimit: configuration: alerts.webhook: no limit has alerts, so nothing is ever sent (add \"alerts\": [{\"at\": \"80%\"}] to a limit)",
  ]);
});
