// Loading a module the way Envoy does (cpp-host WasmBase::load, V8::link, getFunctions):
// find the ABI marker, compile, check every import against what the host registers for
// that ABI version (exact wasm types), check the signature of every export the host looks
// up, and require `malloc` (or `proxy_on_memory_allocate`). Each refusal carries the
// message Envoy logs, so tests can assert on it.
import { readFile } from "node:fs/promises";
import { readModuleShape, formatFuncType, sameFuncType, WasmBinaryError, type ModuleShape, type ImportEntry } from "./binary.ts";
import { ABI_MARKERS, MODULE_FUNCTIONS, providedImports } from "./abi.ts";
import type { AbiVersion } from "./types.ts";

/** Why a module was refused; `message` is the text Envoy would log. */
export class WasmLoadError extends Error {
  constructor(message: string, readonly reason: "abi" | "corrupted" | "compile" | "import" | "export" | "missing-malloc" | "memory") {
    super(message);
    this.name = "WasmLoadError";
  }
}

/** A module that passed every check, ready to be instantiated any number of times. */
export interface LoadedModule {
  abi: AbiVersion;
  module: WebAssembly.Module;
  shape: ModuleShape;
  /** The memory import (module, name, limits) if the module imports its memory. */
  memoryImport?: ImportEntry;
  /** Names of exported functions the host will call (signatures already checked). */
  functions: Set<string>;
  /** The allocation export the host uses: "malloc" or "proxy_on_memory_allocate". */
  allocator: string;
}

/** Reads `wasm` (a path or the bytes). */
export async function readWasm(wasm: string | Uint8Array): Promise<Uint8Array> {
  if (typeof wasm === "string") return new Uint8Array(await readFile(wasm));
  return wasm;
}

/** Finds the ABI marker the way BytecodeUtil::getAbiVersion does: the first function export that names one. */
function abiVersionOf(shape: ModuleShape): AbiVersion | undefined {
  for (const e of shape.exports) {
    if (e.kind === "function" && e.name in ABI_MARKERS) return ABI_MARKERS[e.name];
  }
  return undefined;
}

/**
 * Validates and compiles a module. Throws WasmLoadError with Envoy's message on refusal.
 * ABI 0.1.0 modules are refused even though Envoy still runs them: this project targets 0.2.x.
 */
export function loadModule(bytes: Uint8Array): LoadedModule {
  let shape: ModuleShape;
  try {
    shape = readModuleShape(bytes);
  } catch (e) {
    if (e instanceof WasmBinaryError) throw new WasmLoadError(`Failed to parse corrupted Wasm module: ${e.message}`, "corrupted");
    throw e;
  }
  const abi = abiVersionOf(shape);
  if (abi === undefined) throw new WasmLoadError("Missing or unknown Proxy-Wasm ABI version", "abi");
  if (abi === "0.1.0") {
    throw new WasmLoadError("Proxy-Wasm ABI 0.1.0 is not supported by this host (export proxy_abi_version_0_2_1)", "abi");
  }

  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new WasmLoadError(`Failed to load Wasm bytecode: ${(e as Error).message}`, "compile");
  }

  // V8::link: imports in order; the first one the host does not provide refuses the module.
  const provided = providedImports(abi);
  let memoryImport: ImportEntry | undefined;
  for (const imp of shape.imports) {
    const key = `${imp.module}.${imp.name}`;
    if (imp.kind === "function") {
      const want = provided.get(key);
      if (!want) {
        // The 0.1.0-only hostcalls (ABI_0_1_0_ONLY) land here too: Envoy does not register them for 0.2.x.
        throw new WasmLoadError(`Failed to load Wasm module due to a missing import: ${key}`, "import");
      }
      if (!sameFuncType(imp.type!, want)) {
        throw new WasmLoadError(
          `Failed to load Wasm module due to an import type mismatch: ${key}, want: ${formatFuncType(imp.type!)}, but host exports: ${formatFuncType(want)}`,
          "import",
        );
      }
    } else if (imp.kind === "global") {
      throw new WasmLoadError(`Failed to load Wasm module due to a missing import: ${key}`, "import");
    } else if (imp.kind === "memory") {
      memoryImport = imp;
    }
  }
  const exportsMemory = shape.exports.some((e) => e.kind === "memory");
  if (!exportsMemory && !memoryImport) throw new WasmLoadError("Wasm module has no memory", "memory");

  // WasmBase::getFunctions: every function the host looks up must have its exact signature.
  const functions = new Set<string>();
  const byName = new Map(shape.exports.filter((e) => e.kind === "function").map((e) => [e.name, e]));
  const lookup = (name: string): boolean => {
    const e = byName.get(name);
    if (!e) return false;
    const want = MODULE_FUNCTIONS[name];
    if (!sameFuncType(e.type!, want)) {
      throw new WasmLoadError(
        `Bad function signature for: ${name}, want: ${formatFuncType(want)}, but the module exports: ${formatFuncType(e.type!)}`,
        "export",
      );
    }
    functions.add(name);
    return true;
  };
  if (lookup("_initialize")) {
    lookup("main");
    lookup("__main_void");
  } else {
    lookup("_start");
  }
  let allocator = "malloc";
  if (!lookup("malloc")) {
    allocator = "proxy_on_memory_allocate";
    if (!lookup("proxy_on_memory_allocate")) throw new WasmLoadError("Wasm module is missing malloc function.", "missing-malloc");
  }
  for (const name of Object.keys(MODULE_FUNCTIONS)) {
    if (name === "proxy_on_memory_allocate") continue; // only looked up when malloc is missing
    if (name.startsWith("proxy_on_") || name.startsWith("envoy_on_") || name === "proxy_validate_configuration") lookup(name);
  }
  return { abi, module, shape, memoryImport, functions, allocator };
}
