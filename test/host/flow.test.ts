// Return codes and flow control as Envoy applies them to a Wasm filter: header stops are
// StopAll, body stops buffer / watermark / drop, local replies force a stop and run the
// filter's own response callbacks, continue_stream resumes from root callbacks, and what
// reaches the upstream and the client reflects every mutation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BufferType, HeaderMapType, StreamType, WasmResult, pairsBlob } from "../../host-test/index.ts";
import { probeHost, REQ, setRet, hc, getBuffer, getHeader, sendLocal, inRoot, addHeader, setBuffer, text } from "./helpers.ts";

const continueStream = (streamId: number, type: number = StreamType.Request) => (g: import("../../host-test/index.ts").GuestProbe) => {
  assert.equal(hc(g, "proxy_set_effective_context", streamId), WasmResult.Ok);
  assert.equal(hc(g, "proxy_continue_stream", type), WasmResult.Ok);
};

test("StopIteration from request headers acts as StopAllIterationAndWatermark: the body waits, unseen, until continue", async () => {
  const host = await probeHost();
  setRet(host, "requestHeaders", 1);
  const s = host.newStream();
  assert.equal(s.sendRequestHeaders(REQ), "StopAllIterationAndWatermark");
  assert.equal(host.calls.at(-1)!.result, 1); // what the guest returned
  assert.equal(s.sendRequestBody("abc"), "Buffered");
  assert.equal(s.sendRequestBody("def", true), "Buffered");
  assert.equal(host.callNames().includes("proxy_on_request_body"), false);
  assert.equal(s.upstreamRequest, null);
  assert.equal(s.requestPaused, true);
  const mark = host.calls.length;
  inRoot(host, continueStream(s.contextId));
  // On continue the held body goes through the filter once, whole, with end_of_stream.
  const body = host.calls.slice(mark).filter((c) => c.fn === "proxy_on_request_body").map((c) => c.args);
  assert.deepEqual(body, [[2, 6, 1]]);
  assert.equal(s.upstreamRequest!.body, "abcdef");
  assert.equal(s.upstreamRequest!.ended, true);
  assert.equal(s.requestPaused, false);
});

test("StopIterationAndBuffer: each body callback sees the accumulated size and bytes", async () => {
  const host = await probeHost();
  setRet(host, "requestBody", 1);
  const seen: string[] = [];
  host.probe("proxy_on_request_body", (g) => {
    seen.push(`${g.args[1]}:${text(getBuffer(g, BufferType.HttpRequestBody)[1])}`);
    if (g.args[2] === 1) setRet(host, "requestBody", 0);
  });
  const r = host.exchange({ request: { headers: REQ, body: "aaabbbbccccc", chunkSize: [3, 4, 5] } });
  assert.deepEqual(seen, ["3:aaa", "7:aaabbbb", "12:aaabbbbccccc"]);
  assert.equal(r.upstreamRequest!.body, "aaabbbbccccc");
  assert.deepEqual(r.upstreamRequest!.chunks.map(text), ["aaabbbbccccc"]);
});

test("StopIterationAndWatermark: each callback sees only its chunk; held chunks go out on Continue", async () => {
  const host = await probeHost();
  setRet(host, "requestBody", 2);
  const seen: string[] = [];
  host.probe("proxy_on_request_body", (g) => {
    seen.push(text(getBuffer(g, BufferType.HttpRequestBody)[1]));
    if (g.args[2] === 1) setRet(host, "requestBody", 0);
  });
  const r = host.exchange({ request: { headers: REQ, body: "aaabbbbcc", chunkSize: [3, 4] } });
  assert.deepEqual(seen, ["aaa", "bbbb", "cc"]);
  assert.equal(r.upstreamRequest!.body, "aaabbbbcc");
});

test("StopIterationNoBuffer drops the chunk", async () => {
  const host = await probeHost();
  host.probe("proxy_on_request_body", (g) => setRet(host, "requestBody", g.args[2] === 1 ? 0 : 3));
  const r = host.exchange({ request: { headers: REQ, body: "dropkeep", chunkSize: 4 } });
  assert.equal(r.upstreamRequest!.body, "keep");
});

