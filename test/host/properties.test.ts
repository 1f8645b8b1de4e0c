// Attributes through proxy_get_property with Envoy's encodings and availability: plugin_*
// everywhere, request.* derived from the request headers while they are reachable (and in
// the access-log phase), response.code once response headers arrived, stream info from a
// configurable table, NOT_FOUND for anything absent, SERIALIZATION_FAILURE for wrappers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Attr, WasmResult as R, decodeInt64, pairsBlob, type GuestProbe, type HostOptions } from "../../host-test/index.ts";
import { encodePairs } from "../../host-test/internal.ts";
import { probeHost, REQ, hc, getProperty, inRoot, text } from "./helpers.ts";

const i64 = (n: number | bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(n), true);
  return b;
};

async function propsIn(fn: string, paths: string[], opts: Partial<HostOptions> = {}, streamAttrs?: Record<string, unknown>) {
  const host = await probeHost({ pluginName: "tokenlimit", rootId: "tl-root", vmId: "tl-vm", ...opts });
  const out: Record<string, [number, Uint8Array]> = {};
  host.probe(fn, (g: GuestProbe) => {
    for (const p of paths) out[p] = getProperty(g, p);
  }, { vm: "worker 0" });
  host.exchange({
    request: { headers: { ...REQ, "content-length": "5", "user-agent": "sdk/1" }, body: "hello" },
    response: { headers: { ":status": "201", "x-r": "1" }, body: "done" },
    attributes: streamAttrs as never,
  });
  return { host, out };
}

test("plugin_name, plugin_root_id and plugin_vm_id as Envoy sets them, in root and stream contexts", async () => {
  const host = await probeHost({ pluginName: "tokenlimit", rootId: "tl-root", vmId: "tl-vm" });
  const got: string[] = [];
  inRoot(host, (g) => got.push(...["plugin_name", "plugin_root_id", "plugin_vm_id"].map((p) => text(getProperty(g, p)[1]))));
  host.probe("proxy_on_request_headers", (g) => got.push(text(getProperty(g, "plugin_root_id")[1])));
  host.newStream().sendRequestHeaders(REQ);
  assert.deepEqual(got, ["tokenlimit", "tl-root", "tl-vm", "tl-root"]);
});

test("request.* from the request headers, with Envoy's encodings", async () => {
  const { host, out } = await propsIn("proxy_on_request_headers", [
    "request.path", "request.url_path", "request.host", "request.method", "request.useragent", "request.id",
    "request.protocol", "request.time", "request.size", "request.query", "request.scheme", "request.referer",
  ]);
  const t = (p: string) => text(out[p][1]);
  assert.equal(t("request.path"), "/v1/chat/completions");
  assert.equal(t("request.url_path"), "/v1/chat/completions");
  assert.equal(t("request.host"), "api.example");
  assert.equal(t("request.method"), "POST");
  assert.equal(t("request.useragent"), "sdk/1");
  assert.equal(t("request.id"), "00000000-0000-4000-8000-000000000001");
  assert.equal(t("request.protocol"), "HTTP/1.1");
  assert.deepEqual(out["request.time"], [R.Ok, i64(BigInt(Date.UTC(2026, 0, 1)) * 1_000_000n)]);
  assert.equal(decodeInt64(out["request.size"][1]), 5n);
  assert.deepEqual(out["request.query"], [R.Ok, new Uint8Array(0)]);
  assert.equal(out["request.scheme"][0], R.NotFound); // no :scheme header
  assert.equal(out["request.referer"][0], R.NotFound);
});

test("request.headers is a map serialized as pairs; a key inside it is its value", async () => {
  const host = await probeHost({ requestIdHeader: false, forwardedProto: null });
  let whole: Uint8Array = new Uint8Array(0);
  let one: [number, Uint8Array] = [0, new Uint8Array(0)];
  host.probe("proxy_on_request_headers", (g) => {
    whole = getProperty(g, "request.headers")[1];
    one = getProperty(g, ["request", "headers", "content-type"]);
  });
  host.newStream().sendRequestHeaders(REQ);
  assert.deepEqual([...whole], [...pairsBlob(REQ)]);
  assert.equal(text(one[1]), "application/json");
});

test("request.path is gone once the request continued (NOT_FOUND) and back in the access-log phase", async () => {
  const body = await propsIn("proxy_on_request_body", ["request.path", "request.time", "request.headers"]);
  assert.equal(body.out["request.path"][0], R.NotFound);
  assert.equal(body.out["request.time"][0], R.Ok);
  assert.deepEqual([...body.out["request.headers"][1]], [0, 0, 0, 0]); // an empty map
  const log = await propsIn("proxy_on_log", ["request.path", "request.duration", "response.code", "response.size"]);
  assert.equal(text(log.out["request.path"][1]), "/v1/chat/completions");
  assert.deepEqual(log.out["request.duration"], [R.Ok, i64(0)]);
  assert.equal(decodeInt64(log.out["response.code"][1]), 201n);
  assert.equal(decodeInt64(log.out["response.size"][1]), 4n);
});

