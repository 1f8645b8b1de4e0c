// Lifecycle as Envoy runs it: base VM start functions (restricted), the configuration
// canary, worker VMs (on_context_create, on_vm_start, on_configure), stream callbacks in
// Envoy's order ending on_log -> on_done -> on_delete, reconfiguration and shutdown.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Host, BufferType, WasmResult } from "../../host-test/index.ts";
import { wat, probeHost, REQ, getBuffer, hc, setRet, setMallocMode, text, vmOf } from "./helpers.ts";

test("start order: base VM _initialize, canary start+configure, then each worker", async () => {
  const host = await probeHost({ pluginConfig: "{}", vmConfig: "vmcfg", workers: 2 });
  const seq = host.calls.filter((c) => c.fn !== "malloc").map((c) => `${c.vm}: ${c.fn}(${c.args.join(",")})`);
  assert.deepEqual(seq, [
    "base: _initialize()",
    "canary: _initialize()",
    "canary: proxy_on_context_create(1,0)",
    "canary: proxy_on_vm_start(1,5)",
    "canary: proxy_on_configure(1,2)",
    "worker 0: _initialize()",
    "worker 0: proxy_on_context_create(1,0)",
    "worker 0: proxy_on_vm_start(1,5)",
    "worker 0: proxy_on_configure(1,2)",
    "worker 1: _initialize()",
    "worker 1: proxy_on_context_create(1,0)",
    "worker 1: proxy_on_vm_start(1,5)",
    "worker 1: proxy_on_configure(1,2)",
  ]);
  assert.deepEqual(host.configureResult, [true, true]);
  assert.equal(host.worker(1).rootContextId, 1);
});

test("the plugin configuration is readable in on_configure (and the root's on_context_create), not in on_vm_start", async () => {
  const seen: Record<string, string> = {};
  const record = (name: string) => ({
    fn: name,
    vm: "worker 0",
    handler: (g: import("../../host-test/index.ts").GuestProbe) => {
      const [s, b] = getBuffer(g, BufferType.PluginConfiguration);
      const [vs, vb] = getBuffer(g, BufferType.VmConfiguration);
      seen[name] = `${s}:${text(b)} vm=${vs}:${text(vb)}`;
    },
  });
  await probeHost({
    pluginConfig: '{"a":1}', vmConfig: "V",
    probes: [record("proxy_on_context_create"), record("proxy_on_vm_start"), record("proxy_on_configure")],
  });
  assert.deepEqual(seen, {
    proxy_on_context_create: '0:{"a":1} vm=0:V',
    proxy_on_vm_start: "1: vm=0:V",
    proxy_on_configure: '0:{"a":1} vm=0:V',
  });
});

test("an object pluginConfig is passed as JSON", async () => {
  let got = "";
  await probeHost({ pluginConfig: { limits: {} }, probes: [{ fn: "proxy_on_configure", vm: "worker 0", handler: (g) => (got = text(getBuffer(g, BufferType.PluginConfiguration)[1])) }] });
  assert.equal(got, '{"limits":{}}');
});

test("stream callbacks run in Envoy's order and end with on_log, on_done, on_delete", async () => {
  const host = await probeHost();
  const mark = host.calls.length;
  const r = host.exchange({ request: { headers: REQ, body: "hello" }, response: { headers: { ":status": "200" }, body: "world!" } });
  assert.equal(r.status, 200);
  const seq = host.calls.slice(mark).filter((c) => c.fn !== "malloc").map((c) => `${c.fn}(${c.args.join(",")})`);
  assert.deepEqual(seq, [
    "proxy_on_context_create(2,1)",
    "proxy_on_request_headers(2,6,0)",
    "proxy_on_request_body(2,5,1)",
    "proxy_on_response_headers(2,1,0)",
    "proxy_on_response_body(2,6,1)",
    "proxy_on_log(2)",
    "proxy_on_done(2)",
    "proxy_on_delete(2)",
  ]);
});

