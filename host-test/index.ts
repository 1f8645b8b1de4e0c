// host-test: a Proxy-Wasm host in TypeScript that runs a module the way Envoy does.
// Entry point for tests, benchmarks and the local dev gateway. See README.md.
export { Host, type HostOptions, type WorkerInfo } from "./host.ts";
export type { ExchangeOptions, ExchangeResponse, ExchangeResult } from "./exchange.ts";
export { WasmLoadError } from "./loader.ts";
export { HttpStream, type Action, type Message, type LocalResponse } from "./stream.ts";
export type { HttpCallRecord, HttpCallOutcome, HttpCallHandler } from "./calls.ts";
export type { GrpcCallRecord, GrpcCallOutcome, GrpcCallHandler, GrpcStreamRecord, GrpcStreamHandler } from "./grpc.ts";
export type { LogEntry, TrapRecord, CallRecord } from "./core.ts";
export { Attr, AttrValue, decodeInt64, serializeAttr, type AttrInput } from "./properties.ts";
export { pairsBlob, parsePairsBlob, encodePairs, decodePairs, type HeaderInput, type BodyInput } from "./pairs.ts";
export { WasmResult, HeaderMapType, BufferType, StreamType, MetricType, LogLevels, type LogLevelName, type AbiVersion } from "./abi.ts";
export { readModuleShape, formatFuncType, type ModuleShape, type FuncType } from "./binary.ts";
export { providedImports, WASI_FUNCTIONS, START_ALLOWED, MALLOC_ALLOWED } from "./abi.ts";
export type { GuestProbe, ProbeHandler } from "./probe.ts";
