// Hostcall contracts as cpp-host/Envoy implement them: status codes, bounds checks on every
// guest pointer, enum ranges, empty results as (0, 0) without allocating, which header map
// and buffer is reachable in which phase, the pairs limits, logging, effective context.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BufferType, HeaderMapType as M, WasmResult as R, pairsBlob, type GuestProbe } from "../../host-test/index.ts";
import { encodePairs } from "../../host-test/internal.ts";
import { probeHost, REQ, hc, getHeader, getBuffer, sendLocal, inRoot, addHeader, setMallocMode, text, vmOf } from "./helpers.ts";

const OOB = 0xfffffff0;
const MEM = 4 * 65536; // probe.wat memory size

/** Runs `f` inside on_request_headers of a fresh stream and returns what it returns. */
async function inRequestHeaders<T>(f: (g: GuestProbe) => T, opts = {}): Promise<T> {
  const host = await probeHost(opts);
  let out: T | undefined;
  host.probe("proxy_on_request_headers", (g) => (out = f(g)));
  host.newStream().sendRequestHeaders(REQ);
  return out!;
}

test("every pointer argument is bounds-checked: out of range is INVALID_MEMORY_ACCESS", async () => {
  const st = await inRequestHeaders((g) => {
    const s = g.slot(8);
    const [k, kl] = g.put("x");
    return {
      log: hc(g, "proxy_log", 2, OOB, 4),
      logEdge: hc(g, "proxy_log", 2, MEM - 4, 5),
      getPropPath: hc(g, "proxy_get_property", OOB, 4, s, s + 4),
      getPropOut: hc(g, "proxy_get_property", ...(() => { const [p, l] = g.put("plugin_name\0"); return [p, l - 1]; })(), OOB, s),
      setProp: hc(g, "proxy_set_property", k, kl, OOB, 1),
      getHeader: hc(g, "proxy_get_header_map_value", M.RequestHeaders, OOB, 1, s, s + 4),
      getHeaderOut: hc(g, "proxy_get_header_map_value", M.RequestHeaders, ...g.put(":path"), OOB, s),
      addHeader: hc(g, "proxy_add_header_map_value", M.RequestHeaders, k, kl, OOB, 2),
      replaceHeader: hc(g, "proxy_replace_header_map_value", M.RequestHeaders, OOB, 2, k, kl),
      removeHeader: hc(g, "proxy_remove_header_map_value", M.RequestHeaders, OOB, 2),
      pairs: hc(g, "proxy_get_header_map_pairs", M.RequestHeaders, OOB, s),
      setPairs: hc(g, "proxy_set_header_map_pairs", M.RequestHeaders, OOB, 8),
      size: hc(g, "proxy_get_header_map_size", M.RequestHeaders, OOB),
      bufStatus: hc(g, "proxy_get_buffer_status", BufferType.VmConfiguration, OOB, s),
      setBuf: hc(g, "proxy_set_buffer_bytes", BufferType.HttpRequestBody, 0, 0, OOB, 4),
      getShared: hc(g, "proxy_get_shared_data", OOB, 1, s, s + 4, s),
      setShared: hc(g, "proxy_set_shared_data", k, kl, OOB, 1, 0),
      registerQ: hc(g, "proxy_register_shared_queue", k, kl, OOB),
      resolveQ: hc(g, "proxy_resolve_shared_queue", OOB, 1, k, kl, s),
      enqueue: hc(g, "proxy_enqueue_shared_queue", 1, OOB, 1),
      httpCall: hc(g, "proxy_http_call", k, kl, OOB, 4, 0, 0, 0, 0, 100, s),
      httpToken: hc(g, "proxy_http_call", k, kl, 0, 0, 0, 0, 0, 0, 100, OOB),
      grpcCall: hc(g, "proxy_grpc_call", OOB, 1, k, kl, k, kl, 0, 0, 0, 0, 100, s),
      defineMetric: hc(g, "proxy_define_metric", 0, OOB, 1, s),
      defineMetricId: hc(g, "proxy_define_metric", 0, k, kl, OOB),
      now: hc(g, "proxy_get_current_time_nanoseconds", OOB),
      logLevel: hc(g, "proxy_get_log_level", OOB),
      status: hc(g, "proxy_get_status", OOB, s, s + 4),
      local: hc(g, "proxy_send_local_response", 200, 0, 0, OOB, 3, 0, 0, 0),
      foreign: hc(g, "proxy_call_foreign_function", OOB, 3, 0, 0, 0, 0),
    };
  });
  // (logEdge: MEM-4 + 5 runs one byte past the end.)
  for (const [name, v] of Object.entries(st)) assert.equal(v, R.InvalidMemoryAccess, name);
});

