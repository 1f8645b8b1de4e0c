// A grpc-js client for the rate-limit protocols, messages through the generated code: what
// tests use to ask a rate-limit service (the test service here) what a proxy would.
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import {
  RateLimitService as EnvoyRateLimitService, RateLimitRequestSchema, RateLimitResponseSchema, type RateLimitResponse,
} from "../../../proto/gen/envoy/service/ratelimit/v3/rls_pb.ts";
import { RateLimitService as KuadrantRateLimitService } from "../../../proto/gen/kuadrant/service/ratelimit/v1/kuadrantrls_pb.ts";

export type RequestInit = MessageInitShape<typeof RateLimitRequestSchema>;

export class RateLimitClient {
  private readonly client: Client;

  constructor(address: string) {
    this.client = new Client(address, credentials.createInsecure());
  }

  private call(path: string, init: RequestInit): Promise<RateLimitResponse> {
    const bytes = Buffer.from(toBinary(RateLimitRequestSchema, create(RateLimitRequestSchema, init)));
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest<Buffer, Buffer>(path, (b) => b, (b) => b, bytes, new Metadata(), { deadline: Date.now() + 10_000 }, (err, value) => {
        if (err) reject(err);
        else resolve(fromBinary(RateLimitResponseSchema, value!));
      });
    });
  }

  /** envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit. */
  shouldRateLimit(init: RequestInit): Promise<RateLimitResponse> {
    return this.call(`/${EnvoyRateLimitService.typeName}/ShouldRateLimit`, init);
  }

  /** kuadrant.service.ratelimit.v1.RateLimitService/CheckRateLimit. */
  checkRateLimit(init: RequestInit): Promise<RateLimitResponse> {
    return this.call(`/${KuadrantRateLimitService.typeName}/CheckRateLimit`, init);
  }

  /** kuadrant.service.ratelimit.v1.RateLimitService/Report. */
  report(init: RequestInit): Promise<RateLimitResponse> {
    return this.call(`/${KuadrantRateLimitService.typeName}/Report`, init);
  }

  close(): void {
    this.client.close();
  }
}

/** The gRPC error a call was rejected with ({code, details}), or null when it succeeded. */
export async function grpcError(p: Promise<unknown>): Promise<{ code: number; details: string } | null> {
  try {
    await p;
    return null;
  } catch (e) {
    const err = e as ServiceError;
    return { code: err.code, details: err.details };
  }
}
