import { collectFilterStateKeys } from "../attributes/filter_state_keys";
import { Value, Kind } from "../cel/value";
import { RequestAttributes, AttributeOptions } from "../attributes/request";
import { TableAttributeSource } from "../attributes/table_source";
import { decodeAttribute, decodeNanos, Encoding, headerMapValue } from "../attributes/encoding";
import { findAttribute } from "../attributes/catalog";
import { serializePairs, Header } from "../abi/headers";
import { bytesOf, concat, entry, metadataWith, structBody, typedMetadataEntry, vString } from "../attributes/testing/proto_writer";

function attrs(src: TableAttributeSource): RequestAttributes {
  return new RequestAttributes(src, new AttributeOptions());
}

function str(v: Value | null): string {
  if (v === null) return "<null>";
  return v.kind == Kind.String ? v.str : "<kind " + (<i32>v.kind).toString() + ">";
}

describe("string attributes", () => {
  it("resolves request.path as the raw UTF-8 bytes Envoy sends", () => {
    const a = attrs(new TableAttributeSource().setString("request.path", "/v1/chat/completions?x=é"));
    expect(str(a.resolve("request.path"))).toBe("/v1/chat/completions?x=é");
  });
  it("resolves every request string attribute from its own property path", () => {
    const names = ["request.url_path", "request.host", "request.scheme", "request.method", "request.referer",
      "request.useragent", "request.id", "request.protocol", "request.query", "source.address",
      "destination.address", "connection.requested_server_name", "connection.tls_version",
      "connection.subject_peer_certificate", "connection.uri_san_peer_certificate", "upstream.address",
      "xds.cluster_name", "xds.route_name", "plugin_name"];
    const src = new TableAttributeSource();
    for (let i = 0; i < names.length; i++) src.setString(names[i], "v" + i.toString());
    const a = attrs(src);
    for (let i = 0; i < names.length; i++) expect(str(a.resolve(names[i]))).toBe("v" + i.toString(), names[i]);
  });
  it("resolves an empty string attribute as an empty string, not absent", () => {
    const a = attrs(new TableAttributeSource().setString("request.query", ""));
    expect(str(a.resolve("request.query"))).toBe("");
  });
});

describe("integer, uint and bool attributes", () => {
  it("reads source.port as int64 little-endian", () => {
    const v = attrs(new TableAttributeSource().setInt("source.port", 54321)).resolve("source.port");
    expect(v!.kind).toBe(Kind.Int);
    expect(v!.i).toBe(54321);
  });
  it("reads negative and large int64 values exactly", () => {
    const v = attrs(new TableAttributeSource().setInt("request.size", -9223372036854775807)).resolve("request.size");
    expect(v!.i).toBe(-9223372036854775807);
  });
  it("reads request.size, request.total_size, destination.port and response.code as ints", () => {
    const src = new TableAttributeSource().setInt("request.size", 10).setInt("request.total_size", 20)
      .setInt("destination.port", 443).setInt("response.code", 429);
    const a = attrs(src);
    expect(a.resolve("request.size")!.i).toBe(10);
    expect(a.resolve("request.total_size")!.i).toBe(20);
    expect(a.resolve("destination.port")!.i).toBe(443);
    expect(a.resolve("response.code")!.kind).toBe(Kind.Int);
  });
  it("reads connection.id as uint (Envoy's type for it)", () => {
    const v = attrs(new TableAttributeSource().setInt("connection.id", -1)).resolve("connection.id");
    expect(v!.kind).toBe(Kind.Uint);
    expect(<u64>v!.i).toBe(<u64>0xFFFFFFFFFFFFFFFF);
  });
  it("reads connection.mtls from one byte", () => {
    expect(attrs(new TableAttributeSource().setBool("connection.mtls", true)).resolve("connection.mtls")!.b).toBe(true);
    expect(attrs(new TableAttributeSource().setBool("connection.mtls", false)).resolve("connection.mtls")!.b).toBe(false);
  });
  it("treats an int attribute of the wrong size as absent", () => {
    const src = new TableAttributeSource().setProperty(["source", "port"], bytesOf([1, 2, 3]));
    expect(attrs(src).resolve("source.port")).toBeNull();
  });
  it("treats a bool attribute of the wrong size as absent", () => {
    const src = new TableAttributeSource().setProperty(["connection", "mtls"], bytesOf([1, 0]));
    expect(attrs(src).resolve("connection.mtls")).toBeNull();
  });
  it("decodes doubles from their 8 IEEE bytes", () => {
    const b = new ArrayBuffer(8);
    store<f64>(changetype<usize>(b), 2.5);
    expect(decodeAttribute(b, Encoding.Double)!.d).toBe(2.5);
  });
});