test("out-of-range results: headers -> StopAllIterationAndWatermark, body -> StopIterationNoBuffer, trailers -> StopIteration; 2 on headers continues", async () => {
  const host = await probeHost();
  setRet(host, "requestHeaders", 9);
  const s = host.newStream();
  assert.equal(s.sendRequestHeaders(REQ), "StopAllIterationAndWatermark");
  setRet(host, "requestHeaders", 2);
  const s2 = host.newStream();
  assert.equal(s2.sendRequestHeaders(REQ), "Continue"); // ContinueAndEndStream is Continue in Envoy
  setRet(host, "requestBody", 7);
  assert.equal(s2.sendRequestBody("x"), "StopIterationNoBuffer");
  setRet(host, "requestTrailers", 5);
  assert.equal(s2.sendRequestTrailers({ t: "1" }), "StopIteration");
});

test("proxy_set_buffer_bytes follows Envoy: replace all, prepend, append, replace a prefix; a middle start is BAD_ARGUMENT", async () => {
  const host = await probeHost();
  const st: number[] = [];
  host.probe("proxy_on_request_body", (g) => {
    const B = BufferType.HttpRequestBody;
    st.push(setBuffer(g, B, 0, 999, "body")); // length >= size: replace everything
    st.push(setBuffer(g, B, 0, 0, "<")); // length 0: prepend
    st.push(setBuffer(g, B, 5, 0, ">")); // start >= size: append
    st.push(setBuffer(g, B, 0, 2, "[b")); // replace the first 2 bytes
    st.push(setBuffer(g, B, 2, 1, "x")); // start inside: refused
    st.push(setBuffer(g, BufferType.HttpResponseBody, 0, 0, "no")); // not in this phase
  });
  const r = host.exchange({ request: { headers: REQ, body: "original" } });
  assert.deepEqual(st, [0, 0, 0, 0, WasmResult.BadArgument, WasmResult.BadArgument]);
  assert.equal(r.upstreamRequest!.body, "[body>");
});

test("header mutations reach the upstream and the client; content-length is the filter's job", async () => {
  const host = await probeHost({ requestIdHeader: false, forwardedProto: null });
  host.probe("proxy_on_request_headers", (g) => {
    addHeader(g, HeaderMapType.RequestHeaders, "X-Added", "1");
    addHeader(g, HeaderMapType.RequestHeaders, ":path", "/v2", "replace");
    const [kp, kl] = g.put("content-type");
    hc(g, "proxy_remove_header_map_value", HeaderMapType.RequestHeaders, kp, kl);
  });
  host.probe("proxy_on_request_body", (g) => {
    setBuffer(g, BufferType.HttpRequestBody, 0, 100, "short");
  });
  host.probe("proxy_on_response_headers", (g) => {
    const [p, l] = g.put(pairsBlob([[":status", "201"], ["x-only", "this"]]));
    assert.equal(hc(g, "proxy_set_header_map_pairs", HeaderMapType.ResponseHeaders, p, l), 0);
  });
  const r = host.exchange({
    request: { headers: { ...REQ, "content-length": "11" }, body: "hello world" },
    response: { headers: { ":status": "200", server: "x" }, body: "ok" },
  });
  assert.deepEqual(r.upstreamRequest!.headerPairs, [
    [":method", "POST"], [":authority", "api.example"], [":path", "/v2"], ["content-length", "11"], ["x-added", "1"],
  ]);
  assert.equal(r.upstreamRequest!.body, "short"); // the stale content-length is forwarded as the filter left it
  assert.equal(r.status, 201);
  assert.deepEqual(r.headers, { ":status": "201", "x-only": "this" });
});

