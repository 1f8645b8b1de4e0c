// Outbound calls as Envoy's Context::httpCall / grpcCall / grpcStream: owned by the root
// context, tokens numbered as cpp-host does, argument checks, answers delivered later on the
// event loop (or after a delay, a timeout, a reset), proxy_get_status after a failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BufferType, HeaderMapType as M, StreamType, WasmResult as R, pairsBlob, type GuestProbe, type Host } from "../../host-test/index.ts";
import { probeHost, REQ, hc, getHeader, getBuffer, inRoot, setRet, text } from "./helpers.ts";

const CALL_HEADERS = { ":method": "POST", ":path": "/check", ":authority": "limits" };

function httpCall(g: GuestProbe, cluster: string, headers: Record<string, string>, body = "", timeout = 1000): [number, number] {
  const [c, cl] = g.put(cluster);
  const [h, hl] = g.put(pairsBlob(headers));
  const [b, bl] = g.put(body);
  const tok = g.slot(4);
  const st = hc(g, "proxy_http_call", c, cl, h, hl, b, bl, 0, 0, timeout >>> 0, tok);
  return [st, g.u32(tok)];
}

function status(g: GuestProbe): [number, string] {
  const code = g.slot(4);
  const p = g.slot(4);
  const s = g.slot(4);
  hc(g, "proxy_get_status", code, p, s);
  return [g.u32(code), g.resultText(p, s)];
}

/** Records what on_http_call_response saw. */
function recordResponses(host: Host): string[] {
  const seen: string[] = [];
  host.probe("proxy_on_http_call_response", (g) => {
    const [, token, nh, nb, nt] = g.args;
    const st = getHeader(g, M.HttpCallResponseHeaders, ":status");
    const body = getBuffer(g, BufferType.HttpCallResponseBody);
    seen.push(`token=${token} h=${nh} b=${nb} t=${nt} status=${st[1]} body=${text(body[1])} get_status=${status(g).join(":")}`);
  });
  return seen;
}

test("proxy_http_call: tokens 4, 8, ...; the answer arrives on the root context with its headers and body", async () => {
  const host = await probeHost({ clusters: { limits: (c) => ({ status: 200, headers: { "x-remaining": "7" }, body: `ok ${c.bodyText}` }) } });
  const seen = recordResponses(host);
  const results: Array<[number, number]> = [];
  inRoot(host, (g) => {
    results.push(httpCall(g, "limits", CALL_HEADERS, "q1"), httpCall(g, "limits", CALL_HEADERS, "q2"));
  });
  assert.deepEqual(results, [[R.Ok, 4], [R.Ok, 8]]);
  assert.deepEqual(seen, [
    "token=4 h=2 b=5 t=0 status=200 body=ok q1 get_status=0:",
    "token=8 h=2 b=5 t=0 status=200 body=ok q2 get_status=0:",
  ]);
  const call = host.httpCalls[0];
  assert.equal(call.cluster, "limits");
  assert.deepEqual(call.headers, [[":method", "POST"], [":path", "/check"], [":authority", "limits"], ["content-length", "2"]]);
  assert.equal(call.timeoutMs, 1000);
  assert.equal(call.state, "answered");
});

test("the call response is readable only during on_http_call_response", async () => {
  const host = await probeHost({ clusters: { limits: () => ({ status: 200, body: "x" }) } });
  inRoot(host, (g) => httpCall(g, "limits", CALL_HEADERS));
  let after: number[] = [];
  inRoot(host, (g) => (after = [getBuffer(g, BufferType.HttpCallResponseBody)[0], getHeader(g, M.HttpCallResponseHeaders, ":status")[0]]));
  assert.deepEqual(after, [R.NotFound, R.BadArgument]);
});

test("proxy_http_call refuses missing :method/:path/:authority, unknown clusters and negative timeouts with BAD_ARGUMENT", async () => {
  const host = await probeHost({ clusters: ["limits"] });
  const r: Array<[number, number]> = [];
  inRoot(host, (g) => {
    r.push(httpCall(g, "limits", { ":method": "GET", ":path": "/" }));
    r.push(httpCall(g, "limits", { ":path": "/", ":authority": "a" }));
    r.push(httpCall(g, "nowhere", CALL_HEADERS));
    r.push(httpCall(g, "limits", CALL_HEADERS, "", 0x80000000));
  });
  assert.deepEqual(r, [[R.BadArgument, 0], [R.BadArgument, 0], [R.BadArgument, 0], [R.BadArgument, 0]]);
  assert.equal(host.httpCalls.length, 0);
});

