// A small reader for the parts of a WebAssembly binary the loader needs: the type,
// import, function and export sections. The JS API (`WebAssembly.Module.imports`) gives
// names and kinds but not function signatures, and Envoy refuses a module whose imports
// or exports have the wrong wasm types, so the loader reads them here.

/** A wasm value type, as text: "i32", "i64", "f32", "f64", "v128", "funcref", "externref". */
export type ValType = string;

/** A function signature. */
export interface FuncType {
  params: ValType[];
  results: ValType[];
}

/** Resizable limits of a memory or table. */
export interface Limits {
  min: number;
  max?: number;
  shared?: boolean;
}

/** One import of the module. `type` is set for functions, `limits` for memories. */
export interface ImportEntry {
  module: string;
  name: string;
  kind: "function" | "table" | "memory" | "global";
  type?: FuncType;
  limits?: Limits;
}

/** One export of the module. `type` is set for functions. */
export interface ExportEntry {
  name: string;
  kind: "function" | "table" | "memory" | "global";
  index: number;
  type?: FuncType;
}

/** What the loader needs to know about a module. */
export interface ModuleShape {
  imports: ImportEntry[];
  exports: ExportEntry[];
}

/** Thrown for a binary that cannot be parsed ("corrupted" in Envoy's words). */
export class WasmBinaryError extends Error {}

const VALTYPES: Record<number, ValType> = {
  0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref",
};
const KINDS = ["function", "table", "memory", "global"] as const;

/** Formats a signature as cpp-host prints it in refusal messages, e.g. "i32 i64 -> i32", "i32 -> void". */
export function formatFuncType(t: FuncType): string {
  const side = (v: ValType[]) => (v.length ? v.join(" ") : "void");
  return `${side(t.params)} -> ${side(t.results)}`;
}

/** True when two signatures have exactly the same params and results. */
export function sameFuncType(a: FuncType, b: FuncType): boolean {
  return a.params.length === b.params.length && a.results.length === b.results.length &&
    a.params.every((p, i) => p === b.params[i]) && a.results.every((r, i) => r === b.results[i]);
}

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array, readonly end: number = bytes.length) {}

  byte(): number {
    if (this.pos >= this.end) throw new WasmBinaryError("unexpected end of section");
    return this.bytes[this.pos++];
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 28) throw new WasmBinaryError("LEB128 too long");
    }
    if (result > 0xffffffff) throw new WasmBinaryError("LEB128 out of range");
    return result;
  }

  name(): string {
    const len = this.u32();
    if (this.pos + len > this.end) throw new WasmBinaryError("name runs past the section");
    const s = new TextDecoder("utf-8", { fatal: true }).decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }

  valtype(): ValType {
    const b = this.byte();
    const t = VALTYPES[b];
    if (!t) throw new WasmBinaryError(`unknown value type 0x${b.toString(16)}`);
    return t;
  }

  limits(): Limits {
    const flags = this.byte();
    const min = this.u32();
    const out: Limits = { min };
    if (flags & 1) out.max = this.u32();
    if (flags & 2) out.shared = true;
    return out;
  }
}

/** Parses the module shape; throws WasmBinaryError on a malformed binary. */
export function readModuleShape(bytes: Uint8Array): ModuleShape {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new WasmBinaryError("not a WebAssembly binary (bad magic)");
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw new WasmBinaryError("unsupported WebAssembly binary version");
  }
  const types: FuncType[] = [];
  const imports: ImportEntry[] = [];
  const funcTypeIndices: number[] = []; // index space: imported functions first
  const rawExports: { name: string; kind: number; index: number }[] = [];

  const top = new Reader(bytes);
  top.pos = 8;
  while (top.pos < bytes.length) {
    const id = top.byte();
    const size = top.u32();
    const start = top.pos;
    if (start + size > bytes.length) throw new WasmBinaryError(`section ${id} runs past the end`);
    const r = new Reader(bytes, start + size);
    r.pos = start;
    if (id === 1) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const form = r.byte();
        if (form !== 0x60) throw new WasmBinaryError(`unsupported type form 0x${form.toString(16)}`);
        const params: ValType[] = [];
        const np = r.u32();
        for (let j = 0; j < np; j++) params.push(r.valtype());
        const results: ValType[] = [];
        const nr = r.u32();
        for (let j = 0; j < nr; j++) results.push(r.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const module = r.name();
        const name = r.name();
        const kind = r.byte();
        if (kind === 0) {
          const ti = r.u32();
          if (ti >= types.length) throw new WasmBinaryError(`import ${module}.${name} uses unknown type ${ti}`);
          imports.push({ module, name, kind: "function", type: types[ti] });
          funcTypeIndices.push(ti);
        } else if (kind === 1) {
          r.byte();
          imports.push({ module, name, kind: "table", limits: r.limits() });
        } else if (kind === 2) {
          imports.push({ module, name, kind: "memory", limits: r.limits() });
        } else if (kind === 3) {
          r.valtype();
          r.byte();
          imports.push({ module, name, kind: "global" });
        } else {
          throw new WasmBinaryError(`unknown import kind ${kind}`);
        }
      }
    } else if (id === 3) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const ti = r.u32();
        if (ti >= types.length) throw new WasmBinaryError(`function uses unknown type ${ti}`);
        funcTypeIndices.push(ti);
      }
    } else if (id === 7) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const name = r.name();
        const kind = r.byte();
        const index = r.u32();
        rawExports.push({ name, kind, index });
      }
    }
    top.pos = start + size;
  }

  const exports: ExportEntry[] = rawExports.map((e) => {
    const kind = KINDS[e.kind];
    if (!kind) throw new WasmBinaryError(`unknown export kind ${e.kind}`);
    const out: ExportEntry = { name: e.name, kind, index: e.index };
    if (kind === "function") {
      const ti = funcTypeIndices[e.index];
      if (ti === undefined) throw new WasmBinaryError(`export ${e.name} names unknown function ${e.index}`);
      out.type = types[ti];
    }
    return out;
  });
  return { imports, exports };
}
