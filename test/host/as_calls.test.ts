// The project's outbound-call, timer and gauge wrappers (assembly/abi) against the host:
// the calls reach it with the ABI 0.2.1 arity and answers come back to the root context.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Host } from "../../host-test/index.ts";

const RLS = "envoy.service.ratelimit.v3.RateLimitService";
const MODULE = "build/modules/as_calls.wasm";

function calls(mode: string, clusters: string[]): Promise<Host> {
  return Host.create({ wasm: MODULE, pluginConfig: mode, clusters, canary: false });
}

test("grpcCall sends service, method, metadata and message; the answer arrives in on_grpc_receive", async () => {
  const host = await calls("x", ["ratelimit"]);
  host.onGrpcCall(RLS, "ShouldRateLimit", (c) => ({ message: `ok:${new TextDecoder().decode(c.message)}` }));
  host.reconfigure("grpc");
  // The canary VM runs on_configure too (as Envoy's does), so the worker's call is the second.
  assert.equal(host.grpcCalls.length, 2);
  assert.equal(host.grpcCalls.at(-1)!.cluster, "ratelimit");
  assert.deepEqual(host.grpcCalls.at(-1)!.initialMetadata, [["x-md", "1"]]);
  const info = host.logs("info");
  assert.ok(info.includes("grpc start 0 5"), info.join("\n"));
  assert.ok(info.includes("grpc receive 5 ok:req"), info.join("\n"));
});

test("a failed gRPC call closes with its status and getStatus returns code and message", async () => {
  const host = await calls("x", ["ratelimit"]);
  host.onGrpcCall(RLS, "ShouldRateLimit", () => ({ status: 14, statusMessage: "no healthy upstream" }));
  host.reconfigure("grpc-fail");
  const info = host.logs("info");
  assert.ok(info.includes("grpc start 0 5"), info.join("\n"));
  assert.ok(info.includes("grpc close 5 14 14 no healthy upstream"), info.join("\n"));
});

test("grpcCancel of a pending call is OK and nothing calls back", async () => {
  const host = await calls("x", ["ratelimit"]);
  host.onGrpcCall(RLS, "ShouldRateLimit", () => ({ message: "late", delayMs: 10 }));
  host.reconfigure("cancel");
  host.clock.advance(20);
  const info = host.logs("info");
  assert.ok(info.includes("cancel 0"), info.join("\n"));
  assert.equal(info.some((l) => l.startsWith("grpc receive")), false);
});

test("httpCall carries the pseudo-headers; the response headers and body reach on_http_call_response", async () => {
  const host = await calls("x", ["quota"]);
  host.onHttpCall("quota", () => ({ headers: { ":status": "200" }, body: "left=5" }));
  host.reconfigure("http");
  const info = host.logs("info");
  assert.ok(info.includes("http start 0 4"), info.join("\n"));
  assert.ok(info.includes("http response 4 200 left=5"), info.join("\n"));
});

test("setTickPeriod drives on_tick as time passes and a gauge records the count", async () => {
  const host = await calls("tick", []);
  host.clock.advance(3000);
  assert.ok(host.logs("info").includes("tick period 0"));
  assert.equal(host.metric("as.ticks"), 3);
});
