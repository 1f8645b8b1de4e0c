// Loads build/testing/usage.wasm for the Node tests and the benchmark.
//
// Instantiated here rather than through the generated ESM bindings so that every test can
// have a fresh instance (memory measurements start from the same state) and a trap is
// reported as an error. Strings cross the boundary the way the generated bindings do it
// (UTF-16 in managed memory via __new/__pin).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const WASM_PATH = fileURLToPath(new URL("../../build/testing/usage.wasm", import.meta.url));

/** Thrown when the module aborts. */
export class UsageTrap extends Error {}

/** The Usage a response produced (as the testing entry reports it). */
export interface UsageResult {
  status: "ok" | "empty" | "incomplete" | "invalid" | "gave-up";
  input: number;
  output: number;
  total: number;
  cached: number;
  reasoning: number;
  cacheWrite: number;
  found: string[];
  totalComputed: boolean;
  hasUsage: boolean;
  textBytes: number;
  bodyBytes: number;
  streaming: boolean;
  events: number;
  invalidEvents: number;
  sawDone: boolean;
  errorOffset: number;
  error: string;
}

export interface RequestResult {
  valid: boolean;
  error: string;
  errorOffset: number;
  stream: boolean;
  includeUsage: number;
  maxTokens: number;
  maxCompletionTokens: number;
  maxOutputTokens: number;
  geminiMaxOutputTokens: number;
  maxOutput: number;
  modelLength: number;
}

export interface ScanOptions {
  /** Preset name, "auto" (by path) or "custom"/a preset name with `specs`. */
  preset?: string;
  /** "field=path" lines (custom provider or overrides). */
  specs?: string[];
  path?: string;
  contentType?: string;
  /** Feed sizes: one size for every chunk, or a list of split offsets. */
  chunk?: number;
  splits?: number[];
}

type Exports = {
  memory: WebAssembly.Memory;
  __new(size: number, id: number): number;
  __pin(ptr: number): number;
  __unpin(ptr: number): void;
  scratch(len: number): number;
  memoryPages(): number;
  readerBegin(preset: number, path: number, contentType: number): number;
  readerBeginCustom(provider: number, specs: number, path: number, contentType: number): number;
  readerFeed(ptr: number, len: number): void;
  readerFinish(): number;
  benchJson(ptr: number, len: number, iters: number): number;
  benchNdjson(ptr: number, len: number, iters: number): number;
  benchSse(ptr: number, len: number, chunk: number, iters: number): number;
  inspect(ptr: number, len: number): number;
  requestModel(ptr: number, len: number): number;
  includeUsage(ptr: number, len: number, overrideFalse: number): number;
  lastRewrite(): number;
  contentTypeMode(ct: number): number;
  pairBegin(specs: number, multiDoc: number): number;
  pairFeed(ptr: number, len: number, lineMode: number): number;
  pairNewline(): number;
  pairFinish(): number;
  pairResetDocument(): void;
  benchScan(ptr: number, len: number, chunk: number, iters: number, reference: number): number;
};

const STRING_ID = 2; // AssemblyScript's class id of ~lib/string/String
const encoder = new TextEncoder();
let compiled: WebAssembly.Module | null = null;

/** Bytes of a string (UTF-8), or the bytes themselves. */
export function bytes(body: string | Uint8Array): Uint8Array {
  return typeof body === "string" ? encoder.encode(body) : body;
}

export class UsageModule {
  readonly ex: Exports;

  constructor() {
    if (compiled === null) compiled = new WebAssembly.Module(readFileSync(WASM_PATH));
    const self = this;
    const instance = new WebAssembly.Instance(compiled, {
      env: {
        abort(msg: number, file: number, line: number, col: number) {
          throw new UsageTrap(`abort: ${self.lift(msg)} at ${self.lift(file)}:${line}:${col}`);
        },
      },
    });
    this.ex = instance.exports as unknown as Exports;
  }

  /** Wasm memory in bytes. */
  get memoryBytes(): number {
    return this.ex.memory.buffer.byteLength;
  }

  /** Copies `data` into the scratch buffer; its address. */
  write(data: Uint8Array, at = 0, reserve = data.length): number {
    const ptr = this.ex.scratch(Math.max(reserve, at + data.length, 1)) >>> 0;
    new Uint8Array(this.ex.memory.buffer, ptr + at, data.length).set(data);
    return ptr;
  }

