// host-test: a Proxy-Wasm host in TypeScript that runs a module the way Envoy does.
// The API for tests, benchmarks and the control plane; everything not exported here is
// internal (host-test's own unit tests reach some of it through internal.ts). See README.md.

// The host: options, verbs (newStream, exchange, clock, onHttpCall, probe, ...) and getters.
export { Host, type HostOptions, type WorkerInfo } from "./host.ts";
export type { StatsTag } from "./metrics.ts";
export { WasmLoadError } from "./loader.ts";
export type { ExchangeOptions, ExchangeResponse, ExchangeResult } from "./exchange.ts";

// The records tests read and the handlers they install.
export type {
  Action, HttpStream, Message, LocalResponse, HeaderInput, BodyInput, LogEntry, LogLevelName, TrapRecord, CallRecord,
  AbiVersion, HttpCallRecord, HttpCallOutcome, HttpCallHandler, GrpcCallRecord, GrpcCallOutcome, GrpcCallHandler,
  GrpcStreamRecord, GrpcStreamHandler, GuestProbe, ProbeHandler, StreamSink,
} from "./types.ts";

// Helpers: typed attribute values, the pairs layout and the ABI's enumerations (for probes).
export { Attr, type AttrValue, type AttrInput, decodeInt64 } from "./properties.ts";
export { pairsBlob, parsePairsBlob } from "./pairs.ts";
export { WasmResult, HeaderMapType, BufferType, StreamType } from "./abi.ts";
// HTTP/1.1 messages to and from header pairs (real clusters use them; so does `tokenlimit serve`).
export { CONNECTION_HEADERS, outgoingHeaders, responsePairs, trailerPairs, type Pairs } from "./http1.ts";