test("a local reply from on_request_headers: the callback's result becomes a stop, the upstream sees nothing, and the filter's response callbacks see the reply", async () => {
  const host = await probeHost();
  host.probe("proxy_on_request_headers", (g) => {
    assert.equal(sendLocal(g, 429, "slow down", pairsBlob({ "retry-after": "5" }), "token limit"), WasmResult.Ok);
  });
  const seen: string[] = [];
  host.probe("proxy_on_response_headers", (g) => {
    seen.push(getHeader(g, HeaderMapType.ResponseHeaders, ":status")[1]);
    addHeader(g, HeaderMapType.ResponseHeaders, "x-filter", "saw-it");
  });
  host.probe("proxy_on_response_body", (g) => seen.push(text(getBuffer(g, BufferType.HttpResponseBody)[1])));
  const s = host.newStream();
  assert.equal(s.sendRequestHeaders(REQ, false), "StopAllIterationAndWatermark");
  assert.equal(s.upstreamRequest, null);
  assert.deepEqual(seen, ["429", "slow down"]);
  assert.equal(s.completed, true);
  assert.deepEqual(s.downstreamResponse!.headerPairs, [
    [":status", "429"], ["retry-after", "5"], ["content-length", "9"], ["content-type", "text/plain"], ["x-filter", "saw-it"],
  ]);
  assert.equal(s.downstreamResponse!.body, "slow down");
  assert.deepEqual(s.localResponse, { status: 429, headers: { "retry-after": "5" }, headerPairs: [["retry-after", "5"]], body: "slow down", details: "token_limit", grpcStatus: null });
  assert.equal(s.sendRequestBody("late", true), "Closed");
  assert.deepEqual(host.callNames().slice(-3), ["proxy_on_log", "proxy_on_done", "proxy_on_delete"]);
});

test("a local reply without a body ends on headers and carries no content-type", async () => {
  const host = await probeHost();
  host.probe("proxy_on_request_headers", (g) => sendLocal(g, 403, "", pairsBlob({})));
  const r = host.exchange({ request: { headers: REQ } });
  assert.equal(r.status, 403);
  assert.deepEqual(r.headerPairs, [[":status", "403"]]);
  assert.equal(host.calls.find((c) => c.fn === "proxy_on_response_headers")!.args[2], 1);
});

test("a local reply to a gRPC request is trailers-only with grpc-status and grpc-message", async () => {
  const host = await probeHost();
  host.probe("proxy_on_request_headers", (g) => sendLocal(g, 429, "quota 100%", pairsBlob({})));
  const r = host.exchange({ request: { headers: { ...REQ, "content-type": "application/grpc" } } });
  assert.deepEqual(r.headerPairs, [[":status", "200"], ["content-type", "application/grpc"], ["grpc-status", "14"], ["grpc-message", "quota 100%25"]]);
  assert.equal(r.body, "");
});

test("a local reply while response headers are held goes straight to the client", async () => {
  const host = await probeHost();
  setRet(host, "responseHeaders", 4);
  const s = host.newStream();
  s.sendRequestHeaders(REQ, true);
  assert.equal(s.sendResponseHeaders({ ":status": "200" }), "StopAllIterationAndWatermark");
  inRoot(host, (g) => {
    hc(g, "proxy_set_effective_context", s.contextId);
    sendLocal(g, 500, "upstream bad", pairsBlob({}));
  });
  assert.equal(host.calls.filter((c) => c.fn === "proxy_on_response_headers").length, 1);
  assert.equal(s.downstreamResponse!.status, 500);
  assert.equal(s.downstreamResponse!.body, "upstream bad");
  assert.equal(s.sendResponseBody("late", true), "Closed");
});

test("a local reply after the response headers were sent resets the stream", async () => {
  const host = await probeHost();
  host.probe("proxy_on_response_body", (g) => sendLocal(g, 500, "too late", pairsBlob({})));
  const s = host.newStream();
  s.sendRequestHeaders(REQ, true);
  s.sendResponseHeaders({ ":status": "200" });
  s.sendResponseBody("partial", false);
  assert.equal(s.isReset, true);
  assert.equal(s.downstreamResponse!.status, 200);
  assert.equal(s.downstreamResponse!.reset, true);
  assert.equal(s.downstreamResponse!.body, "");
});

