import { isBodilessStatus, chargeFor, seenTokens, RESPONSE_ABORTED } from "../limits/charge";
import { compilePolicy, CompiledPolicy, PolicyEnvironment } from "../limits/policy";
import { Selection, selectLimits } from "../limits/selection";
import { parseConfig, PluginConfig } from "../config";
import { MemoryCounters } from "../counters/memory";
import { CompileOptions, MapResolver, Value } from "../cel";
import { Usage, SCAN_OK, SCAN_INVALID, tokensForBytes } from "../usage/usage";

describe("isBodilessStatus", () => {
  it("takes informational statuses other than 101, 204, 304 and redirections for bodiless", () => {
    const bodiless: i32[] = [100, 102, 103, 199, 204, 300, 301, 302, 303, 304, 307, 308, 399];
    for (let i = 0; i < bodiless.length; i++) expect(isBodilessStatus(bodiless[i])).toBe(true);
  });
  it("charges a 101 upgrade, 2xx other than 204, errors and unknown statuses as usual", () => {
    const others: i32[] = [0, 1, 99, 101, 200, 201, 202, 203, 205, 206, 400, 429, 500, 999];
    for (let i = 0; i < others.length; i++) expect(isBodilessStatus(others[i])).toBe(false);
  });
});

function chargePolicy(usage: string): CompiledPolicy {
  const text = "{\"limits\":{\"a\":{\"rates\":[{\"limit\":100000,\"window\":\"1m\"}],\"counters\":[{\"expression\":\"user\"}]}}" +
    (usage.length > 0 ? ",\"usage\":" + usage : "") + "}";
  const c = parseConfig(text).config;
  return compilePolicy(c === null ? new PluginConfig() : c, new PolicyEnvironment(new CompileOptions(), new MemoryCounters()));
}

function selectionOf(p: CompiledPolicy): Selection {
  return selectLimits(p, new MapResolver().set("user", Value.string("alice")));
}

/** A stream read to its end (or cut) with `textBytes` of text and no usage. */
function streamWithText(textBytes: i64): Usage {
  const u = new Usage();
  u.streaming = true;
  u.events = 10;
  u.status = SCAN_OK;
  u.textBytes = textBytes;
  u.bodyBytes = textBytes * 3;
  return u;
}

describe("never free: a response without usage", () => {
  it("costs bytes / 4 rounded up", () => {
    expect<i64>(tokensForBytes(0)).toBe(0);
    expect<i64>(tokensForBytes(1)).toBe(1);
    expect<i64>(tokensForBytes(4)).toBe(1);
    expect<i64>(tokensForBytes(160001)).toBe(40001);
  });
  it("cut before its usage is charged the text that passed plus the input estimate, not a smaller reservation", () => {
    const p = chargePolicy("");
    const r = chargeFor(p, selectionOf(p), streamWithText(160000), 200, 1, 25, false, RESPONSE_ABORTED);
    expect<i64>(r.tokens).toBe(40025);
    expect<i64>(r.costs[0]).toBe(40025);
    expect(r.fallback).toBe(true);
    expect(r.usageMissing).toBe(true);
  });
  it("is charged the reservation when that is more (onMissing reservation)", () => {
    const p = chargePolicy("");
    expect<i64>(chargeFor(p, selectionOf(p), streamWithText(40), 200, 3000, 25, false, 0).tokens).toBe(3000);
  });
  it("is charged what passed whatever the reservation (onMissing estimate), and nothing with zero", () => {
    const est = chargePolicy("{\"onMissing\":\"estimate\"}");
    expect<i64>(chargeFor(est, selectionOf(est), streamWithText(40), 200, 3000, 25, false, 0).tokens).toBe(35);
    const zero = chargePolicy("{\"onMissing\":\"zero\"}");
    expect<i64>(chargeFor(zero, selectionOf(zero), streamWithText(160000), 200, 1, 25, false, RESPONSE_ABORTED).tokens).toBe(0);
  });
  it("counts the whole body when it was neither JSON nor an event stream and held no text", () => {
    const invalid = new Usage();
    invalid.status = SCAN_INVALID;
    invalid.bodyBytes = 8000;
    expect<i64>(seenTokens(invalid, false)).toBe(2000);
    const noEvents = new Usage();
    noEvents.streaming = true;
    noEvents.bodyBytes = 400;
    expect<i64>(seenTokens(noEvents, false)).toBe(100);
    const json = new Usage();
    json.status = SCAN_OK;
    json.bodyBytes = 8000;
    expect<i64>(seenTokens(json, false)).toBe(0);
  });
  it("counts a compressed body by its compressed size", () => {
    const u = new Usage();
    u.bodyBytes = 35115;
    expect<i64>(seenTokens(u, true)).toBe(8779);
    const p = chargePolicy("");
    expect<i64>(chargeFor(p, selectionOf(p), u, 200, 1, 0, true, 0).tokens).toBe(8779);
  });
  it("never goes below zero for a negative input estimate", () => {
    const p = chargePolicy("{\"onMissing\":\"estimate\"}");
    expect<i64>(chargeFor(p, selectionOf(p), streamWithText(8), 200, 0, -50, false, 0).tokens).toBe(2);
  });
});

describe("101 upgrades", () => {
  it("are charged usage.upgradeTokens, 32000 by default, whatever the reader saw", () => {
    const p = chargePolicy("");
    const u = streamWithText(400000);
    u.hasUsage = true;
    u.total = 3;
    const r = chargeFor(p, selectionOf(p), u, 101, 1, 0, false, RESPONSE_ABORTED);
    expect<i64>(r.tokens).toBe(32000);
    expect(r.upgrade).toBe(true);
    expect(r.fallback).toBe(false);
  });
  it("are charged the configured amount, 0 included", () => {
    const p = chargePolicy("{\"upgradeTokens\":7500}");
    expect<i64>(chargeFor(p, selectionOf(p), null, 101, 1, 0, false, 0).tokens).toBe(7500);
    const free = chargePolicy("{\"upgradeTokens\":0}");
    expect<i64>(chargeFor(free, selectionOf(free), null, 101, 1, 0, false, 0).tokens).toBe(0);
  });
});