test("a range ending exactly at the end of memory is valid", async () => {
  const st = await inRequestHeaders((g) => hc(g, "proxy_log", 2, MEM - 4, 4));
  assert.equal(st, R.Ok);
});

test("enum arguments out of range are BAD_ARGUMENT before memory is looked at", async () => {
  const st = await inRequestHeaders((g) => [
    hc(g, "proxy_get_header_map_value", 8, OOB, 1, OOB, OOB),
    hc(g, "proxy_get_header_map_pairs", 8, OOB, OOB),
    hc(g, "proxy_get_buffer_bytes", 9, 0, 1, OOB, OOB),
    hc(g, "proxy_get_buffer_status", 9, OOB, OOB),
    hc(g, "proxy_log", 6, 0, 0),
    hc(g, "proxy_define_metric", 3, ...g.put("m"), g.slot(4)),
  ]);
  assert.deepEqual(st, [R.BadArgument, R.BadArgument, R.BadArgument, R.BadArgument, R.BadArgument, R.BadArgument]);
});

test("empty results come back as pointer 0 and size 0 without calling malloc", async () => {
  const host = await probeHost();
  let r: number[] = [];
  host.probe("proxy_on_request_headers", (g) => {
    const p = g.slot(4);
    const s = g.slot(4);
    g.bytes(p, 4).fill(0xff);
    const before = host.calls.length;
    r = [
      hc(g, "proxy_get_header_map_pairs", M.ResponseTrailers, p, s), g.u32(p), g.u32(s),
      hc(g, "proxy_get_buffer_bytes", BufferType.HttpRequestBody, 0, 10, p, s), g.u32(p), g.u32(s),
      hc(g, "proxy_get_property", ...g.put("plugin_root_id"), p, s), g.u32(p), g.u32(s),
      host.calls.length - before,
    ];
  });
  host.newStream().sendRequestHeaders(REQ);
  assert.deepEqual(r, [R.Ok, 0, 0, R.Ok, 0, 0, R.Ok, 0, 0, 0]);
});

test("data returned to the guest is allocated through its malloc; a failing malloc is INVALID_MEMORY_ACCESS", async () => {
  const host = await probeHost();
  let r: Array<number | string> = [];
  host.probe("proxy_on_request_headers", (g) => {
    const before = host.calls.length;
    const [st, v] = getHeader(g, M.RequestHeaders, ":path");
    const mallocCall = host.calls.slice(before).find((c) => c.fn === "malloc")!;
    setMallocMode(host, 1);
    const [st2] = getHeader(g, M.RequestHeaders, ":path");
    setMallocMode(host, 0);
    r = [st, v, mallocCall.args[0], mallocCall.vm, st2];
  });
  host.newStream().sendRequestHeaders(REQ);
  assert.deepEqual(r, [R.Ok, "/v1/chat/completions", 20, "worker 0", R.InvalidMemoryAccess]);
});

test("the host copies guest memory: later guest writes do not change stored values", async () => {
  const host = await probeHost();
  host.probe("proxy_on_request_headers", (g) => {
    const [k, kl] = g.put("x-copy");
    const [v, vl] = g.put("before");
    hc(g, "proxy_add_header_map_value", M.RequestHeaders, k, kl, v, vl);
    hc(g, "proxy_set_shared_data", k, kl, v, vl, 0);
    const [v2] = g.put("AFTER!");
    assert.equal(v2, v + 8); // (the scratch allocator hands out the next slot)
    vmOf(host, 0).memory.write(v, new TextEncoder().encode("AFTER!"));
  });
  const r = host.exchange({ request: { headers: REQ } });
  assert.equal(r.upstreamRequest!.headers["x-copy"], "before");
  assert.equal(host.sharedData.get("x-copy")!.text, "before");
});

