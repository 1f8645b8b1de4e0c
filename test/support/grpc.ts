// Real gRPC servers on loopback for tests: @grpc/grpc-js with raw-bytes codecs (a handler
// sees the exact bytes the filter sent and answers bytes), and a free port to point a
// cluster at when nothing must listen.
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, type UntypedServiceImplementation, type ServiceDefinition } from "@grpc/grpc-js";

const identity = (b: Buffer): Buffer => b;

/** A unary handler on raw bytes. */
export type RawUnaryHandler = (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => void;

/** A grpc-js service definition for `service` whose methods take and return raw bytes. */
export function rawService(service: string, methods: readonly string[]): ServiceDefinition {
  const def: Record<string, ServiceDefinition[string]> = {};
  for (const m of methods) {
    def[m] = {
      path: `/${service}/${m}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
      originalName: m,
    };
  }
  return def;
}

export interface RunningGrpcServer {
  readonly server: Server;
  readonly port: number;
  /** `127.0.0.1:port`. */
  readonly address: string;
  /** Stops at once, cancelling calls in flight. */
  stop(): Promise<void>;
}

/** Starts a grpc-js server on 127.0.0.1 (port 0: a free one) with raw-bytes services. */
export async function startRawGrpcServer(services: Record<string, Record<string, RawUnaryHandler>>, port = 0): Promise<RunningGrpcServer> {
  const server = new Server();
  for (const [service, handlers] of Object.entries(services)) {
    server.addService(rawService(service, Object.keys(handlers)), handlers as UntypedServiceImplementation);
  }
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    server,
    port: bound,
    address: `127.0.0.1:${bound}`,
    stop: () => new Promise<void>((resolve) => {
      server.forceShutdown();
      resolve();
    }),
  };
}

/** A loopback port that nothing listens on (taken, then released). */
export async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