describe("timestamps and durations", () => {
  it("reads Envoy's int64 nanoseconds", () => {
    const b = new ArrayBuffer(8);
    store<i64>(changetype<usize>(b), 1700000000123456789);
    const n = decodeNanos(b);
    expect(n.ok).toBe(true);
    expect(n.value).toBe(1700000000123456789);
  });
  it("rejects a nanosecond value of the wrong size", () => {
    expect(decodeNanos(new ArrayBuffer(4)).ok).toBe(false);
  });
  it("leaves request.time unresolved without asking the host (no timestamp kind)", () => {
    const src = new TableAttributeSource().setInt("request.time", 1);
    expect(attrs(src).resolve("request.time")).toBeNull();
    expect(src.propertyCalls).toBe(0);
  });
  it("leaves request.duration unresolved without asking the host", () => {
    const src = new TableAttributeSource().setInt("request.duration", 1);
    expect(attrs(src).resolve("request.duration")).toBeNull();
    expect(src.propertyCalls).toBe(0);
  });
});

describe("names", () => {
  it("maps a dotted name to its property segments", () => {
    const spec = findAttribute("connection.requested_server_name");
    expect(spec!.path.length).toBe(2);
    expect(spec!.path[1]).toBe("requested_server_name");
  });
  it("answers null for an unknown name without a hostcall", () => {
    const src = new TableAttributeSource();
    expect(attrs(src).resolve("request.nonsense")).toBeNull();
    expect(src.propertyCalls).toBe(0);
  });
  it("answers null for a bare root so the evaluator reports a missing attribute", () => {
    const src = new TableAttributeSource().setString("request.path", "/");
    expect(attrs(src).resolve("request")).toBeNull();
  });
  it("answers null for a name deeper than an attribute", () => {
    const src = new TableAttributeSource().setString("request.path", "/");
    expect(attrs(src).resolve("request.path.x")).toBeNull();
    expect(src.propertyCalls).toBe(0);
  });
  it("answers null for an attribute the host does not have", () => {
    expect(attrs(new TableAttributeSource()).resolve("connection.mtls")).toBeNull();
  });
});

describe("request.headers", () => {
  it("builds a map from the request header map", () => {
    const src = new TableAttributeSource().addHeader(":path", "/v1").addHeader("x-tenant", "acme");
    const v = attrs(src).resolve("request.headers");
    expect(v!.kind).toBe(Kind.Map);
    expect(str(v!.map!.getString("x-tenant"))).toBe("acme");
    expect(str(v!.map!.getString(":path"))).toBe("/v1");
  });
  it("lower-cases header names", () => {
    const v = attrs(new TableAttributeSource().addHeader("X-Tenant", "acme")).resolve("request.headers");
    expect(str(v!.map!.getString("x-tenant"))).toBe("acme");
    expect(v!.map!.getString("X-Tenant")).toBeNull();
  });
  it("joins the values of a repeated header with ',' in order, as Envoy does", () => {
    const src = new TableAttributeSource().addHeader("x-group", "a").addHeader("x-other", "o").addHeader("X-Group", "b");
    const v = attrs(src).resolve("request.headers");
    expect(v!.map!.size).toBe(2);
    expect(str(v!.map!.getString("x-group"))).toBe("a,b");
  });
  it("is an empty map when there are no headers", () => {
    expect(attrs(new TableAttributeSource()).resolve("request.headers")!.map!.size).toBe(0);
  });
  it("asks the host for the header list once per request", () => {
    const src = new TableAttributeSource().addHeader("a", "1");
    const a = attrs(src);
    a.resolve("request.headers");
    a.resolve("request.headers");
    expect(src.headerListCalls).toBe(1);
    expect(src.propertyCalls).toBe(0);
  });
  it("keeps a header map with many repeated names linear and exact", () => {
    const hs = new Array<Header>();
    for (let i = 0; i < 300; i++) hs.push(new Header("h" + (i % 30).toString(), i.toString()));
    const v = headerMapValue(hs);
    expect(v.map!.size).toBe(30);
    expect(str(v.map!.getString("h0"))).toBe("0,30,60,90,120,150,180,210,240,270");
  });
});

