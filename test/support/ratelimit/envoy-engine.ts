// envoyproxy/ratelimit's ShouldRateLimit on Redis, as its fixed-window cache does it
// (src/redis/fixed_cache_impl.go DoLimit, src/limiter/base_limiter.go, cache_key.go,
// src/service/ratelimit.go shouldRateLimitWorker; revision in envoy-config.ts):
// - each descriptor's hits: its own hits_addend when set (0 allowed), else
//   max(1, request.hits_addend);
// - the counter key is prefix + domain + "_" + each "key_value_" + the window start, the
//   window aligned to the unit (now / unit * unit); INCRBY hits then EXPIRE unit seconds,
//   even when the counter is already over its limit;
// - a descriptor is OVER_LIMIT when its count after the increase exceeds requests_per_unit,
//   else OK with limit_remaining = requests_per_unit - count; duration_until_reset is what is
//   left of the window; a descriptor without a limit is OK with no current_limit; an
//   unlimited one is OK with limit_remaining 2^32-1 and is not counted;
// - shadow_mode answers OK where it would refuse; overall OVER_LIMIT when any descriptor is.
// The increases of one request run in one Lua script, so they are atomic.
import type { Redis } from "ioredis";
import { UNIT_ENUM, UNIT_SECONDS, type EnvoyRateLimit, type EnvoyRateLimitConfig } from "./envoy-config.ts";

export interface DescriptorIn {
  entries: ReadonlyArray<{ key: string; value: string }>;
  /** The descriptor's own hits_addend (UInt64Value), when set. */
  hitsAddend?: bigint;
  /** A limit override sent with the descriptor (RateLimitOverride). */
  limit?: { requestsPerUnit: number; unit: number };
}

export interface DescriptorStatusOut {
  code: "OK" | "OVER_LIMIT";
  currentLimit?: { requestsPerUnit: number; unit: number; name: string };
  limitRemaining: number;
  durationUntilResetSeconds?: number;
}

export interface EnvoyAnswer {
  overall: "OK" | "OVER_LIMIT";
  statuses: DescriptorStatusOut[];
}

/** An error the engine answers as a gRPC error (serviceError/RedisError: status UNKNOWN with the text). */
export class EngineError extends Error {}

const INCREASE = `
local res = {}
for i = 1, #KEYS do
  res[i] = redis.call('INCRBY', KEYS[i], ARGV[2 * i - 1])
  redis.call('EXPIRE', KEYS[i], ARGV[2 * i])
end
return res`;

const UNIT_BY_ENUM = new Map(Object.entries(UNIT_ENUM).map(([name, n]) => [n, name]));

export class EnvoyRateLimitEngine {
  constructor(
    private readonly redis: Redis,
    private readonly config: EnvoyRateLimitConfig,
    private readonly keyPrefix: string,
    private readonly nowMs: () => number,
  ) {}

  /** ShouldRateLimit. Throws EngineError for an empty domain or descriptor list, or when Redis fails. */
  async shouldRateLimit(domain: string, requestHits: number, descriptors: readonly DescriptorIn[]): Promise<EnvoyAnswer> {
    if (domain === "") throw new EngineError("rate limit domain must not be empty");
    if (descriptors.length === 0) throw new EngineError("rate limit descriptor list must not be empty");
    const now = Math.floor(this.nowMs() / 1000);
    const limits: Array<EnvoyRateLimit | null> = descriptors.map((d) => {
      if (d.limit) {
        const unit = UNIT_BY_ENUM.get(d.limit.unit);
        if (!unit) return null;
        return { requestsPerUnit: d.limit.requestsPerUnit, unit, unlimited: false, shadowMode: false, name: "", fullKey: "" };
      }
      return this.config.getLimit(domain, d.entries);
    });
    const hits = descriptors.map((d) => (d.hitsAddend !== undefined ? Number(d.hitsAddend) : Math.max(1, requestHits)));
    const keys: string[] = [];
    const args: Array<string | number> = [];
    const slot: number[] = [];
    descriptors.forEach((d, i) => {
      const l = limits[i];
      if (!l || l.unlimited) return;
      const unit = UNIT_SECONDS[l.unit];
      const parts = d.entries.map((e) => `${e.key}_${e.value}_`).join("");
      slot[i] = keys.length;
      keys.push(`${this.keyPrefix}${domain}_${parts}${Math.floor(now / unit) * unit}`);
      args.push(hits[i], unit);
    });
    let counts: number[] = [];
    if (keys.length) {
      try {
        counts = (await this.redis.eval(INCREASE, keys.length, ...keys, ...args)) as number[];
      } catch (e) {
        throw new EngineError(`redis error: ${(e as Error).message}`);
      }
    }
    let overall: EnvoyAnswer["overall"] = "OK";
    const statuses = descriptors.map((_d, i): DescriptorStatusOut => {
      const l = limits[i];
      if (!l) return { code: "OK", limitRemaining: 0 };
      if (l.unlimited) return { code: "OK", limitRemaining: 0xffffffff };
      const unit = UNIT_SECONDS[l.unit];
      const after = Number(counts[slot[i]]);
      const currentLimit = { requestsPerUnit: l.requestsPerUnit, unit: UNIT_ENUM[l.unit], name: l.name };
      const reset = unit - (now % unit);
      if (after > l.requestsPerUnit) {
        if (!l.shadowMode) overall = "OVER_LIMIT";
        return { code: l.shadowMode ? "OK" : "OVER_LIMIT", currentLimit, limitRemaining: 0, durationUntilResetSeconds: reset };
      }
      return { code: "OK", currentLimit, limitRemaining: l.requestsPerUnit - after, durationUntilResetSeconds: reset };
    });
    return { overall, statuses };
  }
}
