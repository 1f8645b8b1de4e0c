// Asks the filter itself whether it accepts a plugin configuration: loads the module
// the way Envoy does (ABI 0.2.1), creates a root context and calls proxy_on_configure.
// Only the hostcalls a filter may make while configuring are served; it needs nothing
// else, and it knows the extension fields (identity, usage, ...) that this CLI passes
// through unchecked.

const enum Result { Ok = 0, NotFound = 1, BadArgument = 2, Unimplemented = 12 }
const PLUGIN_CONFIGURATION = 7;
const VM_CONFIGURATION = 6;
const LEVELS = ["trace", "debug", "info", "warn", "error", "critical"];
const WARN = 3;

/** What the filter said about a configuration. */
export interface FilterVerdict {
  accepted: boolean;
  /** Its log lines at warn and above, as `level: message`. */
  logs: string[];
  /** Set when the module could not be loaded or trapped; `accepted` is then false. */
  failure?: string;
}

/**
 * Runs the filter's `proxy_on_configure` with `configuration` as the plugin
 * configuration. Never throws: a module that fails to load or traps gives a verdict
 * with `failure` set. Each call instantiates a fresh VM.
 */
export async function checkWithFilter(wasm: Uint8Array, configuration: string): Promise<FilterVerdict> {
  const logs: string[] = [];
  const buffers = new Map<number, Uint8Array>([
    [PLUGIN_CONFIGURATION, new TextEncoder().encode(configuration)],
    [VM_CONFIGURATION, new Uint8Array(0)],
  ]);
  let exports: WebAssembly.Exports = {};
  const memory = () => new DataView((exports.memory as WebAssembly.Memory).buffer);
  const text = (ptr: number, size: number) =>
    new TextDecoder().decode(new Uint8Array((exports.memory as WebAssembly.Memory).buffer, ptr, size));
  // Host-to-guest copies go through the module's own allocator, as in Envoy.
  const give = (bytes: Uint8Array, ptrPtr: number, sizePtr: number): number => {
    const ptr = bytes.length === 0 ? 0 : Number((exports.malloc as (n: number) => number)(bytes.length));
    if (bytes.length > 0) new Uint8Array((exports.memory as WebAssembly.Memory).buffer, ptr, bytes.length).set(bytes);
    memory().setUint32(ptrPtr, ptr, true);
    memory().setUint32(sizePtr, bytes.length, true);
    return Result.Ok;
  };
  let metricId = 0;
  const served: Record<string, (...args: number[]) => number> = {
    proxy_log: (level, ptr, size) => {
      if (level >= WARN) logs.push(`${LEVELS[level] ?? level}: ${text(ptr, size)}`);
      return Result.Ok;
    },
    proxy_get_log_level: (ptr) => (memory().setUint32(ptr, 0, true), Result.Ok),
    proxy_get_buffer_bytes: (type, start, length, ptrPtr, sizePtr) => {
      const buffer = buffers.get(type);
      if (buffer === undefined) return Result.NotFound;
      return give(buffer.subarray(start, start + length), ptrPtr, sizePtr);
    },
    proxy_get_buffer_status: (type, lengthPtr, flagsPtr) => {
      const buffer = buffers.get(type);
      if (buffer === undefined) return Result.NotFound;
      memory().setUint32(lengthPtr, buffer.length, true);
      memory().setUint32(flagsPtr, 0, true);
      return Result.Ok;
    },
    proxy_get_current_time_nanoseconds: (ptr) => (memory().setBigUint64(ptr, BigInt(Date.now()) * 1_000_000n, true), Result.Ok),
    proxy_set_tick_period_milliseconds: () => Result.Ok,
    proxy_define_metric: (_type, _ptr, _size, idPtr) => (memory().setUint32(idPtr, ++metricId, true), Result.Ok),
    proxy_increment_metric: () => Result.Ok,
    proxy_record_metric: () => Result.Ok,
    proxy_get_property: () => Result.NotFound,
    proxy_get_shared_data: () => Result.NotFound,
    proxy_set_shared_data: () => Result.Ok,
    proxy_register_shared_queue: (_ptr, _size, tokenPtr) => (memory().setUint32(tokenPtr, 1, true), Result.Ok),
  };

  try {
    const module = await WebAssembly.compile(wasm as BufferSource);
    if (!WebAssembly.Module.exports(module).some((e) => e.name === "proxy_abi_version_0_2_1")) {
      return { accepted: false, logs, failure: "not a Proxy-Wasm ABI 0.2.1 module (no proxy_abi_version_0_2_1 export)" };
    }
    const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
    for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
      if (kind !== "function") continue;
      // proc_exit is how an AssemblyScript abort ends: a trap, as far as Envoy is concerned.
      const fn = from === "env" ? served[name] ?? (() => Result.Unimplemented)
        : () => { throw new Error(name === "proc_exit" ? "the filter aborted" : `the filter called ${from}.${name}`); };
      (imports[from] ??= {})[name] = fn;
    }
    exports = (await WebAssembly.instantiate(module, imports)).exports;
    const call = (name: string, ...args: number[]) => (exports[name] as ((...a: number[]) => number) | undefined)?.(...args);
    call(exports._initialize !== undefined ? "_initialize" : "_start");
    call("proxy_on_context_create", 1, 0);
    if (call("proxy_on_vm_start", 1, 0) === 0) return { accepted: false, logs, failure: "proxy_on_vm_start returned false" };
    const size = buffers.get(PLUGIN_CONFIGURATION)!.length;
    return { accepted: call("proxy_on_configure", 1, size) === 1, logs };
  } catch (e) {
    return { accepted: false, logs, failure: (e as Error).message };
  }
}