describe("response headers", () => {
  it("decodes response.headers from Envoy's pairs blob", () => {
    const blob = serializePairs([new Header("content-type", "application/json"), new Header("X-Up", "1")]);
    const src = new TableAttributeSource().setProperty(["response", "headers"], blob);
    const v = attrs(src).resolve("response.headers");
    expect(str(v!.map!.getString("content-type"))).toBe("application/json");
    expect(str(v!.map!.getString("x-up"))).toBe("1");
  });
});

describe("caching", () => {
  it("asks the host once for a name looked up twice", () => {
    const src = new TableAttributeSource().setString("request.path", "/a");
    const a = attrs(src);
    a.resolve("request.path");
    a.resolve("request.path");
    expect(src.callsFor(["request", "path"])).toBe(1);
  });
  it("caches an absent attribute too", () => {
    const src = new TableAttributeSource();
    const a = attrs(src);
    expect(a.resolve("source.address")).toBeNull();
    expect(a.resolve("source.address")).toBeNull();
    expect(src.callsFor(["source", "address"])).toBe(1);
  });
  it("returns the same value object on the second lookup", () => {
    const a = attrs(new TableAttributeSource().setString("request.host", "api"));
    const first = a.resolve("request.host");
    expect(a.resolve("request.host") === first).toBe(true);
  });
  it("does not share a cache between requests", () => {
    const src = new TableAttributeSource().setString("request.path", "/a");
    const options = new AttributeOptions();
    new RequestAttributes(src, options).resolve("request.path");
    new RequestAttributes(src, options).resolve("request.path");
    expect(src.callsFor(["request", "path"])).toBe(2);
  });
});

describe("metadata", () => {
  it("decodes metadata.filter_metadata namespaces into maps", () => {
    const md = metadataWith("envoy.filters.http.ext_authz", structBody([entry("tier", vString("gold"))]));
    const v = attrs(new TableAttributeSource().setProperty(["metadata"], md)).resolve("metadata");
    const ns = v!.map!.getString("filter_metadata")!.map!.getString("envoy.filters.http.ext_authz");
    expect(str(ns!.map!.getString("tier"))).toBe("gold");
  });
  it("keeps typed_filter_metadata as {type_url, value bytes}", () => {
    const md = typedMetadataEntry("istio", "type.googleapis.com/x.Y", bytesOf([1, 2, 3]));
    const v = attrs(new TableAttributeSource().setProperty(["metadata"], md)).resolve("metadata");
    const any = v!.map!.getString("typed_filter_metadata")!.map!.getString("istio");
    expect(str(any!.map!.getString("type_url"))).toBe("type.googleapis.com/x.Y");
    expect(any!.map!.getString("value")!.bytes!.byteLength).toBe(3);
  });
  it("treats malformed metadata bytes as absent", () => {
    const src = new TableAttributeSource().setProperty(["metadata"], bytesOf([0x0a, 0x05, 0x01]));
    expect(attrs(src).resolve("metadata")).toBeNull();
  });
  it("decodes an empty metadata message as empty maps", () => {
    const v = attrs(new TableAttributeSource().setProperty(["metadata"], new ArrayBuffer(0))).resolve("metadata");
    expect(v!.map!.getString("filter_metadata")!.map!.size).toBe(0);
  });
  it("resolves xds.route_metadata with the same decoder", () => {
    const md = metadataWith("kuadrant", structBody([entry("tier", vString("free"))]));
    const v = attrs(new TableAttributeSource().setProperty(["xds", "route_metadata"], md)).resolve("xds.route_metadata");
    expect(v!.map!.getString("filter_metadata")!.map!.getString("kuadrant")!.kind).toBe(Kind.Map);
  });
});