test("header maps by phase: request headers only in on_request_headers (until continue), response maps only in the response phase", async () => {
  const host = await probeHost();
  const seen: Record<string, number[]> = {};
  const probeMaps = (name: string) => (g: GuestProbe) => {
    seen[name] = [M.RequestHeaders, M.RequestTrailers, M.ResponseHeaders, M.ResponseTrailers, M.HttpCallResponseHeaders, M.GrpcReceiveInitialMetadata]
      .map((m) => getHeader(g, m, ":status")[0] === R.NotFound ? getHeader(g, m, ":path")[0] : getHeader(g, m, ":status")[0]);
  };
  for (const fn of ["proxy_on_request_headers", "proxy_on_request_body", "proxy_on_response_headers", "proxy_on_response_body", "proxy_on_log", "proxy_on_done"]) host.probe(fn, probeMaps(fn));
  host.exchange({ request: { headers: REQ, body: "b" }, response: { headers: { ":status": "200" }, body: "r" } });
  const { Ok, NotFound, BadArgument: BA } = R;
  assert.deepEqual(seen, {
    proxy_on_request_headers: [Ok, BA, BA, BA, BA, BA],
    proxy_on_request_body: [BA, BA, BA, BA, BA, BA],
    proxy_on_response_headers: [BA, BA, Ok, BA, BA, BA],
    proxy_on_response_body: [BA, BA, BA, BA, BA, BA],
    // The access-log phase sees the final request and response headers; any absent map is NOT_FOUND there.
    proxy_on_log: [Ok, NotFound, Ok, NotFound, NotFound, NotFound],
    proxy_on_done: [BA, BA, BA, BA, BA, BA],
  });
});

test("get_header_map_pairs of an unavailable map is OK and empty; size and mutation are BAD_ARGUMENT", async () => {
  const r = await inRequestHeaders((g) => {
    const p = g.slot(4);
    const s = g.slot(4);
    return [hc(g, "proxy_get_header_map_pairs", M.ResponseHeaders, p, s), g.u32(s), hc(g, "proxy_get_header_map_size", M.ResponseHeaders, p), addHeader(g, M.ResponseHeaders, "a", "b")];
  });
  assert.deepEqual(r, [R.Ok, 0, R.BadArgument, R.BadArgument]);
});

test("header lookups lower-case the key; a missing key is NOT_FOUND; size is the bytes of keys and values", async () => {
  const r = await inRequestHeaders((g) => {
    const sz = g.slot(4);
    hc(g, "proxy_get_header_map_size", M.RequestHeaders, sz);
    return [getHeader(g, M.RequestHeaders, ":PATH"), getHeader(g, M.RequestHeaders, "x-missing")[0], g.u32(sz)];
  }, { requestIdHeader: false, forwardedProto: null });
  const bytes = Object.entries(REQ).reduce((n, [k, v]) => n + k.length + v.length, 0);
  assert.deepEqual(r, [[R.Ok, "/v1/chat/completions"], R.NotFound, bytes]);
});

test("get_header_map_pairs returns Envoy's pairs layout with pseudo-headers first", async () => {
  const host = await probeHost({ requestIdHeader: false, forwardedProto: null });
  let blob: Uint8Array = new Uint8Array(0);
  host.probe("proxy_on_request_headers", (g) => {
    const p = g.slot(4);
    const s = g.slot(4);
    hc(g, "proxy_get_header_map_pairs", M.RequestHeaders, p, s);
    blob = g.result(p, s);
  });
  host.newStream().sendRequestHeaders([["x-b", "1"], [":path", "/"], ["X-A", "2"], [":authority", "a"]]);
  assert.deepEqual([...blob], [...pairsBlob([[":path", "/"], [":authority", "a"], ["x-b", "1"], ["x-a", "2"]])]);
});