test("header-only request and response pass end_of_stream on headers", async () => {
  const host = await probeHost({ requestIdHeader: false, forwardedProto: null });
  const mark = host.calls.length;
  host.exchange({ request: { headers: { ":method": "GET", ":path": "/", ":authority": "a" } }, response: { headers: { ":status": "204" } } });
  const seq = host.calls.slice(mark).map((c) => `${c.fn}(${c.args.join(",")})`);
  assert.deepEqual(seq.slice(1, 3), ["proxy_on_request_headers(2,3,1)", "proxy_on_response_headers(2,1,1)"]);
});

test("a reset mid-stream still runs on_log, on_done, on_delete", async () => {
  const host = await probeHost();
  const s = host.newStream();
  s.sendRequestHeaders(REQ, false);
  const mark = host.calls.length;
  s.reset();
  assert.deepEqual(host.calls.slice(mark).map((c) => c.fn), ["proxy_on_log", "proxy_on_done", "proxy_on_delete"]);
  assert.equal(s.completed, true);
  assert.equal(s.upstreamRequest!.reset, true);
});

test("a stream reset before its headers reached the filter creates the context for on_log (Context::log)", async () => {
  const host = await probeHost();
  const s = host.newStream();
  const mark = host.calls.length;
  s.reset();
  assert.deepEqual(host.calls.slice(mark).map((c) => c.fn), ["proxy_on_context_create", "proxy_on_log", "proxy_on_done", "proxy_on_delete"]);
});

test("with autoComplete off, on_log waits for complete()", async () => {
  const host = await probeHost({ autoComplete: false });
  const s = host.newStream();
  s.sendRequestHeaders(REQ, true);
  s.sendResponseHeaders({ ":status": "200" }, true);
  assert.equal(s.completed, false);
  assert.equal(host.callNames().includes("proxy_on_log"), false);
  s.complete();
  assert.deepEqual(host.callNames().slice(-3), ["proxy_on_log", "proxy_on_done", "proxy_on_delete"]);
});

test("context ids: root 1 per VM, streams from 2 on each VM", async () => {
  const host = await probeHost({ workers: 2 });
  const a = host.newStream({ worker: 0 });
  const b = host.newStream({ worker: 1 });
  const c = host.newStream({ worker: 0 });
  assert.deepEqual([a.contextId, b.contextId, c.contextId], [2, 2, 3]);
});

test("a canary whose on_configure returns false rejects the configuration; no worker starts", async () => {
  const host = await Host.create({ wasm: await wat("configure_false"), workers: 2 });
  assert.equal(host.accepted, false);
  assert.match(host.rejection!, /^Failed to configure base Wasm plugin/);
  assert.equal(host.workerCount, 0);
  assert.deepEqual(host.logs("info"), ["vm start", "configure"]);
  assert.throws(() => host.newStream(), /configuration was rejected/);
});

test("on_vm_start returning false fails the start", async () => {
  const text = `(module (memory (export "memory") 1)
    (func (export "proxy_abi_version_0_2_1"))
    (func (export "malloc") (param i32) (result i32) (i32.const 4096))
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 0)))`;
  const host = await Host.create({ wasm: await (await import("./helpers.ts")).watToWasm(text) });
  assert.equal(host.accepted, false);
  assert.equal(host.rejection, "Failed to start base Wasm");
});

test("the start window allows proxy_log, fd_write, clock_time_get, random_get and environ", async () => {
  const host = await Host.create({ wasm: await wat("start_allowed"), env: { A: "1" } });
  assert.equal(host.accepted, true);
  const mem = vmOf(host, 0).memory;
  assert.deepEqual([2048, 2052, 2056, 2060, 2064].map((p) => mem.getU32(p)), [0, 0, 0, 0, 0]);
  assert.equal(mem.getU32(2144), 1); // one environment variable
  assert.deepEqual(host.logs("info").slice(0, 2), ["starting", "hello from stdout"]);
});

test("any other hostcall in the start window traps (restricted_callback) and the configuration is rejected", async () => {
  const host = await Host.create({ wasm: await wat("start_restricted") });
  assert.equal(host.accepted, false);
  assert.equal(host.traps[0].message, "Function: _initialize failed: Uncaught RuntimeError: restricted_callback");
  assert.match(host.rejection!, /^Failed to initialize Wasm code/);
});

