// Helpers of the global counters' integration tests: a host whose filter counts in a
// rate-limit service, and in-process answers built and read with the real protobuf code
// generated from the vendored .proto files (so the filter's hand-written encoding is
// checked by a real decoder).
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import type { Host, GrpcCallRecord } from "../../host-test/index.ts";
import {
  RateLimitRequestSchema, RateLimitResponseSchema, RateLimitResponse_Code, RateLimitResponse_DescriptorStatusSchema,
  RateLimitResponse_RateLimitSchema, RateLimitResponse_RateLimit_Unit, type RateLimitRequest,
} from "../../proto/gen/envoy/service/ratelimit/v3/rls_pb.ts";
import { EXAMPLE_POLICY } from "../../fixtures/llm.ts";
import { filterHost } from "../filter/helpers.ts";

export const ENVOY_RLS = "envoy.service.ratelimit.v3.RateLimitService";
export const KUADRANT_RLS = "kuadrant.service.ratelimit.v1.RateLimitService";
export const CLUSTER = "outbound|8081||limitador.kuadrant-system.svc.cluster.local";
export { RateLimitResponse_Code as Code };

/** The example policy (free 20k/day, gold 200k/day, per user) counting in `backend`. */
export function servicePolicy(backend: "limitador" | "envoy-rls", service: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...EXAMPLE_POLICY, ...extra, counters: { backend, service: { cluster: CLUSTER, ...service } } };
}

/** A filter host with the service's cluster known and `policy` configured. */
export function serviceHost(policy: Record<string, unknown>, opts: { workers?: number } = {}): Promise<Host> {
  return filterHost({ pluginConfig: policy, clusters: [CLUSTER], keepRecords: true, ...opts });
}

/** A request the filter sent, decoded by the real decoder: domain, entries per descriptor, hits_addend. */
export interface SentRequest {
  domain: string;
  descriptors: Array<Array<[string, string]>>;
  hitsAddend: number;
}

export function decodeRequest(bytes: Uint8Array): SentRequest {
  const r: RateLimitRequest = fromBinary(RateLimitRequestSchema, bytes);
  return {
    domain: r.domain,
    descriptors: r.descriptors.map((d) => d.entries.map((e) => [e.key, e.value] as [string, string])),
    hitsAddend: r.hitsAddend,
  };
}

/** The calls made to `service`/`method`, decoded. */
export function sent(host: Host, method: string, service = method === "ShouldRateLimit" ? ENVOY_RLS : KUADRANT_RLS): SentRequest[] {
  return host.grpcCalls.filter((c: GrpcCallRecord) => c.serviceName === service && c.method === method).map((c) => decodeRequest(c.message));
}

export interface StatusSpec {
  code: RateLimitResponse_Code;
  remaining?: number;
  /** requests_per_unit of the current limit; omit for none (a descriptor no rule matches). */
  limit?: number;
  resetSeconds?: number;
}

/** A serialized RateLimitResponse. */
export function answer(overall: RateLimitResponse_Code, statuses: StatusSpec[] = []): Uint8Array {
  return toBinary(RateLimitResponseSchema, create(RateLimitResponseSchema, {
    overallCode: overall,
    statuses: statuses.map((s) => create(RateLimitResponse_DescriptorStatusSchema, {
      code: s.code,
      limitRemaining: s.remaining ?? 0,
      currentLimit: s.limit === undefined ? undefined : create(RateLimitResponse_RateLimitSchema, { requestsPerUnit: s.limit, unit: RateLimitResponse_RateLimit_Unit.DAY }),
      durationUntilReset: s.resetSeconds === undefined ? undefined : create(DurationSchema, { seconds: BigInt(s.resetSeconds) }),
    })),
  }));
}
