// Kuadrant's defaults and overrides for one scope of traffic, without the filter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type Rules, mergeScope, precedenceOrder } from "../../src/controller/merge.ts";

const rules = (policy: string, level: Rules["level"], kind: Rules["kind"], names: string[], more: Partial<Rules> = {}): Rules => ({
  policy, level, kind, strategy: "atomic", created: "2026-12-01T00:00:00Z",
  limits: Object.fromEntries(names.map((n) => [n, { rates: [{ limit: 1, window: "1m" }] }])), ...more,
});

test("precedence, lowest first: gateway defaults, then route policies, then gateway overrides; within each, the oldest last", () => {
  const order = precedenceOrder([
    rules("ns/override", "gateway", "overrides", ["a"]),
    rules("ns/route-old", "route", "defaults", ["a"], { created: "2026-11-01T00:00:00Z" }),
    rules("ns/route-new", "route", "defaults", ["a"], { created: "2026-12-02T00:00:00Z" }),
    rules("ns/default", "gateway", "defaults", ["a"]),
  ]);
  assert.deepEqual(order.map((r) => r.policy), ["ns/default", "ns/route-new", "ns/route-old", "ns/override"]);
});

test("policies created in the same second: namespace/name decides, the first in order wins", () => {
  const { effective, overriddenBy } = mergeScope([rules("ns/b", "route", "defaults", ["x"]), rules("ns/a", "route", "defaults", ["x"])]);
  assert.deepEqual(effective, [{ policy: "ns/a", name: "x" }]);
  assert.deepEqual(overriddenBy, new Map([["ns/b", new Set(["ns/a"])]]));
});

test("an atomic default loses all its limits to a route policy; a merge default only those the route policy names", () => {
  const route = rules("ns/route", "route", "defaults", ["x"]);
  assert.deepEqual(mergeScope([rules("ns/gw", "gateway", "defaults", ["x", "y"]), route]).effective, [{ policy: "ns/route", name: "x" }]);
  assert.deepEqual(mergeScope([rules("ns/gw", "gateway", "defaults", ["x", "y"], { strategy: "merge" }), route]).effective,
    [{ policy: "ns/gw", name: "y" }, { policy: "ns/route", name: "x" }]);
});

test("an atomic override replaces everything below it; a merge override replaces only the names it defines", () => {
  const below = [rules("ns/gw", "gateway", "defaults", ["x", "y"], { strategy: "merge" }), rules("ns/route", "route", "defaults", ["z"])];
  assert.deepEqual(mergeScope([...below, rules("ns/o", "gateway", "overrides", ["x"])]).effective, [{ policy: "ns/o", name: "x" }]);
  assert.deepEqual(mergeScope([...below, rules("ns/o", "gateway", "overrides", ["x"], { strategy: "merge" })]).effective,
    [{ policy: "ns/gw", name: "y" }, { policy: "ns/route", name: "z" }, { policy: "ns/o", name: "x" }]);
});