test("response.code is absent during the request and an int64 from response headers on", async () => {
  const req = await propsIn("proxy_on_request_headers", ["response.code", "response.code_details"]);
  assert.equal(req.out["response.code"][0], R.NotFound);
  const resp = await propsIn("proxy_on_response_headers", ["response.code", "response.code_details", "response.headers"]);
  assert.deepEqual(resp.out["response.code"], [R.Ok, i64(201)]);
  assert.equal(text(resp.out["response.code_details"][1]), "via_upstream");
  assert.deepEqual([...resp.out["response.headers"][1]], [...pairsBlob({ ":status": "201", "x-r": "1" })]);
});

test("stream info from the attribute table: addresses, ports, mTLS, typed values", async () => {
  const { out } = await propsIn(
    "proxy_on_request_headers",
    ["source.address", "source.port", "destination.address", "connection.mtls", "connection.requested_server_name", "upstream.address", "x.double", "x.map", "x.list", "x.list.1"],
    { attributes: { "destination.address": "10.1.1.1:8443", "x.double": Attr.double(1.5), "x.map": { a: "1" }, "x.list": ["p", "q"] } },
    { "source.address": "10.0.0.7:5555", "connection.mtls": true },
  );
  assert.equal(text(out["source.address"][1]), "10.0.0.7:5555");
  assert.deepEqual(out["source.port"][1], i64(5555));
  assert.equal(text(out["destination.address"][1]), "10.1.1.1:8443");
  assert.deepEqual(out["connection.mtls"], [R.Ok, Uint8Array.of(1)]);
  assert.deepEqual(out["connection.requested_server_name"], [R.Ok, new Uint8Array(0)]);
  assert.equal(out["upstream.address"][0], R.NotFound);
  const d = new Uint8Array(8);
  new DataView(d.buffer).setFloat64(0, 1.5, true);
  assert.deepEqual(out["x.double"], [R.Ok, d]);
  assert.deepEqual([...out["x.map"][1]], [...pairsBlob({ a: "1" })]);
  assert.deepEqual([...out["x.list"][1]], [...encodePairs([["p", ""], ["q", ""]])]);
  assert.equal(text(out["x.list.1"][1]), "q");
});

test("absent attributes are NOT_FOUND; a wrapper object on its own is SERIALIZATION_FAILURE; an empty path too", async () => {
  const { out } = await propsIn("proxy_on_request_headers", ["request", "source", "source.nope", "nonexistent", "request.path.deeper"]);
  assert.equal(out["request"][0], R.SerializationFailure);
  assert.equal(out["source"][0], R.SerializationFailure);
  assert.equal(out["source.nope"][0], R.NotFound);
  assert.equal(out["nonexistent"][0], R.NotFound);
  assert.equal(out["request.path.deeper"][0], R.NotFound);
  const host = await probeHost();
  let st = -1;
  host.probe("proxy_on_request_headers", (g) => (st = hc(g, "proxy_get_property", ...g.put(""), g.slot(4), g.slot(4))));
  host.newStream().sendRequestHeaders(REQ);
  assert.equal(st, R.SerializationFailure);
});

test("root contexts have no stream: request.*, source.*, metadata are NOT_FOUND there", async () => {
  const host = await probeHost();
  const got: number[] = [];
  inRoot(host, (g) => got.push(...["request.path", "source.address", "metadata", "response.code"].map((p) => getProperty(g, p)[0])));
  assert.deepEqual(got, [R.NotFound, R.NotFound, R.NotFound, R.NotFound]);
});

test("metadata is an (empty) protobuf message by default; supplied bytes are returned as is", async () => {
  const a = await propsIn("proxy_on_request_headers", ["metadata", "metadata.filter_metadata", "metadata.filter_metadata.envoy\u0000lb"]);
  assert.deepEqual(a.out["metadata"], [R.Ok, new Uint8Array(0)]);
  assert.deepEqual([...a.out["metadata.filter_metadata"][1]], [0, 0, 0, 0]);
  const msg = Uint8Array.of(0x0a, 0x03, 0x61, 0x62, 0x63);
  const b = await propsIn("proxy_on_request_headers", ["metadata"], {}, { metadata: Attr.message(msg) });
  assert.deepEqual(b.out["metadata"], [R.Ok, msg]);
});

test("set_property stores filter state for the stream; get_property and filter_state read it back; roots cannot set", async () => {
  const host = await probeHost();
  const got: unknown[] = [];
  host.probe("proxy_on_request_headers", (g) => {
    const [k, kl] = g.put("tl_cost");
    const [v, vl] = g.put("42");
    got.push(hc(g, "proxy_set_property", k, kl, v, vl));
  });
  host.probe("proxy_on_log", (g) => {
    got.push(text(getProperty(g, "tl_cost")[1]), text(getProperty(g, ["filter_state", "wasm.tl_cost"])[1]));
  });
  host.exchange({ request: { headers: REQ } });
  inRoot(host, (g) => got.push(hc(g, "proxy_set_property", ...g.put("k"), ...g.put("v"))));
  assert.deepEqual(got, [R.Ok, "42", "42", R.NotFound]);
});

test("connection_id is a uint64 of the stream's connection", async () => {
  const { out } = await propsIn("proxy_on_request_headers", ["connection_id", "connection.id"]);
  assert.deepEqual(out["connection_id"][1], i64(1));
  assert.deepEqual(out["connection.id"][1], i64(1));
});