test("pairs from the guest over 1024 entries, over 1 MiB, or malformed count as no pairs at all", async () => {
  const host = await probeHost();
  const blobs = [
    encodePairs(Array.from({ length: 1025 }, (_, i): [string, string] => [`h${i}`, "v"])),
    encodePairs([["big", "x".repeat(1024 * 1024)]]),
    pairsBlob({ a: "1" }).slice(0, -1),
    encodePairs([[":method", "GET"], [":path", "/"], [":authority", "a"], ...Array.from({ length: 1021 }, (_, i): [string, string] => [`h${i}`, "v"])]),
  ];
  const seen: Array<[number, number]> = [];
  host.probe("proxy_on_request_headers", (g) => {
    const blob = blobs.shift()!;
    const ptr = vmOf(host, 0).memory.size - blob.length - 16;
    vmOf(host, 0).memory.write(ptr, blob);
    assert.equal(hc(g, "proxy_set_header_map_pairs", M.RequestHeaders, ptr, blob.length), R.Ok);
  });
  for (let i = 0; i < 4; i++) {
    vmOf(host, 0).memory.size < 4 << 20 && vmOf(host, 0).exports.malloc(4 << 20);
    const r = host.exchange({ request: { headers: REQ } });
    seen.push([r.status, r.upstreamRequest?.headerPairs.length ?? -1]);
  }
  // No pairs at all: the request lost its pseudo-headers, so the router refuses it.
  assert.deepEqual(seen, [[503, -1], [503, -1], [503, -1], [200, 1024]]);
});

test("buffers by phase: plugin configuration only while configuring; call response body only during the call response", async () => {
  const r = await inRequestHeaders((g) => [
    getBuffer(g, BufferType.PluginConfiguration)[0],
    getBuffer(g, BufferType.VmConfiguration)[0],
    getBuffer(g, BufferType.HttpCallResponseBody)[0],
    getBuffer(g, BufferType.GrpcReceiveBuffer)[0],
    getBuffer(g, BufferType.CallData)[0],
    getBuffer(g, BufferType.HttpResponseBody)[0],
    getBuffer(g, BufferType.NetworkDownstreamData)[0],
  ]);
  assert.deepEqual(r, [R.NotFound, R.Ok, R.NotFound, R.Ok, R.Ok, R.Ok, R.Ok]);
});

test("get_buffer_bytes clamps to the buffer; get_buffer_status reports the length", async () => {
  const host = await probeHost({ vmConfig: "0123456789" });
  let r: unknown[] = [];
  host.probe("proxy_on_request_headers", (g) => {
    const len = g.slot(4);
    const flags = g.slot(4);
    r = [
      text(getBuffer(g, BufferType.VmConfiguration, 2, 3)[1]),
      text(getBuffer(g, BufferType.VmConfiguration, 8, 100)[1]),
      getBuffer(g, BufferType.VmConfiguration, 50, 1),
      hc(g, "proxy_get_buffer_status", BufferType.VmConfiguration, len, flags), g.u32(len), g.u32(flags),
    ];
  });
  host.newStream().sendRequestHeaders(REQ);
  assert.deepEqual(r, ["234", "89", [R.Ok, new Uint8Array(0)], R.Ok, 10, 0]);
});

test("immutable buffers refuse writes (BAD_ARGUMENT)", async () => {
  const r = await inRequestHeaders((g) => {
    const [d, dl] = g.put("x");
    return [hc(g, "proxy_set_buffer_bytes", BufferType.VmConfiguration, 0, 0, d, dl), hc(g, "proxy_set_buffer_bytes", BufferType.PluginConfiguration, 0, 0, d, dl)];
  });
  assert.deepEqual(r, [R.BadArgument, R.NotFound]);
});