test("a call made from a stream context is owned by the root context", async () => {
  const host = await probeHost({ clusters: { limits: () => ({ status: 204 }) } });
  const seen = recordResponses(host);
  host.probe("proxy_on_request_headers", (g) => assert.deepEqual(httpCall(g, "limits", CALL_HEADERS), [R.Ok, 4]));
  host.newStream().sendRequestHeaders(REQ);
  assert.equal(host.calls.find((c) => c.fn === "proxy_on_http_call_response")!.args[0], 1);
  assert.equal(seen.length, 1);
});

test("delays and timeouts follow the simulated clock; a timeout is Envoy's 504 from the router", async () => {
  const host = await probeHost({ clusters: { slow: () => ({ status: 200, body: "late", delayMs: 500 }), dead: () => ({ pending: true }) } });
  const seen = recordResponses(host);
  inRoot(host, (g) => {
    httpCall(g, "slow", CALL_HEADERS, "", 1000);
    httpCall(g, "dead", CALL_HEADERS, "", 200);
  });
  assert.deepEqual(seen, []);
  host.clock.advance(199);
  assert.deepEqual(seen, []);
  host.clock.advance(1);
  assert.deepEqual(seen, ["token=8 h=3 b=24 t=0 status=504 body=upstream request timeout get_status=0:"]);
  host.clock.advance(300);
  assert.equal(seen[1], "token=4 h=1 b=4 t=0 status=200 body=late get_status=0:");
  assert.deepEqual(host.httpCalls.map((c) => c.state), ["answered", "timeout"]);
});

test("a reset call: on_http_call_response(token, 0, 0, 0) and proxy_get_status says BROKEN_CONNECTION \"reset\" during it", async () => {
  const host = await probeHost({ clusters: { flaky: () => ({ reset: true }) } });
  const seen = recordResponses(host);
  inRoot(host, (g) => httpCall(g, "flaky", CALL_HEADERS));
  assert.deepEqual(seen, [`token=4 h=0 b=0 t=0 status= body= get_status=${R.BrokenConnection}:reset`]);
  let later: [number, string] = [0, ""];
  inRoot(host, (g) => (later = status(g)));
  assert.deepEqual(later, [R.BrokenConnection, ""]); // the message is cleared after the callback, the code stays
});

test("connect failure is the router's 503; an inline send failure is INTERNAL_FAILURE with no callback", async () => {
  const host = await probeHost({ clusters: { down: () => ({ connectFailure: true }), broken: () => ({ sendFailure: true }) } });
  const seen = recordResponses(host);
  let r: Array<[number, number]> = [];
  inRoot(host, (g) => (r = [httpCall(g, "down", CALL_HEADERS), httpCall(g, "broken", CALL_HEADERS)]));
  assert.deepEqual(r, [[R.Ok, 4], [R.InternalFailure, 0]]);
  assert.equal(seen.length, 1);
  assert.match(seen[0], /status=503 body=upstream connect error or disconnect\/reset before headers/);
});

test("answering by hand through the call record", async () => {
  const host = await probeHost({ clusters: ["limits"] });
  const seen = recordResponses(host);
  inRoot(host, (g) => httpCall(g, "limits", CALL_HEADERS, "", 0));
  host.clock.advance(60_000);
  assert.equal(seen.length, 0); // no timeout, no handler
  host.httpCalls[0].respond({ headers: { ":status": "429" }, body: "no" });
  host.flush();
  assert.match(seen[0], /status=429 body=no/);
});