test("malloc may log, but a restricted hostcall inside malloc traps and the allocation fails", async () => {
  const host = await probeHost({ pluginConfig: "cfg" });
  const statuses: number[] = [];
  host.probe("proxy_on_request_headers", (g) => {
    setMallocMode(host, 3);
    statuses.push(getBuffer(g, BufferType.VmConfiguration)[0]); // empty: no malloc
    const pp = g.slot(4);
    const sp = g.slot(4);
    const [kp, kl] = g.put(":path");
    statuses.push(hc(g, "proxy_get_header_map_value", 0, kp, kl, pp, sp)); // logs from malloc
    setMallocMode(host, 4);
    statuses.push(hc(g, "proxy_get_header_map_value", 0, kp, kl, pp, sp)); // malloc traps
  });
  host.newStream().sendRequestHeaders(REQ);
  assert.deepEqual(statuses, [WasmResult.Ok, WasmResult.Ok, WasmResult.InvalidMemoryAccess]);
  assert.deepEqual(host.logs("info"), ["in malloc"]);
  assert.equal(host.traps[0].message, "Function: malloc failed: Uncaught RuntimeError: restricted_callback");
  assert.equal(host.worker(0).failed, true);
});

test("reconfigure: canary, then a new root context per worker; the old one gets on_done and on_delete", async () => {
  const host = await probeHost({ pluginConfig: "one" });
  const mark = host.calls.length;
  assert.equal(host.reconfigure("two!"), true);
  const seq = host.calls.slice(mark).map((c) => `${c.vm}: ${c.fn}(${c.args.join(",")})`);
  assert.deepEqual(seq, [
    "canary: _initialize()",
    "canary: proxy_on_context_create(1,0)",
    "canary: proxy_on_vm_start(1,0)",
    "canary: proxy_on_configure(1,4)",
    "worker 0: proxy_on_context_create(2,0)",
    "worker 0: proxy_on_vm_start(2,0)",
    "worker 0: proxy_on_configure(2,4)",
    "worker 0: proxy_on_done(1)",
    "worker 0: proxy_on_delete(1)",
  ]);
  assert.equal(host.worker(0).rootContextId, 2);
  assert.equal(host.newStream().contextId, 3);
});

test("a root whose on_done returns 0 waits for proxy_done before on_delete", async () => {
  const host = await probeHost();
  setRet(host, "done", 0);
  host.close();
  assert.equal(host.callNames().includes("proxy_on_delete"), false);
  // Later, on a tick, the root says it is done.
  host.probe("proxy_on_tick", (g) => assert.equal(hc(g, "proxy_done"), WasmResult.Ok));
  const root = vmOf(host, 0).contexts.get(1)!;
  vmOf(host, 0).deferred(() => vmOf(host, 0).call(root, "proxy_on_tick", 1));
  assert.deepEqual(host.callNames().slice(-2), ["proxy_on_tick", "proxy_on_delete"]);
});

test("proxy_done when nothing is shutting down is NOT_FOUND", async () => {
  const host = await probeHost();
  let st = -1;
  host.probe("proxy_on_request_headers", (g) => (st = hc(g, "proxy_done")));
  host.newStream().sendRequestHeaders(REQ);
  assert.equal(st, WasmResult.NotFound);
});

test("reconfigure with a configuration the canary rejects changes nothing", async () => {
  const host = await probeHost({ pluginConfig: "good" });
  const off = host.probe("proxy_on_configure", (g) => g.setU32(260, 0), { vm: "canary" });
  assert.equal(host.reconfigure("bad"), false);
  off();
  assert.equal(host.worker(0).rootContextId, 1);
  assert.equal(host.callNames("worker 0").filter((f) => f === "proxy_on_configure").length, 1);
  assert.ok(host.logEntries.some((l) => l.source === "host" && /Failed to configure base Wasm plugin/.test(l.message)));
});
