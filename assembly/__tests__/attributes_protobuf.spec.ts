import { Value, Kind } from "../cel/value";
import { ProtoReader, WireType } from "../attributes/protobuf";
import { decodeStruct, decodeMetadata, MAX_STRUCT_DEPTH } from "../attributes/struct";
import { stringifyJson } from "../json/stringify";
import {
  bytesOf, concat, varint, tag, varintField, doubleField, lenField, stringField, messageField,
  vNull, vNumber, vString, vBool, vStruct, vList, entry, structBody, metadataWith,
} from "../attributes/testing/proto_writer";

function json(v: Value | null): string {
  return v === null ? "<null>" : stringifyJson(v);
}

describe("ProtoReader", () => {
  it("reads a one-byte varint", () => {
    const r = new ProtoReader(bytesOf([0x08, 0x96, 0x01]));
    expect(r.next()).toBe(true);
    expect(r.field).toBe(1);
    expect(r.wire).toBe(WireType.Varint);
    expect(r.varint()).toBe(150);
    expect(r.next()).toBe(false);
    expect(r.ok).toBe(true);
  });
  it("reads the largest ten-byte varint", () => {
    const r = new ProtoReader(varint(0xFFFFFFFFFFFFFFFF));
    expect(r.varint()).toBe(<u64>0xFFFFFFFFFFFFFFFF);
    expect(r.ok).toBe(true);
  });
  it("rejects a varint longer than ten bytes", () => {
    const r = new ProtoReader(bytesOf([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]));
    r.varint();
    expect(r.ok).toBe(false);
  });
  it("rejects a tenth varint byte carrying more than bit 63", () => {
    const r = new ProtoReader(bytesOf([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02]));
    r.varint();
    expect(r.ok).toBe(false);
  });
  it("rejects a varint cut off by the end of input", () => {
    const r = new ProtoReader(bytesOf([0x96]));
    r.varint();
    expect(r.ok).toBe(false);
  });
  it("rejects field number zero", () => {
    expect(new ProtoReader(bytesOf([0x02, 0x00])).next()).toBe(false);
  });
  it("rejects group wire types", () => {
    const r = new ProtoReader(bytesOf([0x0B]));
    expect(r.next()).toBe(false);
    expect(r.ok).toBe(false);
  });
  it("rejects a length past the end", () => {
    const r = new ProtoReader(bytesOf([0x0A, 0x05, 0x61]));
    r.next();
    expect(r.len()).toBe(false);
    expect(r.ok).toBe(false);
  });
  it("rejects a huge length without overflowing", () => {
    const r = new ProtoReader(concat([tag(1, 2), varint(0xFFFFFFFFFFFF)]));
    r.next();
    expect(r.len()).toBe(false);
  });
  it("rejects a fixed64 cut short", () => {
    const r = new ProtoReader(bytesOf([0x11, 1, 2, 3]));
    r.next();
    r.fixed64();
    expect(r.ok).toBe(false);
  });
  it("skips every wire type it knows", () => {
    const b = concat([varintField(1, 300), doubleField(2, 1.5), stringField(3, "abc"), bytesOf([0x25, 1, 2, 3, 4]), varintField(9, 1)]);
    const r = new ProtoReader(b);
    let fields = 0;
    while (r.next()) { fields++; r.skip(); }
    expect(r.ok).toBe(true);
    expect(fields).toBe(5);
  });
  it("stays inside an embedded message's limit and resumes after it", () => {
    const b = concat([messageField(1, [varintField(1, 7)]), varintField(2, 9)]);
    const r = new ProtoReader(b);
    r.next();
    r.len();
    const outer = r.enter();
    expect(r.next()).toBe(true);
    expect(r.varint()).toBe(7);
    expect(r.next()).toBe(false);
    r.leave(outer);
    expect(r.next()).toBe(true);
    expect(r.field).toBe(2);
  });
});

