// Clusters mapped to real services: the filter's gRPC calls go over real HTTP/2 with its
// bytes unchanged, its HTTP calls over real HTTP/1.1, answers come back through the host's
// loop, and failures reach the filter with the codes Envoy's async clients give.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createH2Server, constants as h2, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { Host } from "../../host-test/index.ts";
import { envoyGrpcStatus, parseAddress } from "../../host-test/internal.ts";
import { closedPort, startRawGrpcServer, type RawUnaryHandler } from "../support/grpc.ts";

const RLS = "envoy.service.ratelimit.v3.RateLimitService";
const MODULE = "build/modules/as_calls.wasm";
const CONNECT_FAILURE = "upstream connect error or disconnect/reset before headers. reset reason: connection failure";

/** as_calls in `mode` (its root context calls cluster "ratelimit" or "quota" in on_configure) with `address` behind the cluster. */
async function hostCalling(t: TestContext, mode: string, cluster: string, address: string): Promise<Host> {
  const host = await Host.create({ wasm: MODULE, pluginConfig: mode, clusters: { [cluster]: { address } }, canary: false });
  t.after(() => host.close());
  return host;
}

async function grpcServer(t: TestContext, handler: RawUnaryHandler) {
  const s = await startRawGrpcServer({ [RLS]: { ShouldRateLimit: handler } });
  t.after(() => s.stop());
  return s;
}