  lift(ptr: number): string {
    ptr >>>= 0;
    if (ptr === 0) return "";
    const len = new Uint32Array(this.ex.memory.buffer)[(ptr - 4) >>> 2] >>> 1;
    const u16 = new Uint16Array(this.ex.memory.buffer, ptr, len);
    let s = "";
    for (let i = 0; i < len; i += 1024) s += String.fromCharCode(...u16.subarray(i, i + 1024));
    return s;
  }

  private lower(s: string): number {
    const ptr = this.ex.__new(s.length << 1, STRING_ID) >>> 0;
    const u16 = new Uint16Array(this.ex.memory.buffer, ptr, s.length);
    for (let i = 0; i < s.length; i++) u16[i] = s.charCodeAt(i);
    return this.ex.__pin(ptr) >>> 0;
  }

  private withStrings<T>(strings: string[], f: (ptrs: number[]) => T): T {
    const ptrs: number[] = [];
    try {
      for (const s of strings) ptrs.push(this.lower(s));
      return f(ptrs);
    } finally {
      for (const p of ptrs) this.ex.__unpin(p);
    }
  }

  /** Starts a response. Throws on an unknown preset or bad custom paths. */
  begin(opts: ScanOptions = {}): void {
    const preset = opts.preset ?? "auto";
    const path = opts.path ?? "";
    const ct = opts.contentType ?? "";
    if (opts.specs !== undefined) {
      const err = this.withStrings([preset, opts.specs.join("\n"), path, ct],
        ([a, b, c, d]) => this.lift(this.ex.readerBeginCustom(a, b, c, d)));
      if (err !== "") throw new Error(err);
      return;
    }
    const ok = this.withStrings([preset, path, ct], ([a, b, c]) => this.ex.readerBegin(a, b, c));
    if (!ok) throw new Error(`unknown preset ${preset}`);
  }

  /** Feeds bytes already in memory. */
  feed(ptr: number, len: number): void {
    this.ex.readerFeed(ptr, len);
  }

  finish(): UsageResult {
    return JSON.parse(this.lift(this.ex.readerFinish())) as UsageResult;
  }

  /** Reads a whole response body, fed in chunks as `opts` says (default: one feed). */
  scan(body: string | Uint8Array, opts: ScanOptions = {}): UsageResult {
    const data = bytes(body);
    this.begin(opts);
    const ptr = this.write(data);
    const cuts = opts.splits ?? [];
    if (opts.chunk !== undefined && opts.chunk > 0) {
      for (let off = opts.chunk; off < data.length; off += opts.chunk) cuts.push(off);
    }
    let prev = 0;
    for (const c of [...cuts, data.length]) {
      if (c < prev || c > data.length) continue;
      this.feed(ptr + prev, c - prev);
      prev = c;
    }
    return this.finish();
  }

  inspect(body: string | Uint8Array): RequestResult {
    const data = bytes(body);
    const ptr = this.write(data);
    return JSON.parse(this.lift(this.ex.inspect(ptr, data.length))) as RequestResult;
  }

  model(body: string | Uint8Array): string {
    const data = bytes(body);
    const ptr = this.write(data);
    return this.lift(this.ex.requestModel(ptr, data.length));
  }

  /** addIncludeUsage: the new body as text, or null. */
  includeUsage(body: string | Uint8Array, overrideFalse = true): string | null {
    const data = bytes(body);
    const ptr = this.write(data);
    const n = this.ex.includeUsage(ptr, data.length, overrideFalse ? 1 : 0);
    if (n < 0) return null;
    const at = this.ex.lastRewrite() >>> 0;
    return new TextDecoder().decode(new Uint8Array(this.ex.memory.buffer, at, n));
  }

  // The scanner next to its reference (assembly/usage/testing/scan_pair.ts). Each call
  // returns [product, reference]: what a caller of each can observe afterwards.

  /** Starts a pair over "field=path" lines; throws on a configuration error. */
  pairBegin(specs: string[], multiDoc = false): void {
    const err = this.withStrings([specs.join("\n")], ([a]) => this.lift(this.ex.pairBegin(a, multiDoc ? 1 : 0)));
    if (err !== "") throw new Error(err);
  }

  pairFeed(ptr: number, len: number, lineMode = false): [string, string] {
    return this.split(this.ex.pairFeed(ptr, len, lineMode ? 1 : 0));
  }

  pairNewline(): [string, string] {
    return this.split(this.ex.pairNewline());
  }

  pairFinish(): [string, string] {
    return this.split(this.ex.pairFinish());
  }

  pairResetDocument(): void {
    this.ex.pairResetDocument();
  }

  private split(ptr: number): [string, string] {
    const [a, b] = this.lift(ptr).split("\n");
    return [a, b];
  }
}