describe("google.protobuf.Struct", () => {
  it("decodes a jwt_authn payload Struct into a CEL map", () => {
    const payload = structBody([
      entry("iss", vString("https://issuer.example")),
      entry("sub", vString("alice")),
      entry("exp", vNumber(1700000000)),
      entry("email_verified", vBool(true)),
      entry("groups", vList([vString("free"), vString("beta")])),
      entry("address", vStruct([entry("country", vString("DE"))])),
      entry("nickname", vNull()),
    ]);
    expect(json(decodeStruct(payload))).toBe(
      "{\"iss\":\"https://issuer.example\",\"sub\":\"alice\",\"exp\":1700000000.0,\"email_verified\":true," +
      "\"groups\":[\"free\",\"beta\"],\"address\":{\"country\":\"DE\"},\"nickname\":null}");
  });
  it("decodes an empty Struct as an empty map", () => {
    expect(json(decodeStruct(new ArrayBuffer(0)))).toBe("{}");
  });
  it("makes numbers doubles, as Struct stores them", () => {
    const v = decodeStruct(structBody([entry("n", vNumber(42))]));
    expect(v!.map!.getString("n")!.kind).toBe(Kind.Double);
  });
  it("lets a later entry with the same key win", () => {
    expect(json(decodeStruct(structBody([entry("a", vString("1")), entry("a", vString("2"))])))).toBe("{\"a\":\"2\"}");
  });
  it("lets a later key win in a large map too", () => {
    const entries = new Array<ArrayBuffer>();
    for (let i = 0; i < 40; i++) entries.push(entry("k" + i.toString(), vNumber(<f64>i)));
    entries.push(entry("k3", vString("last")));
    const v = decodeStruct(structBody(entries));
    expect(v!.map!.size).toBe(40);
    expect(v!.map!.getString("k3")!.str).toBe("last");
  });
  it("lets the last oneof member of a Value win", () => {
    const v = decodeStruct(structBody([entry("x", concat([vString("s"), vBool(false)]))]));
    expect(json(v)).toBe("{\"x\":false}");
  });
  it("reads a Value with no kind set as null", () => {
    expect(json(decodeStruct(structBody([entry("x", new ArrayBuffer(0))])))).toBe("{\"x\":null}");
  });
  it("reads an entry without a value as null and without a key as the empty key", () => {
    const noValue = messageField(1, [stringField(1, "k")]);
    const noKey = messageField(1, [lenField(2, vString("v"))]);
    expect(json(decodeStruct(concat([noValue, noKey])))).toBe("{\"k\":null,\"\":\"v\"}");
  });
  it("skips unknown fields at every level", () => {
    const b = concat([varintField(7, 1), messageField(1, [stringField(1, "k"), varintField(9, 3), lenField(2, concat([vString("v"), doubleField(12, 1)]))])]);
    expect(json(decodeStruct(b))).toBe("{\"k\":\"v\"}");
  });
  it("treats a known field with the wrong wire type as unknown", () => {
    // string_value (3) sent as a varint: skipped, the Value stays null.
    expect(json(decodeStruct(structBody([entry("x", varintField(3, 1))])))).toBe("{\"x\":null}");
  });
  it("decodes nested lists of structs", () => {
    const b = structBody([entry("l", vList([vStruct([entry("a", vList([vNumber(1), vNull()]))])]))]);
    expect(json(decodeStruct(b))).toBe("{\"l\":[{\"a\":[1.0,null]}]}");
  });
  it("accepts nesting up to the depth limit", () => {
    let v = vString("deep");
    for (let i = 0; i < 14; i++) v = vStruct([entry("d", v)]);
    expect(decodeStruct(structBody([entry("d", v)]))).not.toBeNull();
  });
  it("rejects nesting past the depth limit instead of recursing without bound", () => {
    let v = vString("deep");
    for (let i = 0; i < MAX_STRUCT_DEPTH; i++) v = vList([v]);
    expect(decodeStruct(structBody([entry("d", v)]))).toBeNull();
  });
  it("rejects a Struct cut anywhere inside", () => {
    const b = structBody([entry("sub", vString("alice")), entry("groups", vList([vString("a")]))]);
    let rejected = 0;
    for (let cut = 1; cut < b.byteLength; cut++) {
      if (decodeStruct(b.slice(0, cut)) === null) rejected++;
    }
    // Cuts that land exactly between entries leave a valid, shorter Struct.
    expect(rejected).toBe(b.byteLength - 2);
  });
  it("decodes invalid UTF-8 in a string without trapping", () => {
    const v = decodeStruct(structBody([entry("s", lenField(3, bytesOf([0xC3, 0x28, 0xFF, 0xE2, 0x82])))]));
    expect(v!.map!.getString("s")!.kind).toBe(Kind.String);
  });
  it("decodes a sub-range of a buffer", () => {
    const inner = structBody([entry("a", vBool(true))]);
    const b = concat([bytesOf([0xFF, 0xFF]), inner, bytesOf([0xFF])]);
    expect(json(decodeStruct(b, 2, 2 + inner.byteLength))).toBe("{\"a\":true}");
  });
});

describe("envoy.config.core.v3.Metadata", () => {
  it("decodes filter_metadata namespaces", () => {
    const md = concat([
      metadataWith("envoy.filters.http.jwt_authn", structBody([entry("jwt_payload", vStruct([entry("sub", vString("alice"))]))])),
      metadataWith("istio_authn", structBody([entry("source.principal", vString("spiffe://x"))])),
    ]);
    expect(json(decodeMetadata(md))).toBe(
      "{\"filter_metadata\":{\"envoy.filters.http.jwt_authn\":{\"jwt_payload\":{\"sub\":\"alice\"}}," +
      "\"istio_authn\":{\"source.principal\":\"spiffe://x\"}},\"typed_filter_metadata\":{}}");
  });
  it("reads a namespace entry without a Struct as an empty map", () => {
    const md = messageField(1, [stringField(1, "ns")]);
    expect(json(decodeMetadata(md))).toBe("{\"filter_metadata\":{\"ns\":{}},\"typed_filter_metadata\":{}}");
  });
  it("rejects metadata whose namespace Struct is malformed", () => {
    const md = messageField(1, [stringField(1, "ns"), lenField(2, bytesOf([0x0A, 0x09, 0x0A]))]);
    expect(decodeMetadata(md)).toBeNull();
  });
});
