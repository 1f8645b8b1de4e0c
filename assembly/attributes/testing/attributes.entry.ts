// Test-only exports for the Node cross-checks (test/attributes/*.test.ts): the protobuf
// Struct/Metadata decoders, base64url and the identity resolver, driven with bytes built
// by independent encoders (@bufbuild/protobuf, Node's Buffer). Results cross the
// boundary as JSON text; "<invalid>" / "<none:reason>" mark rejections.

import { Value } from "../../cel/value";
import { stringifyJson } from "../../json/stringify";
import { decodeStruct, decodeMetadata } from "../struct";
import { decodeBase64Url } from "../base64url";
import { RequestAttributes, AttributeOptions } from "../request";
import { TableAttributeSource } from "../table_source";
import { IdentitySource } from "../identity";
import { identityFailureName } from "../failure";

function toBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

function show(v: Value | null): string {
  return v === null ? "<invalid>" : stringifyJson(v);
}

/** A serialized google.protobuf.Struct as JSON, or "<invalid>". */
export function structToJson(bytes: Uint8Array): string {
  return show(decodeStruct(toBuffer(bytes)));
}

/** A serialized envoy.config.core.v3.Metadata as JSON (typed values print as null), or "<invalid>". */
export function metadataToJson(bytes: Uint8Array): string {
  return show(decodeMetadata(toBuffer(bytes)));
}

/** Lower-case hex of the decoded bytes, or "<invalid>". */
export function base64UrlToHex(text: string): string {
  const b = decodeBase64Url(text);
  if (b === null) return "<invalid>";
  let out = "";
  for (let i = 0; i < b.byteLength; i++) {
    const x = load<u8>(changetype<usize>(b) + <usize>i);
    out += (x < 16 ? "0" : "") + (<u32>x).toString(16);
  }
  return out;
}

function identityOf(a: RequestAttributes): string {
  const id = a.resolve("auth.identity");
  return id === null ? "<none:" + identityFailureName(a.identityFailure) + ">" : stringifyJson(id);
}

/** auth.identity for a request whose Authorization header is `authorization`. */
export function jwtIdentityJson(authorization: string): string {
  const src = new TableAttributeSource().addHeader("authorization", authorization);
  return identityOf(new RequestAttributes(src, new AttributeOptions()));
}

/** auth.identity with the jwtAuthn source over serialized Metadata. */
export function jwtAuthnIdentityJson(metadata: Uint8Array, payloadKey: string): string {
  const options = new AttributeOptions();
  options.identity.source = IdentitySource.JwtAuthn;
  options.identity.jwtAuthnPayloadKey = payloadKey;
  const src = new TableAttributeSource().setProperty(["metadata"], toBuffer(metadata));
  return identityOf(new RequestAttributes(src, options));
}
