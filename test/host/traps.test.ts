// Traps: any trap fails the VM for good, is reported, and streams follow fail_open as
// Envoy does (cpp-host CHECK_FAIL, Envoy Context::failStream): fail closed answers 503
// "wasm_fail_stream" (or resets when the response already started), fail open passes
// everything through without calling the VM. proc_exit itself only logs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { WasmResult as R, pairsBlob } from "../../host-test/index.ts";
import { probeHost, REQ, hc, inRoot, RET } from "./helpers.ts";

const RESPONSE = { headers: { ":status": "200" }, body: "answer" };

test("a trap in on_request_headers, fail closed: 503 to the client, the upstream never sees the request, the trap is reported", async () => {
  const host = await probeHost();
  host.probe("proxy_on_request_headers", (g) => g.call("do_trap"), { once: true });
  const r = host.exchange({ request: { headers: REQ, body: "x" }, response: RESPONSE });
  assert.equal(r.status, 503);
  assert.deepEqual(r.headerPairs, [[":status", "503"]]);
  assert.equal(r.body, "");
  assert.equal(r.localResponse!.details, "wasm_fail_stream");
  assert.equal(r.localResponse!.grpcStatus, 14);
  assert.equal(r.upstreamRequest, null);
  assert.deepEqual(host.traps, [{ vm: "worker 0", function: "proxy_on_request_headers", message: "Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable" }]);
  assert.ok(host.logEntries.some((l) => l.source === "host" && l.level === "error" && l.message.startsWith("Wasm VM failed Function: proxy_on_request_headers")));
  // No more calls into the failed VM, not even on_log / on_done / on_delete.
  assert.deepEqual(host.callNames("worker 0").slice(-2), ["proxy_on_context_create", "proxy_on_request_headers"]);
  assert.equal(host.worker(0).failed, true);
  // Later streams on that worker are answered 503 without touching the VM.
  const mark = host.calls.length;
  const r2 = host.exchange({ request: { headers: REQ }, response: RESPONSE });
  assert.equal(r2.status, 503);
  assert.equal(host.calls.length, mark);
});

test("fail open: the trapping stream continues and later streams bypass the filter", async () => {
  const host = await probeHost({ failOpen: true });
  host.probe("proxy_on_request_headers", (g) => {
    hc(g, "proxy_add_header_map_value", 0, ...g.put("x-before-trap"), ...g.put("1"));
    g.call("do_trap");
  }, { once: true });
  const r = host.exchange({ request: { headers: REQ, body: "x" }, response: RESPONSE });
  assert.equal(r.status, 200);
  assert.equal(r.body, "answer");
  assert.equal(r.upstreamRequest!.body, "x");
  assert.equal(r.upstreamRequest!.headers["x-before-trap"], "1"); // what the guest did before trapping stays
  const mark = host.calls.length;
  const r2 = host.exchange({ request: { headers: REQ }, response: RESPONSE });
  assert.equal(r2.status, 200);
  assert.equal(r2.stream.contextId, 0); // filter not installed
  assert.equal(host.calls.length, mark);
});

test("a trap after the response headers were sent resets the stream (fail closed)", async () => {
  const host = await probeHost();
  host.probe("proxy_on_response_body", (g) => g.call("do_trap"));
  const r = host.exchange({ request: { headers: REQ }, response: { headers: { ":status": "200" }, body: "abcdef", chunkSize: 3 } });
  assert.equal(r.reset, true);
  assert.equal(r.status, 200);
  assert.equal(r.body, "");
});

test("out-of-bounds access and abort are traps too; proc_exit alone only logs (at trace) and returns", async () => {
  const host = await probeHost({ logLevel: "trace", workers: 3 });
  host.probe("proxy_on_request_headers", (g) => g.call("do_oob"), { vm: "worker 0" });
  host.probe("proxy_on_request_headers", (g) => g.call("do_abort"), { vm: "worker 1" });
  host.probe("proxy_on_request_headers", (g) => g.call("w_proc_exit", 1), { vm: "worker 2" });
  const statuses = [0, 1, 2].map((w) => host.exchange({ request: { headers: REQ }, response: RESPONSE, worker: w }).status);
  assert.deepEqual(statuses, [503, 503, 200]);
  assert.deepEqual(host.traps.map((t) => t.message), [
    "Function: proxy_on_request_headers failed: Uncaught RuntimeError: memory access out of bounds",
    "Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable",
  ]);
  const procExit = host.logEntries.filter((l) => l.message === "wasi_unstable proc_exit");
  assert.deepEqual(procExit.map((l) => [l.vm, l.level]), [["worker 1", "trace"], ["worker 2", "trace"]]);
  assert.equal(host.worker(2).failed, false);
});

test("a trap in a root callback fails the whole VM: that worker answers 503, others are unaffected", async () => {
  const host = await probeHost({ workers: 2 });
  inRoot(host, (g) => g.call("do_trap"), 1);
  assert.equal(host.traps[0].function, "proxy_on_tick");
  assert.equal(host.exchange({ request: { headers: REQ }, response: RESPONSE, worker: 0 }).status, 200);
  assert.equal(host.exchange({ request: { headers: REQ }, response: RESPONSE, worker: 1 }).status, 503);
});

test("after a VM fails, call responses and ticks are no longer delivered", async () => {
  const host = await probeHost({ clusters: { c: () => ({ status: 200, delayMs: 10 }) } });
  inRoot(host, (g) => {
    const headers = pairsBlob({ ":method": "GET", ":path": "/", ":authority": "c" });
    assert.equal(hc(g, "proxy_http_call", ...g.put("c"), ...g.put(headers), 0, 0, 0, 0, 0, g.slot(4)), R.Ok);
    hc(g, "proxy_set_tick_period_milliseconds", 5);
    g.call("do_trap");
  });
  const mark = host.calls.length;
  host.clock.advance(100);
  assert.equal(host.calls.length, mark);
});

test("a trap in the canary's on_configure rejects the configuration", async () => {
  const host = await probeHost({ probes: [{ fn: "proxy_on_configure", vm: "canary", handler: (g) => g.call("do_trap") }] });
  assert.equal(host.accepted, false);
  assert.equal(host.rejection, "Failed to configure base Wasm plugin: Function: proxy_on_configure failed: Uncaught RuntimeError: unreachable");
});

test("a worker whose on_configure returns false serves no filter: its streams get 503 (fail closed) or pass (fail open)", async () => {
  for (const failOpen of [false, true]) {
    const host = await probeHost({ workers: 2, failOpen, probes: [{ fn: "proxy_on_configure", vm: "worker 1", handler: (g) => g.setU32(RET.configure, 0) }] });
    assert.deepEqual(host.configureResult, [true, false]);
    assert.equal(host.exchange({ request: { headers: REQ }, response: RESPONSE, worker: 1 }).status, failOpen ? 200 : 503);
    assert.equal(host.exchange({ request: { headers: REQ }, response: RESPONSE, worker: 0 }).status, 200);
  }
});