test("continue_stream inside the stream's own callback is ignored (the stream stays paused)", async () => {
  const host = await probeHost();
  setRet(host, "requestHeaders", 4);
  host.probe("proxy_on_request_headers", (g) => assert.equal(hc(g, "proxy_continue_stream", StreamType.Request), 0));
  const s = host.newStream();
  s.sendRequestHeaders(REQ, true);
  assert.equal(s.requestPaused, true);
  assert.match(host.warnings[0], /inside the stream's own request callback was ignored/);
});

test("after continue_stream the request headers are no longer reachable (Envoy clears them)", async () => {
  const host = await probeHost();
  setRet(host, "requestHeaders", 1);
  const s = host.newStream();
  s.sendRequestHeaders(REQ, true);
  const got: number[] = [];
  inRoot(host, (g) => {
    hc(g, "proxy_set_effective_context", s.contextId);
    got.push(addHeader(g, HeaderMapType.RequestHeaders, "x-before", "1"));
    hc(g, "proxy_continue_stream", StreamType.Request);
    got.push(addHeader(g, HeaderMapType.RequestHeaders, "x-after", "1"));
  });
  assert.deepEqual(got, [WasmResult.Ok, WasmResult.BadArgument]);
  assert.equal(s.upstreamRequest!.headers["x-before"], "1");
  assert.equal(s.upstreamRequest!.headers["x-after"], undefined);
});

test("exchange lets simulated time run while the filter holds the request (a tick continues it)", async () => {
  const host = await probeHost({
    probes: [{ fn: "proxy_on_configure", vm: "worker 0", handler: (g) => hc(g, "proxy_set_tick_period_milliseconds", 250) }],
  });
  setRet(host, "requestHeaders", 1);
  let stream = 0;
  host.probe("proxy_on_request_headers", (g) => (stream = g.args[0]));
  host.probe("proxy_on_tick", (g) => {
    if (stream) continueStream(stream)(g);
    stream = 0;
  });
  const t0 = host.clock.now();
  const r = host.exchange({ request: { headers: REQ, body: "x" }, response: { headers: { ":status": "200" }, body: "ok" } });
  assert.equal(r.status, 200);
  assert.equal(r.upstreamRequest!.body, "x");
  assert.equal(host.clock.now() - t0, 250);
});

test("exchange fails loudly when the filter holds the request and nothing can resume it", async () => {
  const host = await probeHost();
  setRet(host, "requestHeaders", 4);
  assert.throws(() => host.exchange({ request: { headers: REQ } }), /holds the request and nothing is pending/);
});

test("StopIterationAndBuffer beyond the buffer limit answers 413 Payload Too Large", async () => {
  const host = await probeHost({ bufferLimitBytes: 10 });
  setRet(host, "requestBody", 1);
  const r = host.exchange({ request: { headers: REQ, body: "0123456789abc", chunkSize: 5 } });
  assert.equal(r.status, 413);
  assert.equal(r.body, "Payload Too Large");
  assert.equal(r.localResponse!.details, "request_payload_too_large");
  assert.equal(r.upstreamRequest!.body, "");
  assert.equal(r.upstreamRequest!.reset, true);
});

test("StopAllIterationAndBuffer holds the body under the limit; StopAllIterationAndWatermark has no limit", async () => {
  const host = await probeHost({ bufferLimitBytes: 4 });
  setRet(host, "requestHeaders", 3);
  const s = host.newStream();
  s.sendRequestHeaders(REQ);
  s.sendRequestBody("12345", true);
  assert.equal(s.downstreamResponse!.status, 413);
  setRet(host, "requestHeaders", 4);
  const s2 = host.newStream();
  s2.sendRequestHeaders(REQ);
  s2.sendRequestBody("12345", true);
  assert.equal(s2.downstreamResponse, null);
  assert.equal(s2.requestPaused, true);
});

test("response held over the limit: 500 straight to the client if headers are held, a reset if they were sent", async () => {
  const host = await probeHost({ bufferLimitBytes: 4 });
  setRet(host, "responseHeaders", 3);
  const r = host.exchange({ request: { headers: REQ }, response: { headers: { ":status": "200" }, body: "123456", chunkSize: 3 } });
  assert.equal(r.status, 500);
  assert.equal(r.body, "Internal Server Error");
  assert.equal(r.localResponse!.details, "response_payload_too_large");
  setRet(host, "responseHeaders", 0);
  setRet(host, "responseBody", 1);
  const r2 = host.exchange({ request: { headers: REQ }, response: { headers: { ":status": "200" }, body: "123456", chunkSize: 3 } });
  assert.equal(r2.status, 200);
  assert.equal(r2.reset, true);
  assert.equal(r2.body, "");
});

test("request trailers reach the filter while the body is held; a stop holds them until continue", async () => {
  const host = await probeHost();
  setRet(host, "requestBody", 1);
  setRet(host, "requestTrailers", 1);
  const s = host.newStream();
  s.sendRequestHeaders(REQ);
  s.sendRequestBody("part");
  assert.equal(s.sendRequestTrailers({ "x-checksum": "abc" }), "StopIteration");
  assert.equal(s.upstreamRequest!.body, "");
  inRoot(host, continueStream(s.contextId));
  assert.equal(s.upstreamRequest!.body, "part");
  assert.deepEqual(s.upstreamRequest!.trailers, { "x-checksum": "abc" });
  assert.equal(s.upstreamRequest!.ended, true);
});

test("trailers can be added in the last body callback only", async () => {
  const host = await probeHost();
  const st: number[] = [];
  host.probe("proxy_on_request_body", (g) => st.push(addHeader(g, HeaderMapType.RequestTrailers, "x-t", `${g.args[2]}`)));
  const r = host.exchange({ request: { headers: REQ, body: "abcd", chunkSize: 2 } });
  assert.deepEqual(st, [WasmResult.BadArgument, WasmResult.Ok]);
  assert.deepEqual(r.upstreamRequest!.trailers, { "x-t": "1" });
});

test("proxy_close_stream resets the stream", async () => {
  const host = await probeHost();
  host.probe("proxy_on_request_body", (g) => assert.equal(hc(g, "proxy_close_stream", StreamType.Request), 0));
  const s = host.newStream();
  s.sendRequestHeaders(REQ);
  s.sendRequestBody("x", true);
  assert.equal(s.isReset, true);
  assert.equal(s.upstreamRequest!.reset, true);
  assert.equal(s.completed, true);
});

test("stream types: Upstream continue is UNIMPLEMENTED, Downstream is OK, 4 is BAD_ARGUMENT", async () => {
  const host = await probeHost();
  const st: number[] = [];
  host.probe("proxy_on_request_headers", (g) => st.push(hc(g, "proxy_continue_stream", 3), hc(g, "proxy_continue_stream", 2), hc(g, "proxy_continue_stream", 4), hc(g, "proxy_close_stream", 4)));
  host.newStream().sendRequestHeaders(REQ);
  assert.deepEqual(st, [WasmResult.Unimplemented, WasmResult.Ok, WasmResult.BadArgument, WasmResult.BadArgument]);
});

test("a held response resumes with continue_stream(Response) from a root callback", async () => {
  const host = await probeHost();
  setRet(host, "responseBody", 1);
  const s = host.newStream();
  s.sendRequestHeaders(REQ, true);
  s.sendResponseHeaders({ ":status": "200" });
  s.sendResponseBody("ab");
  s.sendResponseBody("cd", true);
  assert.equal(s.downstreamResponse!.body, "");
  inRoot(host, continueStream(s.contextId, StreamType.Response));
  assert.equal(s.downstreamResponse!.body, "abcd");
  assert.equal(s.completed, true);
});

test("response chunks reach the filter in the sizes the test chooses", async () => {
  const host = await probeHost();
  const sizes: number[] = [];
  host.probe("proxy_on_response_body", (g) => sizes.push(g.args[1]));
  const r = host.exchange({ request: { headers: REQ }, response: { headers: { ":status": "200" }, body: "abcdefghij", chunkSize: [1, 2, 3] } });
  assert.deepEqual(sizes, [1, 2, 3, 4]);
  assert.equal(r.body, "abcdefghij");
});

test("a request a filter stripped of :path is refused by the router with 503 and never reaches the upstream", async () => {
  const host = await probeHost({ requestIdHeader: false, forwardedProto: null });
  host.probe("proxy_on_request_headers", (g) => {
    const [kp, kl] = g.put(":path");
    hc(g, "proxy_remove_header_map_value", HeaderMapType.RequestHeaders, kp, kl);
  });
  const r = host.exchange({ request: { headers: REQ }, response: { headers: { ":status": "200" } } });
  assert.equal(r.status, 503);
  assert.equal(r.upstreamRequest, null);
  assert.equal(r.localResponse?.details, "filter_removed_required_request_headers{missing_required_header:_:path}");
});