test("the usual pattern: pause at request headers, call out, resume or answer from the call response", async () => {
  const host = await probeHost({ clusters: { limits: (c) => ({ status: c.header("x-user") === "bob" ? 429 : 200, delayMs: 5 }) } });
  const pending = new Map<number, number>(); // token -> stream
  setRet(host, "requestHeaders", 1);
  host.probe("proxy_on_request_headers", (g) => {
    const [, token] = httpCall(g, "limits", { ...CALL_HEADERS, "x-user": getHeader(g, M.RequestHeaders, "x-user")[1] });
    pending.set(token, g.args[0]);
  });
  host.probe("proxy_on_http_call_response", (g) => {
    const stream = pending.get(g.args[1])!;
    const code = getHeader(g, M.HttpCallResponseHeaders, ":status")[1];
    hc(g, "proxy_set_effective_context", stream);
    if (code === "200") hc(g, "proxy_continue_stream", StreamType.Request);
    else {
      const [d, dl] = g.put("limited");
      hc(g, "proxy_send_local_response", 429, d, dl, 0, 0, ...g.put(pairsBlob({ "retry-after": "1" })), -1 >>> 0);
    }
  });
  const ok = host.exchange({ request: { headers: { ...REQ, "x-user": "alice" }, body: "{}" }, response: { headers: { ":status": "200" }, body: "answer" } });
  assert.equal(ok.status, 200);
  assert.equal(ok.upstreamRequest!.body, "{}");
  const limited = host.exchange({ request: { headers: { ...REQ, "x-user": "bob" }, body: "{}" } });
  assert.equal(limited.status, 429);
  assert.equal(limited.headers["retry-after"], "1");
  assert.equal(limited.upstreamRequest, null);
  assert.equal(host.clock.now() - Date.UTC(2026, 0, 1), 10);
});

// -------------------------------------------------------------------------------- gRPC

function grpcCall(g: GuestProbe, service: string | Uint8Array, method = "ShouldRateLimit", message = "req", timeout = 0): [number, number] {
  const [s, sl] = g.put(service);
  const [sn, snl] = g.put("envoy.service.ratelimit.v3.RateLimitService");
  const [m, ml] = g.put(method);
  const [md, mdl] = g.put(pairsBlob({ "x-md": "1" }));
  const [r, rl] = g.put(message);
  const tok = g.slot(4);
  const st = hc(g, "proxy_grpc_call", s, sl, sn, snl, m, ml, md, mdl, r, rl, timeout, tok);
  return [st, g.u32(tok)];
}

const RLS = "envoy.service.ratelimit.v3.RateLimitService";

test("proxy_grpc_call (12 params): tokens 5, 9; success calls only on_grpc_receive, with the message in the receive buffer", async () => {
  const host = await probeHost({ clusters: ["ratelimit"] });
  host.onGrpcCall(RLS, "ShouldRateLimit", (c) => ({ message: `resp:${text(c.message)}` }));
  const seen: string[] = [];
  host.probe("proxy_on_grpc_receive", (g) => seen.push(`receive ${g.args.join(",")} ${text(getBuffer(g, BufferType.GrpcReceiveBuffer)[1])}`));
  host.probe("proxy_on_grpc_close", (g) => seen.push(`close ${g.args.join(",")}`));
  let r: Array<[number, number]> = [];
  inRoot(host, (g) => (r = [grpcCall(g, "ratelimit"), grpcCall(g, "ratelimit")]));
  assert.deepEqual(r, [[R.Ok, 5], [R.Ok, 9]]);
  assert.deepEqual(seen, ["receive 1,5,8 resp:req", "receive 1,9,8 resp:req"]);
  assert.deepEqual(host.grpcCalls[0].initialMetadata, [["x-md", "1"]]);
});

test("a gRPC failure calls on_grpc_close with the status; proxy_get_status returns it with the message during the callback", async () => {
  const host = await probeHost({ clusters: ["ratelimit"] });
  host.onGrpcCall(RLS, "ShouldRateLimit", () => ({ status: 14, statusMessage: "no healthy upstream" }));
  const seen: unknown[] = [];
  host.probe("proxy_on_grpc_close", (g) => seen.push(g.args, status(g)));
  inRoot(host, (g) => grpcCall(g, "ratelimit"));
  assert.deepEqual(seen, [[1, 5, 14], [14, "no healthy upstream"]]);
});

