// Testing entry: exposes the usage module to Node tests and benchmarks
// (node scripts/build.mjs --only testing/usage -> build/testing/usage.js).
// Bytes are written by JS into a scratch buffer in this module's memory (`scratch`), then
// scanned in place, as the filter scans body chunks Envoy hands it.

import {
  ResponseUsageReader, Usage, presetFor, scanStatusName, inspectRequest, addIncludeUsage,
  MODE_JSON, MODE_SSE, MODE_NDJSON, modeForContentType, Preset, PresetResolver, presetForPath,
} from "../index";
import { customPreset } from "../presets";
import { ScanPair } from "./scan_pair";
import { UsageScanner, coreScan, coreFinishDocument } from "../scanner";
import { refScan, refFinishDocument } from "./reference_scanner";
import { FIELD_TOTAL } from "../fields";

let scratchBuf = new ArrayBuffer(0);

/** Address of a scratch buffer of at least `len` bytes (replaced when it must grow). */
export function scratch(len: i32): usize {
  if (scratchBuf.byteLength < len) scratchBuf = new ArrayBuffer(len);
  return changetype<usize>(scratchBuf);
}

/** Wasm memory size in 64 KiB pages. */
export function memoryPages(): i32 {
  return memory.size();
}

let reader: ResponseUsageReader | null = null;

function presetNamed(name: string, path: string): Preset | null {
  return presetFor(name, path);
}

/** Starts reading a response: preset name ("auto" resolves by `path`), content type. */
export function readerBegin(preset: string, path: string, contentType: string): bool {
  const p = presetNamed(preset, path);
  if (p == null) return false;
  let r = reader;
  if (r == null) { r = new ResponseUsageReader(p); reader = r; }
  r.begin(contentType, p);
  return true;
}

/** Starts reading a response with custom "field=path" lines (provider "custom" or overrides). */
export function readerBeginCustom(provider: string, specs: string, path: string, contentType: string): string {
  const lines = specs.length == 0 ? new Array<string>(0) : specs.split("\n");
  const resolver = new PresetResolver(provider, lines);
  if (resolver.error.length > 0) return resolver.error;
  const p = resolver.forPath(path);
  let r = reader;
  if (r == null) { r = new ResponseUsageReader(p); reader = r; }
  r.begin(contentType, p);
  return "";
}

/** Feeds bytes [ptr, ptr+len) of the body. */
export function readerFeed(ptr: usize, len: i32): void {
  const r = reader;
  if (r != null) r.feed(ptr, <usize>len);
}

/** Ends the body; the Usage as JSON. */
export function readerFinish(): string {
  const r = reader;
  if (r == null) return "null";
  return usageJson(r.finish());
}

function usageJson(u: Usage): string {
  let found = "";
  const names = ["input", "output", "total", "cached", "reasoning", "cacheWrite"];
  for (let i = 0; i < names.length; i++) {
    if (u.has(i)) found += (found.length > 0 ? "," : "") + "\"" + unchecked(names[i]) + "\"";
  }
  return "{\"status\":\"" + scanStatusName(u.status) + "\"" +
    ",\"input\":" + u.input.toString() + ",\"output\":" + u.output.toString() +
    ",\"total\":" + u.total.toString() + ",\"cached\":" + u.cached.toString() +
    ",\"reasoning\":" + u.reasoning.toString() + ",\"cacheWrite\":" + u.cacheWrite.toString() +
    ",\"found\":[" + found + "],\"totalComputed\":" + (u.totalComputed ? "true" : "false") +
    ",\"hasUsage\":" + (u.hasUsage ? "true" : "false") +
    ",\"textBytes\":" + u.textBytes.toString() + ",\"bodyBytes\":" + u.bodyBytes.toString() +
    ",\"streaming\":" + (u.streaming ? "true" : "false") + ",\"events\":" + u.events.toString() +
    ",\"invalidEvents\":" + u.invalidEvents.toString() + ",\"sawDone\":" + (u.sawDone ? "true" : "false") +
    ",\"errorOffset\":" + u.errorOffset.toString() + ",\"error\":\"" + escape(u.error) + "\"}";
}

function escape(s: string): string {
  return s.replaceAll("\\", "\\\\").replaceAll("\"", "\\\"");
}

// Benchmarks: the loops run inside Wasm over bytes already in memory.
let benchReader: ResponseUsageReader | null = null;

function benchReaderFor(mode: i32): ResponseUsageReader {
  let r = benchReader;
  if (r == null) {
    r = new ResponseUsageReader(presetForPath("/v1/chat/completions"));
    benchReader = r;
  }
  r.beginMode(mode);
  return r;
}

/** Scans [ptr, ptr+len) as one JSON body `iters` times; returns the sum of totals read. */
export function benchJson(ptr: usize, len: i32, iters: i32): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < iters; i++) {
    const r = benchReaderFor(MODE_JSON);
    r.feed(ptr, <usize>len);
    sum += <f64>r.finish().total;
  }
  return sum;
}