async function httpServer(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test("a gRPC call reaches a real server over HTTP/2 with the filter's exact bytes, metadata and the cluster as authority; the answer reaches on_grpc_receive", async (t) => {
  const seen: Array<{ bytes: string; md: string | undefined; path: string; authority: string }> = [];
  const svc = await grpcServer(t, (call, cb) => {
    seen.push({ bytes: call.request.toString("latin1"), md: call.metadata.get("x-md")[0] as string | undefined, path: call.getPath(), authority: call.getHost() });
    cb(null, Buffer.concat([Buffer.from("ok:"), call.request]));
  });
  const host = await hostCalling(t, "grpc", "ratelimit", svc.address);
  assert.ok(host.logs("info").includes("grpc start 0 5"), host.logs().join("\n"));
  assert.equal(host.logs("info").some((l) => l.startsWith("grpc receive")), false, "nothing is delivered before the real answer");
  await host.whenRemoteIdle();
  assert.deepEqual(seen, [{ bytes: "req", md: "1", path: `/${RLS}/ShouldRateLimit`, authority: "ratelimit" }]);
  assert.ok(host.logs("info").includes("grpc receive 5 ok:req"), host.logs().join("\n"));
  assert.equal(host.grpcCalls[0].state, "answered");
  assert.deepEqual(host.traps, []);
});

test("a gRPC status from the server reaches on_grpc_close with its code and message", async (t) => {
  const svc = await grpcServer(t, (_call, cb) => cb({ code: GrpcStatus.RESOURCE_EXHAUSTED, details: "over the limit" }));
  const host = await hostCalling(t, "grpc", "ratelimit", svc.address);
  await host.whenRemoteIdle();
  assert.ok(host.logs("info").includes("grpc close 5 8 8 over the limit"), host.logs().join("\n"));
});

test("nothing listening: the gRPC call closes UNAVAILABLE with the router's connect-failure text", async (t) => {
  const host = await hostCalling(t, "grpc", "ratelimit", `127.0.0.1:${await closedPort()}`);
  await host.whenRemoteIdle();
  assert.ok(host.logs("info").includes(`grpc close 5 14 14 ${CONNECT_FAILURE}`), host.logs().join("\n"));
});

test("a server slower than the call's timeout: UNAVAILABLE 'upstream request timeout' on the host's clock, and the server sees the call cancelled", async (t) => {
  let cancelled = false;
  let arrived = false;
  const svc = await grpcServer(t, (call) => {
    arrived = true;
    call.on("cancelled", () => { cancelled = true; });
  });
  const host = await hostCalling(t, "grpc", "ratelimit", svc.address);
  for (let i = 0; i < 200 && !arrived; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(arrived, "the call reached the server");
  host.clock.advance(999);
  assert.equal(host.logs("info").some((l) => l.startsWith("grpc close")), false, "not before the 1000 ms timeout");
  host.clock.advance(1);
  assert.ok(host.logs("info").includes("grpc close 5 14 14 upstream request timeout"), host.logs().join("\n"));
  assert.equal(host.grpcCalls[0].state, "timeout");
  await host.whenRemoteIdle();
  for (let i = 0; i < 200 && !cancelled; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cancelled, "the server saw the stream reset");
});

test("an HTTP/2 answer that is not 200 and has no grpc-status closes CANCELLED with no message; a reset after headers closes INTERNAL", async (t) => {
  const server = createH2Server();
  let mode: "503" | "reset" = "503";
  server.on("stream", (stream) => {
    stream.on("data", () => {});
    stream.on("error", () => {}); // its own reset, below
    if (mode === "503") stream.respond({ ":status": 503, "content-type": "text/plain" }, { endStream: true });
    else {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      setTimeout(() => stream.close(h2.NGHTTP2_INTERNAL_ERROR), 20);
    }
  });
  const sessions = new Set<ServerHttp2Session>();
  server.on("session", (s) => sessions.add(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => {
    for (const s of sessions) s.destroy();
    server.close(() => resolve());
  }));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const first = await hostCalling(t, "grpc", "ratelimit", address);
  await first.whenRemoteIdle();
  assert.ok(first.logs("info").includes("grpc close 5 1 1 "), first.logs().join("\n"));
  mode = "reset";
  const second = await hostCalling(t, "grpc", "ratelimit", address);
  await second.whenRemoteIdle();
  assert.ok(second.logs("info").includes("grpc close 5 13 13 "), second.logs().join("\n"));
});

test("an HTTP call reaches a real server over HTTP/1.1 with its method, path, authority and body; the response reaches on_http_call_response", async (t) => {
  const seen: string[] = [];
  const address = await httpServer(t, (req, res) => {
    let body = "";
    req.on("data", (b: Buffer) => { body += b; });
    req.on("end", () => {
      seen.push(`${req.method} ${req.url} ${req.headers.host} ${req.httpVersion} ${body}`);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("left=5");
    });
  });
  const host = await hostCalling(t, "http", "quota", address);
  await host.whenRemoteIdle();
  assert.deepEqual(seen, ["GET /quota quota 1.1 q"]);
  assert.ok(host.logs("info").includes("http response 4 200 left=5"), host.logs().join("\n"));
});

test("HTTP calls: nothing listening gives the router's 503; a slow server gives 504 'upstream request timeout' at the call's timeout", async (t) => {
  const refused = await hostCalling(t, "http", "quota", `127.0.0.1:${await closedPort()}`);
  await refused.whenRemoteIdle();
  assert.ok(refused.logs("info").includes(`http response 4 503 ${CONNECT_FAILURE}`), refused.logs().join("\n"));

  let arrived = false;
  const address = await httpServer(t, () => { arrived = true; });
  const slow = await hostCalling(t, "http", "quota", address);
  for (let i = 0; i < 200 && !arrived; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(arrived);
  slow.clock.advance(1000);
  assert.ok(slow.logs("info").includes("http response 4 504 upstream request timeout"), slow.logs().join("\n"));
  await slow.whenRemoteIdle();
});

test("a malformed cluster address is refused when the host is created", async () => {
  await assert.rejects(Host.create({ wasm: MODULE, clusters: { ratelimit: { address: "localhost" } } }), /cluster ratelimit: address "localhost" is not host:port/);
});

test("grpc-js's own failures map to what Envoy's async client reports; a server's status passes as it is", () => {
  const failure = "upstream connect error or disconnect/reset before headers. reset reason: ";
  const cases: Array<[string, number, boolean, [number, string]]> = [
    ["No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1", 14, false, [14, failure + "connection failure"]],
    ["Connection dropped", 14, false, [14, failure + "connection termination"]],
    ["Connection dropped", 14, true, [13, ""]],
    ["Received RST_STREAM with code 2 (Internal server error)", 13, true, [13, ""]],
    ["Received RST_STREAM with code 0 (Call ended without gRPC status)", 13, false, [14, failure + "remote reset"]],
    ["Stream refused by server", 14, false, [14, failure + "remote refused stream reset"]],
    ["Received HTTP status code 503", 14, false, [1, ""]],
    ["No message received", 12, true, [13, ""]],
    ["over the limit", 8, true, [8, "over the limit"]],
    ["no healthy upstream", 14, false, [14, "no healthy upstream"]],
  ];
  for (const [details, code, gotHeaders, [status, message]] of cases) {
    assert.deepEqual(envoyGrpcStatus({ code, details }, gotHeaders), { status, statusMessage: message }, details);
  }
});

test("cluster addresses are host:port or [v6]:port", () => {
  assert.deepEqual(parseAddress("127.0.0.1:8081"), { host: "127.0.0.1", port: 8081 });
  assert.deepEqual(parseAddress("[::1]:9"), { host: "::1", port: 9 });
  assert.equal(parseAddress("127.0.0.1"), null);
  assert.equal(parseAddress("127.0.0.1:0"), null);
  assert.equal(parseAddress("127.0.0.1:65536"), null);
});