describe("filter_state", () => {
  it("reads filter_state.<key> as bytes", () => {
    const src = new TableAttributeSource().setProperty(["filter_state", "tier"], String.UTF8.encode("gold"));
    const v = attrs(src).resolve("filter_state.tier");
    expect(v!.kind).toBe(Kind.Bytes);
    expect(String.UTF8.decode(v!.bytes!)).toBe("gold");
  });
  it("builds the filter_state map from the configured keys", () => {
    const src = new TableAttributeSource()
      .setProperty(["filter_state", "io.istio.peer"], String.UTF8.encode("p"))
      .setProperty(["filter_state", "other"], String.UTF8.encode("o"));
    const options = new AttributeOptions();
    options.filterStateKeys = ["io.istio.peer", "missing"];
    const v = new RequestAttributes(src, options).resolve("filter_state");
    expect(v!.map!.size).toBe(1);
    expect(v!.map!.getString("io.istio.peer")!.kind).toBe(Kind.Bytes);
  });
  it("answers a dotted filter_state member chain with null (it is filter_state[a].b)", () => {
    const src = new TableAttributeSource().setProperty(["filter_state", "a.b"], String.UTF8.encode("x"));
    expect(attrs(src).resolve("filter_state.a.b")).toBeNull();
  });
  it("reuses the filter_state map for filter_state.<key> without another hostcall", () => {
    const src = new TableAttributeSource().setProperty(["filter_state", "k"], String.UTF8.encode("v"));
    const options = new AttributeOptions();
    options.filterStateKeys = ["k"];
    const a = new RequestAttributes(src, options);
    a.resolve("filter_state");
    a.resolve("filter_state.k");
    expect(src.callsFor(["filter_state", "k"])).toBe(1);
  });
});

describe("hostile attribute bytes", () => {
  it("never traps on random bytes in any encoding", () => {
    let seed: u32 = 12345;
    const encodings = [Encoding.String, Encoding.Bytes, Encoding.Int, Encoding.Uint, Encoding.Bool,
      Encoding.Double, Encoding.Metadata, Encoding.Pairs, Encoding.Timestamp];
    let decoded = 0;
    for (let round = 0; round < 2000; round++) {
      seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
      const len = <i32>(seed % 40);
      const b = new ArrayBuffer(len);
      for (let i = 0; i < len; i++) {
        seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
        store<u8>(changetype<usize>(b) + <usize>i, <u8>seed);
      }
      const v = decodeAttribute(b, encodings[round % encodings.length]);
      if (v !== null) decoded++;
    }
    expect(decoded).toBeGreaterThan(0);
  });
  it("treats a truncated pairs blob as a partial map, never reading past it", () => {
    const blob = serializePairs([new Header("a", "1"), new Header("b", "2")]);
    const v = decodeAttribute(blob.slice(0, blob.byteLength - 3), Encoding.Pairs);
    expect(v!.map!.size).toBeLessThan(2);
  });
  it("concatenated metadata messages merge their namespaces (protobuf semantics)", () => {
    const md = concat([metadataWith("a", structBody([])), metadataWith("b", structBody([]))]);
    const v = decodeAttribute(md, Encoding.Metadata);
    expect(v!.map!.getString("filter_metadata")!.map!.size).toBe(2);
  });
});

describe("filter_state keys named by the policy", () => {
  it("collects the literal keys an expression indexes filter_state with", () => {
    const keys = new Array<string>();
    collectFilterStateKeys("filter_state[\"tier\"] == b'gold' || filter_state [ 'team' ] == b'x'", keys);
    collectFilterStateKeys("filter_state['tier'] != b'' && filter_state.other == b''", keys);
    expect(keys.length).toBe(2);
    expect(keys[0]).toBe("tier");
    expect(keys[1]).toBe("team");
  });
  it("ignores names that only end in filter_state", () => {
    const keys = new Array<string>();
    collectFilterStateKeys("my_filter_state['a'] == 1 || x.filter_state['b'] == 1", keys);
    expect(keys.length).toBe(0);
  });
  it("skips keys with escapes and unterminated literals", () => {
    const keys = new Array<string>();
    collectFilterStateKeys("filter_state[\"a\\\"b\"] || filter_state['open", keys);
    expect(keys.length).toBe(0);
  });
});