/** Scans [ptr, ptr+len) as NDJSON (documents one after another) `iters` times. */
export function benchNdjson(ptr: usize, len: i32, iters: i32): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < iters; i++) {
    const r = benchReaderFor(MODE_NDJSON);
    r.feed(ptr, <usize>len);
    sum += <f64>r.finish().total;
  }
  return sum;
}

/** Scans [ptr, ptr+len) as an event stream delivered in `chunk`-byte feeds, `iters` times. */
export function benchSse(ptr: usize, len: i32, chunk: i32, iters: i32): f64 {
  let sum: f64 = 0;
  const step = chunk > 0 ? chunk : len;
  for (let i = 0; i < iters; i++) {
    const r = benchReaderFor(MODE_SSE);
    for (let off = 0; off < len; off += step) {
      const n = min(step, len - off);
      r.feed(ptr + <usize>off, <usize>n);
    }
    sum += <f64>r.finish().total;
  }
  return sum;
}

/** RequestInfo of a request body, as JSON. */
export function inspect(ptr: usize, len: i32): string {
  const i = inspectRequest(ptr, <usize>len);
  return "{\"valid\":" + (i.valid ? "true" : "false") + ",\"error\":\"" + escape(i.error) + "\",\"errorOffset\":" +
    i.errorOffset.toString() + ",\"stream\":" + (i.stream ? "true" : "false") +
    ",\"includeUsage\":" + i.includeUsage.toString() + ",\"maxTokens\":" + i.maxTokens.toString() +
    ",\"maxCompletionTokens\":" + i.maxCompletionTokens.toString() +
    ",\"maxOutputTokens\":" + i.maxOutputTokens.toString() +
    ",\"geminiMaxOutputTokens\":" + i.geminiMaxOutputTokens.toString() +
    ",\"maxOutput\":" + i.maxOutput().toString() + ",\"modelLength\":" + i.model.length.toString() + "}";
}

/** Model named by a request body ("" if none). */
export function requestModel(ptr: usize, len: i32): string {
  return inspectRequest(ptr, <usize>len).model;
}

/** addIncludeUsage of a request body: the new body's length, or -1 for null; the bytes are
 * left in the scratch buffer `lastRewrite` returns. */
let rewritten: ArrayBuffer | null = null;
export function includeUsage(ptr: usize, len: i32, overrideFalse: bool): i32 {
  const r = addIncludeUsage(ptr, <usize>len, overrideFalse);
  rewritten = r;
  return r == null ? -1 : r.byteLength;
}

/** Address of the last rewritten body (valid until the next `includeUsage`). */
export function lastRewrite(): usize {
  const r = rewritten;
  return r == null ? 0 : changetype<usize>(r);
}

/** Body mode for a content type (1 json, 2 sse, 3 ndjson, 0 sniff). */
export function contentTypeMode(contentType: string): i32 {
  return modeForContentType(contentType);
}

export { MODE_SSE };

// Equivalence of the scanner with its reference (scan_pair.ts): one pair at a time.
let pair: ScanPair | null = null;

/** Starts a pair over "field=path" lines; "" or the configuration error. */
export function pairBegin(specs: string, multiDoc: bool): string {
  const build = customPreset(specs.length == 0 ? new Array<string>(0) : specs.split("\n"));
  const preset = build.preset;
  if (build.error.length > 0 || preset == null) return build.error;
  pair = new ScanPair(preset.json, multiDoc);
  return "";
}

/** Feeds [ptr, ptr+len) to both scanners; "<product>\n<reference>" observations. */
export function pairFeed(ptr: usize, len: i32, lineMode: bool): string {
  const p = pair;
  return p == null ? "" : p.feed(ptr, <usize>len, lineMode);
}

/** Feeds the joining "\n" of two SSE data lines to both. */
export function pairNewline(): string {
  const p = pair;
  return p == null ? "" : p.newline();
}

/** Ends the document in both; the two observations. */
export function pairFinish(): string {
  const p = pair;
  return p == null ? "" : p.finish();
}

/** Starts the next document in both (an SSE event). */
export function pairResetDocument(): void {
  const p = pair;
  if (p != null) p.resetDocument();
}

// The scanner alone (no reader, no Usage) over the OpenAI chat paths, `iters` times over
// [ptr, ptr+len) in feeds of `chunk` bytes; `reference` runs the reference scanner
// instead. Returns the sum of the totals read.
let benchScanner: UsageScanner | null = null;

export function benchScan(ptr: usize, len: i32, chunk: i32, iters: i32, reference: bool): f64 {
  let s = benchScanner;
  if (s == null) {
    s = new UsageScanner(presetForPath("/v1/chat/completions").json);
    benchScanner = s;
  }
  const c = s.core;
  const step = chunk > 0 ? chunk : len;
  let sum: f64 = 0;
  for (let i = 0; i < iters; i++) {
    s.reset();
    for (let off = 0; off < len; off += step) {
      const n = <usize>min(step, len - off);
      if (reference) refScan(c, ptr + <usize>off, n, false);
      else coreScan(c, ptr + <usize>off, n, false);
    }
    if (reference) refFinishDocument(c);
    else coreFinishDocument(c);
    sum += <f64>s.value(FIELD_TOTAL);
  }
  return sum;
}
