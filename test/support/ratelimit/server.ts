// The test rate-limit service: a grpc-js server speaking the vendored protocols (proto/,
// messages decoded and encoded by the generated code) with one engine's semantics, its
// counters in a real Redis. `engine: "envoy-ratelimit"` serves
// envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit as envoyproxy/ratelimit does;
// `engine: "limitador"` serves that method and kuadrant.service.ratelimit.v1.RateLimitService
// (CheckRateLimit, Report) as Limitador does. Limits come from the engines' own file formats.
// For failure tests it can answer late (`delayMs`), stop listening and start again on the
// same port; its Redis can be stopped and restarted under it.
import { create, fromBinary, toBinary, type DescMessage, type DescService, type MessageShape } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { Server, ServerCredentials, status as GrpcStatus, type ServiceDefinition, type UntypedServiceImplementation, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import { Redis } from "ioredis";
import {
  RateLimitService as EnvoyRateLimitService, RateLimitRequestSchema, RateLimitResponseSchema, RateLimitResponse_Code,
  type RateLimitRequest, type RateLimitResponse,
} from "../../../proto/gen/envoy/service/ratelimit/v3/rls_pb.ts";
import { RateLimitService as KuadrantRateLimitService } from "../../../proto/gen/kuadrant/service/ratelimit/v1/kuadrantrls_pb.ts";
import { EnvoyRateLimitConfig } from "./envoy-config.ts";
import { EngineError, EnvoyRateLimitEngine } from "./envoy-engine.ts";
import { loadLimitadorLimits } from "./limitador-limits.ts";
import { LimitadorEngine, StorageUnavailable, type LimitadorCode } from "./limitador-engine.ts";

export interface RateLimitServiceOptions {
  engine: "envoy-ratelimit" | "limitador";
  /** `redis://127.0.0.1:port`. */
  redisUrl: string;
  /** envoy-ratelimit: its config files (YAML text). */
  envoyConfig?: ReadonlyArray<{ name: string; text: string }>;
  /** limitador: its limits file (YAML text). */
  limitadorLimits?: string;
  /** Prefix of every Redis key (tests sharing a Redis keep apart). Default "". */
  keyPrefix?: string;
  /** The clock envoy-ratelimit aligns windows to, ms since the epoch. Default Date.now. */
  nowMs?: () => number;
  /** Port to listen on (0: a free one). */
  port?: number;
}

/** One RPC as the service received and answered it. */
export interface ServedCall {
  method: string;
  request: RateLimitRequest;
  /** The answer, or the gRPC error. */
  response?: RateLimitResponse;
  error?: { code: number; details: string };
}

export interface RateLimitTestService {
  readonly port: number;
  /** `127.0.0.1:port`, for a cluster's address. */
  readonly address: string;
  /** Every RPC, in the order they were answered. */
  readonly calls: ServedCall[];
  /** Requests that did not decode with the real protobuf decoder (must stay empty). */
  readonly decodeErrors: string[];
  /** Answers this much later (ms); 0 by default. */
  delayMs: number;
  /** Stops listening (calls in flight are cancelled; new connections are refused). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Stops and closes its Redis connection. */
  close(): Promise<void>;
}

/** A grpc-js service definition for a protobuf-es service: messages through the generated code. */
function definition(service: DescService, decodeErrors: string[]): ServiceDefinition {
  const def: Record<string, ServiceDefinition[string]> = {};
  for (const m of service.methods) {
    def[m.name] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (msg: MessageShape<DescMessage>) => Buffer.from(toBinary(m.input, msg)),
      requestDeserialize: (b: Buffer) => {
        try {
          return fromBinary(m.input, b);
        } catch (e) {
          decodeErrors.push(`${m.name}: ${(e as Error).message}`);
          throw e;
        }
      },
      responseSerialize: (msg: MessageShape<DescMessage>) => Buffer.from(toBinary(m.output, msg)),
      responseDeserialize: (b: Buffer) => fromBinary(m.output, b),
      originalName: m.localName,
    };
  }
  return def;
}

const CODE: Record<LimitadorCode | "OK" | "OVER_LIMIT", RateLimitResponse_Code> = {
  OK: RateLimitResponse_Code.OK,
  OVER_LIMIT: RateLimitResponse_Code.OVER_LIMIT,
  UNKNOWN: RateLimitResponse_Code.UNKNOWN,
};

function descriptorMaps(req: RateLimitRequest): Array<Map<string, string>> {
  return req.descriptors.map((d) => new Map(d.entries.map((e) => [e.key, e.value])));
}

type Handler = (req: RateLimitRequest) => Promise<RateLimitResponse>;