test("gRPC: an unknown plain cluster name is PARSE_FAILURE; a serialized GrpcService names its cluster; a timeout closes with UNAVAILABLE", async () => {
  const host = await probeHost({ clusters: ["ratelimit"] });
  const seen: unknown[] = [];
  host.probe("proxy_on_grpc_close", (g) => seen.push(g.args, status(g)));
  // envoy_grpc { cluster_name: "ratelimit" } = field 1 (len) { field 1 (len) "ratelimit" }
  const svc = Uint8Array.of(0x0a, 11, 0x0a, 9, ...new TextEncoder().encode("ratelimit"));
  let r: Array<[number, number]> = [];
  inRoot(host, (g) => (r = [grpcCall(g, "unknown"), grpcCall(g, svc, "M", "x", 100), grpcCall(g, new Uint8Array(0))]));
  assert.deepEqual(r, [[R.ParseFailure, 0], [R.Ok, 5], [R.BadArgument, 0]]);
  assert.equal(host.grpcCalls[0].cluster, "ratelimit");
  host.clock.advance(100);
  assert.deepEqual(seen, [[1, 5, 14], [14, "upstream request timeout"]]);
});

test("proxy_grpc_cancel / proxy_grpc_close: OK once, then NOT_FOUND; a cancelled call never calls back; an HTTP token is BAD_ARGUMENT", async () => {
  const host = await probeHost({ clusters: ["ratelimit"] });
  host.onGrpcCall(RLS, "ShouldRateLimit", () => ({ message: "x", delayMs: 10 }));
  let r: number[] = [];
  inRoot(host, (g) => {
    const [, t] = grpcCall(g, "ratelimit");
    r = [hc(g, "proxy_grpc_cancel", t), hc(g, "proxy_grpc_cancel", t), hc(g, "proxy_grpc_close", t), hc(g, "proxy_grpc_close", 4), hc(g, "proxy_grpc_send", t, 0, 0, 0)];
  });
  host.clock.advance(20);
  assert.deepEqual(r, [R.Ok, R.NotFound, R.NotFound, R.BadArgument, R.BadArgument]);
  assert.equal(host.callNames().includes("proxy_on_grpc_receive"), false);
});

test("gRPC streams: tokens 6, 10; send; initial metadata, messages, trailing metadata and close reach the root", async () => {
  const host = await probeHost({ clusters: ["ratelimit"] });
  host.onGrpcStream(RLS, "Stream", (s) => {
    s.sendInitialMetadata({ "x-a": "1" });
    s.sendMessage("m1");
    s.sendTrailingMetadata({ "grpc-status": "0" }, 5);
    s.close(0, "", 5);
  });
  const seen: string[] = [];
  for (const fn of ["proxy_on_grpc_receive_initial_metadata", "proxy_on_grpc_receive", "proxy_on_grpc_receive_trailing_metadata", "proxy_on_grpc_close"]) {
    host.probe(fn, (g) => {
      let extra = "";
      if (fn.endsWith("initial_metadata")) extra = getHeader(g, M.GrpcReceiveInitialMetadata, "x-a")[1];
      if (fn.endsWith("trailing_metadata")) extra = getHeader(g, M.GrpcReceiveTrailingMetadata, "grpc-status")[1];
      if (fn === "proxy_on_grpc_receive") extra = text(getBuffer(g, BufferType.GrpcReceiveBuffer)[1]);
      seen.push(`${fn.replace("proxy_on_grpc_", "")}(${g.args.join(",")}) ${extra}`);
    });
  }
  let token = 0;
  inRoot(host, (g) => {
    const tok = g.slot(4);
    assert.equal(hc(g, "proxy_grpc_stream", ...g.put("ratelimit"), ...g.put(RLS), ...g.put("Stream"), 0, 0, tok), R.Ok);
    token = g.u32(tok);
    assert.equal(hc(g, "proxy_grpc_send", token, ...g.put("hello"), 1), R.Ok);
    assert.equal(hc(g, "proxy_grpc_send", 999, ...g.put("x"), 0), R.BadArgument);
  });
  host.clock.advance(5);
  assert.equal(token, 6);
  assert.deepEqual(seen, ["receive_initial_metadata(1,6,1) 1", "receive(1,6,2) m1", "receive_trailing_metadata(1,6,1) 0", "close(1,6,0) "]);
  assert.equal(text(host.grpcStreams[0].sent[0]), "hello");
  assert.equal(host.grpcStreams[0].sentEnd, true);
});
