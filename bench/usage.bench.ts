// Usage scanner benchmarks (ratios measured side by side: interleaved rounds, medians).
//
//   usage-scan   how many times faster the scanner reads a 1 MB chat completion (a long
//                content string with escapes and non-ASCII text, usage near the end)
//                than V8's JSON.parse parses it. The scan loops inside Wasm over bytes
//                already in Wasm memory (copying a body in is measured end to end by the
//                filter benchmark).
//   sse-scan     a 1 MB OpenAI chat stream fed in 1 KB chunks through the event-stream
//                reader, against the JSON scan of the same event payloads as one NDJSON
//                body in a single feed (the cost of framing and chunking; same work
//                otherwise).
//   usage-scan-1KB  the scanner alone on the request-cost benchmark's 1 KB chat completion,
//                against the byte-by-byte machine it is defined by (the reference copy in
//                the testing module): what the scanner's fast paths save per response.
//   sse-memory   Wasm memory after a 10 MB stream vs after a 1 KB stream, each in a fresh
//                instance, fed in 1 KB chunks (1.00x: memory does not grow with the stream).
import { UsageModule, bytes } from "../test/usage/module.ts";
import { chatCompletionBody, chatStreamPayloads, sseOf } from "../test/usage/bodies.ts";
import { responseOf } from "./measure.ts";

const ROUNDS = 9;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function time(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

function usageScan(): string {
  const m = new UsageModule();
  const text = chatCompletionBody(1 << 20);
  const data = bytes(text);
  const ptr = m.write(data);
  const iters = 10;
  let check = 0;
  const ours: number[] = [];
  const v8: number[] = [];
  // Warm both up before measuring.
  m.ex.benchJson(ptr, data.length, 3);
  for (let i = 0; i < 3; i++) JSON.parse(text);
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(time(() => { check += m.ex.benchJson(ptr, data.length, iters); }));
    v8.push(time(() => { for (let i = 0; i < iters; i++) check -= JSON.parse(text).usage.total_tokens; }));
  }
  if (check !== 0) throw new Error("usage-scan: scanner and JSON.parse disagree on total_tokens");
  return `bench usage-scan: ${(median(v8) / median(ours)).toFixed(2)}x JSON.parse`;
}

function sseScan(): string {
  const m = new UsageModule();
  const payloads = chatStreamPayloads(1 << 20);
  const sse = bytes(sseOf(payloads));
  const nd = bytes(payloads.join("\n") + "\n");
  const sp = m.write(sse, 0, sse.length + nd.length);
  const np = sp + sse.length;
  new Uint8Array(m.ex.memory.buffer, np, nd.length).set(nd);
  const iters = 5;
  const json: number[] = [];
  const stream: number[] = [];
  m.ex.benchNdjson(np, nd.length, 2);
  m.ex.benchSse(sp, sse.length, 1024, 2);
  for (let r = 0; r < ROUNDS; r++) {
    let a = 0;
    let b = 0;
    json.push(time(() => { a = m.ex.benchNdjson(np, nd.length, iters); }));
    stream.push(time(() => { b = m.ex.benchSse(sp, sse.length, 1024, iters); }));
    if (a !== b || a === 0) throw new Error("sse-scan: stream and JSON scans disagree");
  }
  return `bench sse-scan: ${(median(json) / median(stream)).toFixed(2)}x json-scan`;
}

// Wasm memory of a fresh instance after reading `data` in 1 KB chunks.
function peakMemory(data: Uint8Array): number {
  const m = new UsageModule();
  m.begin({ preset: "openai", contentType: "text/event-stream" });
  const ptr = m.write(new Uint8Array(0), 0, 1024);
  for (let off = 0; off < data.length; off += 1024) {
    const piece = data.subarray(off, Math.min(off + 1024, data.length));
    new Uint8Array(m.ex.memory.buffer, ptr, piece.length).set(piece);
    m.feed(ptr, piece.length);
  }
  if (m.finish().total <= 0) throw new Error("sse-memory: no usage read");
  return m.memoryBytes; // memory only grows: the final size is the peak
}

function sseMemory(): string {
  const payloads = chatStreamPayloads(64 * 1024);
  const events = payloads.slice(0, -1).map((p) => "data: " + p + "\n\n").join("");
  const tail = "data: " + payloads[payloads.length - 1] + "\n\ndata: [DONE]\n\n";
  const big = bytes(events.repeat(Math.ceil((10 << 20) / events.length)) + tail);
  const small = bytes(sseOf(chatStreamPayloads(1024)));
  return `bench sse-memory-10MB-vs-1KB: ${(peakMemory(big) / peakMemory(small)).toFixed(2)}x`;
}

function usageScan1k(): string {
  const m = new UsageModule();
  const data = bytes(responseOf(1024));
  const ptr = m.write(data);
  const iters = 20000;
  const fast: number[] = [];
  const machine: number[] = [];
  m.ex.benchScan(ptr, data.length, 0, iters, 0);
  m.ex.benchScan(ptr, data.length, 0, iters, 1);
  for (let r = 0; r < ROUNDS; r++) {
    let a = 0;
    let b = 0;
    fast.push(time(() => { a = m.ex.benchScan(ptr, data.length, 0, iters, 0); }));
    machine.push(time(() => { b = m.ex.benchScan(ptr, data.length, 0, iters, 1); }));
    if (a !== b || a !== 100 * iters) throw new Error("usage-scan-1KB: the scanner and the machine disagree");
  }
  return `bench usage-scan-1KB: ${(median(machine) / median(fast)).toFixed(2)}x byte-by-byte machine`;
}

export async function run(): Promise<string[]> {
  return [usageScan(), usageScan1k(), sseScan(), sseMemory()];
}
