// Shared helpers for host-test's own tests: WAT compilation (wabt), the probe module's
// memory layout, and small probe shortcuts.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import wabtInit from "wabt";
import { Host, type HostOptions, type GuestProbe } from "../../host-test/index.ts";
import { hostInternals, type WasmVm } from "../../host-test/internal.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const MODULES_DIR = join(here, "..", "modules");
export const BUILD_DIR = join(here, "..", "..", "build");

let wabt: Awaited<ReturnType<typeof wabtInit>> | undefined;
const cache = new Map<string, Uint8Array>();

/** Compiles WAT text to a binary (cached by text). */
export async function watToWasm(text: string, name = "inline.wat"): Promise<Uint8Array> {
  const hit = cache.get(text);
  if (hit) return hit;
  wabt ??= await wabtInit();
  const mod = wabt.parseWat(name, text);
  try {
    const { buffer } = mod.toBinary({});
    const bytes = new Uint8Array(buffer);
    cache.set(text, bytes);
    return bytes;
  } finally {
    mod.destroy();
  }
}

/** Compiles test/modules/<name>.wat. */
export async function wat(name: string): Promise<Uint8Array> {
  return watToWasm(readFileSync(join(MODULES_DIR, `${name}.wat`), "utf8"), `${name}.wat`);
}

/** Path of an AssemblyScript test module built by scripts/build.mjs. */
export function builtModule(name: string): string {
  return join(BUILD_DIR, "modules", `${name}.wasm`);
}

/** Callback return-value slots of probe.wat. */
export const RET = {
  vmStart: 256,
  configure: 260,
  requestHeaders: 264,
  requestBody: 268,
  requestTrailers: 272,
  responseHeaders: 276,
  responseBody: 280,
  responseTrailers: 284,
  done: 288,
} as const;

/** probe.wat's malloc mode slot: 0 normal, 1 fail, 2 trap, 3 log first, 4 restricted hostcall first. */
export const MALLOC_MODE = 512;

/** A worker's VM (host-test internals, for checks no public getter offers). */
export function vmOf(host: Host, worker = 0): WasmVm {
  return hostInternals(host).vms[worker];
}

/** Sets what a probe.wat callback returns, on every worker. */
export function setRet(host: Host, slot: keyof typeof RET, value: number): void {
  for (let i = 0; i < host.workerCount; i++) vmOf(host, i).memory.setU32(RET[slot], value);
}

/** Sets probe.wat's malloc mode on a worker. */
export function setMallocMode(host: Host, mode: number, worker = 0): void {
  vmOf(host, worker).memory.setU32(MALLOC_MODE, mode);
}

/** A host running probe.wat. */
export async function probeHost(opts: Partial<HostOptions> = {}): Promise<Host> {
  return Host.create({ wasm: await wat("probe"), ...opts });
}

/** A typical LLM API request. */
export const REQ = { ":method": "POST", ":path": "/v1/chat/completions", ":authority": "api.example", "content-type": "application/json" };

/** Calls `h_<hostcall>` in the probe module. */
export function hc(g: GuestProbe, name: string, ...args: Array<number | bigint>): number {
  return g.call(`h_${name}`, ...args);
}

/** proxy_get_header_map_value through the probe: [status, value]. */
export function getHeader(g: GuestProbe, map: number, key: string): [number, string] {
  const [kp, kl] = g.put(key);
  const pp = g.slot(4);
  const sp = g.slot(4);
  const st = hc(g, "proxy_get_header_map_value", map, kp, kl, pp, sp);
  return [st, st === 0 ? g.resultText(pp, sp) : ""];
}

/** proxy_get_property through the probe: [status, bytes]. */
export function getProperty(g: GuestProbe, path: string | string[]): [number, Uint8Array] {
  const p = Array.isArray(path) ? path.join("\0") : path.split(".").join("\0");
  const [pp, pl] = g.put(p);
  const vp = g.slot(4);
  const vs = g.slot(4);
  const st = hc(g, "proxy_get_property", pp, pl, vp, vs);
  return [st, st === 0 ? g.result(vp, vs) : new Uint8Array(0)];
}

/** proxy_get_buffer_bytes through the probe: [status, bytes]. */
export function getBuffer(g: GuestProbe, type: number, start = 0, length = 0xffffffff): [number, Uint8Array] {
  const pp = g.slot(4);
  const sp = g.slot(4);
  const st = hc(g, "proxy_get_buffer_bytes", type, start, length, pp, sp);
  return [st, st === 0 ? g.result(pp, sp) : new Uint8Array(0)];
}

/** proxy_send_local_response through the probe. */
export function sendLocal(g: GuestProbe, status: number, body: string, headers: Uint8Array, details = "", grpc = -1): number {
  const [dp, dl] = g.put(details);
  const [bp, bl] = g.put(body);
  const [hp, hl] = g.put(headers);
  return hc(g, "proxy_send_local_response", status, dp, dl, bp, bl, hp, hl, grpc >>> 0);
}

export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/**
 * Runs `handler` inside a root-context callback (an on_tick of the worker's root), as a filter
 * does when it resumes or answers a stream after a call completes. Runs due tasks afterwards.
 */
export function inRoot(host: Host, handler: (g: GuestProbe) => void, worker = 0): void {
  const w = host.worker(worker);
  const vm = vmOf(host, worker);
  const root = vm.contexts.get(w.rootContextId)!;
  host.probe("proxy_on_tick", handler, { vm: w.name, once: true });
  vm.deferred(() => vm.call(root, "proxy_on_tick", w.rootContextId));
  host.flush();
}

/** Adds a header through the probe. */
export function addHeader(g: GuestProbe, map: number, key: string, value: string, op: "add" | "replace" = "add"): number {
  const [kp, kl] = g.put(key);
  const [vp, vl] = g.put(value);
  return hc(g, op === "add" ? "proxy_add_header_map_value" : "proxy_replace_header_map_value", map, kp, kl, vp, vl);
}

/** proxy_set_buffer_bytes through the probe. */
export function setBuffer(g: GuestProbe, type: number, start: number, length: number, data: string): number {
  const [dp, dl] = g.put(data);
  return hc(g, "proxy_set_buffer_bytes", type, start, length, dp, dl);
}
