// Loads build/testing/cel.wasm for the Node tests and benchmark.
//
// The module is instantiated here rather than through the generated ESM bindings so
// that (1) a trap can be caught and the instance replaced (fuzzing), and (2) whatever
// host imports the build links in are satisfied with inert stubs; an `abort` or
// `proc_exit` call is turned into a thrown CelTrap. Strings cross the boundary the
// way the generated bindings do it (UTF-16 in managed memory via __new/__pin).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const WASM_PATH = fileURLToPath(new URL("../../build/testing/cel.wasm", import.meta.url));

/** Thrown when the module aborts (an AssemblyScript abort or proc_exit). */
export class CelTrap extends Error {}

/** True for errors that mean the Wasm trapped. */
export function isTrap(e: unknown): boolean {
  return e instanceof CelTrap || e instanceof WebAssembly.RuntimeError;
}

type Exports = Record<string, unknown> & {
  memory: WebAssembly.Memory;
  __new(size: number, id: number): number;
  __pin(ptr: number): number;
  __unpin(ptr: number): void;
  __collect(): void;
};

const STRING_ID = 2; // AssemblyScript's class id of ~lib/string/String

export class CelModule {
  private readonly module: WebAssembly.Module;
  private ex!: Exports;

  constructor(path = WASM_PATH) {
    this.module = new WebAssembly.Module(readFileSync(path));
    this.reset();
  }

  /** Replaces the instance (after a trap its state cannot be trusted). */
  reset(): void {
    const imports: WebAssembly.Imports = {};
    for (const imp of WebAssembly.Module.imports(this.module)) {
      const ns = (imports[imp.module] ??= {}) as Record<string, WebAssembly.ImportValue>;
      if (imp.kind !== "function") continue;
      if (imp.name === "abort") {
        ns[imp.name] = (msg: number, file: number, line: number, col: number) => {
          throw new CelTrap(`abort: ${this.liftString(msg)} at ${this.liftString(file)}:${line}:${col}`);
        };
      } else if (imp.name === "proc_exit") {
        ns[imp.name] = (code: number) => { throw new CelTrap(`proc_exit(${code})`); };
      } else if (imp.name === "seed") {
        ns[imp.name] = () => 42;
      } else {
        ns[imp.name] = () => 0;
      }
    }
    const inst = new WebAssembly.Instance(this.module, imports);
    this.ex = inst.exports as unknown as Exports;
    const start = this.ex["_initialize"] ?? this.ex["_start"];
    if (typeof start === "function") (start as () => void)();
  }

  private liftString(ptr: number): string {
    if (!ptr) return "";
    const mem = this.ex.memory.buffer;
    const len = new Uint32Array(mem, ptr - 4, 1)[0] >>> 1;
    const units = new Uint16Array(mem, ptr, len);
    let s = "";
    for (let i = 0; i < len; i += 8192) s += String.fromCharCode(...units.subarray(i, Math.min(len, i + 8192)));
    return s;
  }

  private lowerString(s: string): number {
    const ptr = this.ex.__new(s.length << 1, STRING_ID) >>> 0;
    const units = new Uint16Array(this.ex.memory.buffer, ptr, s.length);
    for (let i = 0; i < s.length; i++) units[i] = s.charCodeAt(i);
    return ptr;
  }

  // Calls export `name` with string arguments (and trailing non-string ones).
  private call(name: string, strings: string[], rest: number[] = []): number {
    const f = this.ex[name] as (...a: number[]) => number;
    const ptrs: number[] = [];
    try {
      for (const s of strings) ptrs.push(this.ex.__pin(this.lowerString(s)));
      return f(...ptrs, ...rest);
    } finally {
      for (const p of ptrs) this.ex.__unpin(p);
    }
  }

  /** "C<pos>:<msg>" (compile error), "B" (bad bindings) or "V<wire value>". */
  eval(expr: string, bindings = ""): string {
    return this.liftString(this.call("celEval", [expr, bindings]) >>> 0);
  }

  /** Full compile (parse + plan): "" or "<pos>:<msg>". */
  compile(expr: string): string {
    return this.liftString(this.call("celCompile", [expr]) >>> 0);
  }

  /** Parse only: "" or "<pos>:<msg>". */
  parse(expr: string): string {
    return this.liftString(this.call("celParse", [expr]) >>> 0);
  }

  /** valueToString of the result. */
  text(expr: string, bindings = ""): string {
    return this.liftString(this.call("celText", [expr, bindings]) >>> 0);
  }

  benchSetup(exprs: string[], path: string, groups: string, userid: string, known: boolean): string {
    return this.liftString(this.call("benchSetup", [exprs.join("\n"), path, groups, userid], [known ? 1 : 0]) >>> 0);
  }

  benchRun(n: number): number {
    return (this.ex["benchRun"] as (n: number) => number)(n);
  }

  benchRunSome(n: number, which: number, build: boolean): number {
    return (this.ex["benchRunSome"] as (n: number, w: number, b: number) => number)(n, which, build ? 1 : 0);
  }

  collect(): void { this.ex.__collect(); }
}
