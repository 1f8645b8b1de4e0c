// Limitador's three RPCs on Redis, as limitador-server answers them
// (limitador-server/src/envoy_rls/kuadrant_service.rs and server.rs, limitador/src/lib.rs,
// limitador/src/storage/redis/redis_async.rs and scripts.rs at Kuadrant/limitador
// 2981b2bd389d42cf668519f9aa981a53541c4278). Every descriptor of the request is bound as
// `descriptors`; the counters that apply are those of the namespace's limits whose
// conditions hold and variables resolve, one per distinct variable values.
// - CheckRateLimit ignores hits_addend and asks whether one more hit fits every counter
//   (value + 1 <= max_value); it counts nothing.
// - Report adds hits_addend (0 counts as 1) to every counter and never refuses.
// - ShouldRateLimit adds hits_addend (0 counts as 1) to every counter only when all fit
//   (value + hits <= max_value); when one does not, it answers OVER_LIMIT and counts nothing.
// - A counter's window starts at its first hit: the first increase sets its expiry to the
//   limit's seconds (the key then expires and the next hit starts a new window).
// - An empty namespace answers UNKNOWN; a storage error is the gRPC error UNAVAILABLE
//   "Service unavailable". No DescriptorStatus is ever returned (this service does not
//   emulate --rate-limit-headers).
// Check-then-increase runs in one Lua script here (Limitador reads, then pipelines the
// increases), so the counts the tests read are exact under concurrency.
import type { Redis } from "ioredis";
import { applies, variableValues, type LimitadorLimit } from "./limitador-limits.ts";

export type LimitadorCode = "OK" | "OVER_LIMIT" | "UNKNOWN";

/** Storage failed: the RPC answers the gRPC error UNAVAILABLE "Service unavailable". */
export class StorageUnavailable extends Error {}

const CHECK = `
local delta = tonumber(ARGV[1])
for i = 1, #KEYS do
  local v = tonumber(redis.call('GET', KEYS[i]) or '0')
  if v + delta > tonumber(ARGV[2 * i + 1]) then return i end
end
return 0`;

const UPDATE = `
local delta = tonumber(ARGV[1])
for i = 1, #KEYS do
  local c = redis.call('INCRBY', KEYS[i], delta)
  if c == delta then redis.call('EXPIRE', KEYS[i], ARGV[2 * i]) end
end
return 0`;

const CHECK_AND_UPDATE = `
local delta = tonumber(ARGV[1])
for i = 1, #KEYS do
  local v = tonumber(redis.call('GET', KEYS[i]) or '0')
  if v + delta > tonumber(ARGV[2 * i + 1]) then return i end
end
for i = 1, #KEYS do
  local c = redis.call('INCRBY', KEYS[i], delta)
  if c == delta then redis.call('EXPIRE', KEYS[i], ARGV[2 * i]) end
end
return 0`;

interface Counter {
  key: string;
  limit: LimitadorLimit;
}

export class LimitadorEngine {
  private readonly byNamespace = new Map<string, LimitadorLimit[]>();

  constructor(private readonly redis: Redis, limits: readonly LimitadorLimit[], private readonly keyPrefix: string) {
    for (const l of limits) {
      const list = this.byNamespace.get(l.namespace) ?? [];
      list.push(l);
      this.byNamespace.set(l.namespace, list);
    }
  }

  /** The Redis key of the counter of `limit` for these descriptors. */
  counterKey(limit: LimitadorLimit, descriptors: ReadonlyArray<ReadonlyMap<string, string>>): string {
    const values = variableValues(limit, descriptors).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `${this.keyPrefix}limitador:${limit.identity}:${JSON.stringify(values)}`;
  }

  private counters(namespace: string, descriptors: ReadonlyArray<ReadonlyMap<string, string>>): Counter[] {
    return (this.byNamespace.get(namespace) ?? []).filter((l) => applies(l, descriptors)).map((l) => ({ key: this.counterKey(l, descriptors), limit: l }));
  }

  private async run(script: string, counters: Counter[], delta: number): Promise<number> {
    if (counters.length === 0) return 0;
    const args: Array<string | number> = [delta];
    for (const c of counters) args.push(c.limit.seconds, c.limit.maxValue);
    try {
      return Number(await this.redis.eval(script, counters.length, ...counters.map((c) => c.key), ...args));
    } catch (e) {
      throw new StorageUnavailable((e as Error).message);
    }
  }

  /** kuadrant CheckRateLimit: does one more hit fit every counter? Counts nothing. */
  async checkRateLimit(namespace: string, descriptors: ReadonlyArray<ReadonlyMap<string, string>>): Promise<LimitadorCode> {
    if (namespace === "") return "UNKNOWN";
    return (await this.run(CHECK, this.counters(namespace, descriptors), 1)) === 0 ? "OK" : "OVER_LIMIT";
  }

  /** kuadrant Report: adds hits (0 counts as 1) to every counter; always OK. */
  async report(namespace: string, descriptors: ReadonlyArray<ReadonlyMap<string, string>>, hitsAddend: number): Promise<LimitadorCode> {
    if (namespace === "") return "UNKNOWN";
    await this.run(UPDATE, this.counters(namespace, descriptors), hitsAddend === 0 ? 1 : hitsAddend);
    return "OK";
  }

  /** envoy ShouldRateLimit: all counters fit the hits (0 counts as 1) and are increased, or none is. */
  async shouldRateLimit(namespace: string, descriptors: ReadonlyArray<ReadonlyMap<string, string>>, hitsAddend: number): Promise<LimitadorCode> {
    if (namespace === "") return "UNKNOWN";
    const counters = this.counters(namespace, descriptors);
    return (await this.run(CHECK_AND_UPDATE, counters, hitsAddend === 0 ? 1 : hitsAddend)) === 0 ? "OK" : "OVER_LIMIT";
  }
}
