// host-test's internals, for host-test's own unit tests (test/host/) only: the pairs codec,
// the module reader, Envoy's import table, the real clusters' status mapping and address
// parser, and a Host's worker VMs and loaded module. Not
// an API: it changes with the implementation. Everything else uses index.ts.
export { hostInternals, type HostInternals } from "./host.ts";
export type { WasmVm } from "./vm.ts";
export type { LoadedModule } from "./loader.ts";
export { encodePairs, decodePairs } from "./pairs.ts";
export { readModuleShape, formatFuncType, type ModuleShape, type FuncType } from "./binary.ts";
export { providedImports, WASI_FUNCTIONS, START_ALLOWED, MALLOC_ALLOWED } from "./abi.ts";
export { envoyGrpcStatus, parseAddress } from "./remote.ts";