/** Starts the service on 127.0.0.1; rejects when its limits do not load. */
export async function startRateLimitService(o: RateLimitServiceOptions): Promise<RateLimitTestService> {
  const redis = new Redis(o.redisUrl, {
    // Fail fast while Redis is down (the engines answer with an error), reconnect quickly.
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => 50,
    lazyConnect: true,
  });
  redis.on("error", () => {}); // reported per command
  // Connected before the first call: without an offline queue, a command sent while still
  // connecting would fail as if Redis were down.
  await redis.connect();
  const prefix = o.keyPrefix ?? "";
  const calls: ServedCall[] = [];
  const decodeErrors: string[] = [];
  const handlers = new Map<string, Handler>();

  if (o.engine === "envoy-ratelimit") {
    const engine = new EnvoyRateLimitEngine(redis, EnvoyRateLimitConfig.load(o.envoyConfig ?? []), prefix, o.nowMs ?? Date.now);
    handlers.set(`${EnvoyRateLimitService.typeName}/ShouldRateLimit`, async (req) => {
      const a = await engine.shouldRateLimit(req.domain, req.hitsAddend, req.descriptors.map((d) => ({
        entries: d.entries,
        hitsAddend: d.hitsAddend,
        limit: d.limit ? { requestsPerUnit: d.limit.requestsPerUnit, unit: d.limit.unit } : undefined,
      })));
      return create(RateLimitResponseSchema, {
        overallCode: CODE[a.overall],
        statuses: a.statuses.map((s) => ({
          code: CODE[s.code],
          currentLimit: s.currentLimit,
          limitRemaining: s.limitRemaining,
          durationUntilReset: s.durationUntilResetSeconds === undefined ? undefined : create(DurationSchema, { seconds: BigInt(s.durationUntilResetSeconds) }),
        })),
      });
    });
  } else {
    const engine = new LimitadorEngine(redis, loadLimitadorLimits(o.limitadorLimits ?? "[]"), prefix);
    const answer = (code: LimitadorCode) => create(RateLimitResponseSchema, { overallCode: CODE[code] });
    handlers.set(`${KuadrantRateLimitService.typeName}/CheckRateLimit`, async (req) => answer(await engine.checkRateLimit(req.domain, descriptorMaps(req))));
    handlers.set(`${KuadrantRateLimitService.typeName}/Report`, async (req) => answer(await engine.report(req.domain, descriptorMaps(req), req.hitsAddend)));
    handlers.set(`${EnvoyRateLimitService.typeName}/ShouldRateLimit`, async (req) => answer(await engine.shouldRateLimit(req.domain, descriptorMaps(req), req.hitsAddend)));
  }

  const service: RateLimitTestService = {
    port: 0,
    address: "",
    calls,
    decodeErrors,
    delayMs: 0,
    stop: async () => {},
    start: async () => {},
    close: async () => {},
  };

  const serve = (method: string, handler: Handler) => (call: ServerUnaryCall<RateLimitRequest, RateLimitResponse>, callback: sendUnaryData<RateLimitResponse>) => {
    const record: ServedCall = { method, request: call.request };
    let cancelled = false;
    call.on("cancelled", () => { cancelled = true; });
    const run = async () => {
      if (service.delayMs > 0) await new Promise((r) => setTimeout(r, service.delayMs));
      if (cancelled) return;
      try {
        record.response = await handler(call.request);
        calls.push(record);
        callback(null, record.response);
      } catch (e) {
        // envoyproxy/ratelimit returns its error as is (gRPC UNKNOWN with the text);
        // Limitador maps storage errors to UNAVAILABLE "Service unavailable".
        const err = e instanceof StorageUnavailable ? { code: GrpcStatus.UNAVAILABLE, details: "Service unavailable" }
          : e instanceof EngineError ? { code: GrpcStatus.UNKNOWN, details: e.message }
          : { code: GrpcStatus.INTERNAL, details: (e as Error).message };
        record.error = err;
        calls.push(record);
        callback(err);
      }
    };
    void run();
  };

  const services: Array<[DescService, UntypedServiceImplementation]> = [];
  for (const svc of o.engine === "limitador" ? [EnvoyRateLimitService, KuadrantRateLimitService] : [EnvoyRateLimitService]) {
    const impl: UntypedServiceImplementation = {};
    for (const m of svc.methods) {
      const h = handlers.get(`${svc.typeName}/${m.name}`);
      if (h) impl[m.name] = serve(m.name, h);
    }
    services.push([svc, impl]);
  }

  let server: Server | null = null;
  let port = o.port ?? 0;
  const listen = async () => {
    const s = new Server();
    for (const [svc, impl] of services) s.addService(definition(svc, decodeErrors), impl);
    port = await new Promise<number>((resolve, reject) => {
      s.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
    });
    server = s;
  };
  await listen();
  Object.assign(service, {
    port,
    address: `127.0.0.1:${port}`,
    stop: async () => {
      server?.forceShutdown();
      server = null;
    },
    start: async () => {
      if (!server) await listen();
    },
    close: async () => {
      server?.forceShutdown();
      server = null;
      redis.disconnect();
    },
  });
  return service;
}