test("proxy_log keeps levels at or above Envoy's; get_log_level reports it; prefixes follow Envoy", async () => {
  const host = await probeHost({ logLevel: "warn", pluginName: "tl", rootId: "root", vmId: "vm1" });
  let level = -1;
  host.probe("proxy_on_request_headers", (g) => {
    for (let l = 0; l <= 5; l++) {
      const [p, n] = g.put(`level ${l}`);
      assert.equal(hc(g, "proxy_log", l, p, n), R.Ok);
    }
    const slot = g.slot(4);
    hc(g, "proxy_get_log_level", slot);
    level = g.u32(slot);
  });
  host.newStream().sendRequestHeaders(REQ);
  assert.equal(level, 3);
  assert.deepEqual(host.logs(), ["level 3", "level 4", "level 5"]);
  assert.deepEqual(host.logs("error"), ["level 4"]);
  assert.equal(host.logEntries.find((l) => l.message === "level 3")!.prefix, " tl root vm1");
});

test("proxy_set_effective_context: unknown ids are BAD_ARGUMENT; a stream id makes its maps reachable from a root callback", async () => {
  const host = await probeHost();
  const s = host.newStream();
  s.sendRequestHeaders(REQ);
  let r: unknown[] = [];
  inRoot(host, (g) => {
    r = [hc(g, "proxy_set_effective_context", 999), getHeader(g, M.RequestHeaders, ":path")[0], hc(g, "proxy_set_effective_context", s.contextId), getHeader(g, M.RequestHeaders, ":method")];
  });
  // The request continued at headers, so its headers are gone even for the stream context.
  assert.deepEqual(r, [R.BadArgument, R.BadArgument, R.Ok, [R.BadArgument, ""]]);
});

test("the effective context lasts only for the current callback", async () => {
  const host = await probeHost();
  const s = host.newStream();
  s.sendRequestHeaders(REQ);
  inRoot(host, (g) => assert.equal(hc(g, "proxy_set_effective_context", s.contextId), R.Ok));
  let r = -1;
  inRoot(host, (g) => {
    const p = g.slot(4);
    const sz = g.slot(4);
    r = hc(g, "proxy_get_status", p, sz, sz + 4) === R.Ok ? g.u32(p) : -1;
    // A root-only hostcall still works: the effective context was reset.
    assert.equal(hc(g, "proxy_set_tick_period_milliseconds", 0), R.Ok);
  });
  assert.equal(r, 0);
});

test("proxy_call_foreign_function: no foreign functions are registered (NOT_FOUND)", async () => {
  const r = await inRequestHeaders((g) => hc(g, "proxy_call_foreign_function", ...g.put("compress"), 0, 0, g.slot(4), g.slot(4)));
  assert.equal(r, R.NotFound);
});

test("send_local_response with a malformed header blob answers without additional headers", async () => {
  const host = await probeHost();
  host.probe("proxy_on_request_headers", (g) => sendLocal(g, 429, "", pairsBlob({ a: "1" }).slice(0, 10)));
  const r = host.exchange({ request: { headers: REQ } });
  assert.deepEqual(r.headerPairs, [[":status", "429"]]);
});

test("Envoy's other env functions: pthread_equal, emscripten_notify_memory_growth, envoy_resolve_dns (accepted, never answered)", async () => {
  const { watToWasm } = await import("./helpers.ts");
  const { Host } = await import("../../host-test/index.ts");
  const wasm = await watToWasm(`(module
    (import "env" "pthread_equal" (func $eq (param i32 i32) (result i32)))
    (import "env" "emscripten_notify_memory_growth" (func $grow (param i32)))
    (import "env" "envoy_resolve_dns" (func $dns (param i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 100) "example.com")
    (func (export "proxy_abi_version_0_2_1"))
    (func (export "malloc") (param i32) (result i32) (i32.const 4096))
    (func (export "eq") (param i32 i32) (result i32) (call $eq (local.get 0) (local.get 1)))
    (func (export "grow") (call $grow (i32.const 0)))
    (func (export "dns") (result i32) (call $dns (i32.const 100) (i32.const 11) (i32.const 200))))`);
  const host = await Host.create({ wasm });
  const ex = vmOf(host, 0).exports;
  assert.deepEqual([ex.eq(3, 3), ex.eq(3, 4)], [1, 0]);
  ex.grow();
  assert.equal(ex.dns(), R.Ok);
  assert.match(host.warnings[0], /envoy_resolve_dns is not simulated/);
});
