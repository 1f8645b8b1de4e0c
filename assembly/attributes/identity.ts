// `auth.identity`: who the caller is, shaped so that Kuadrant TokenRateLimitPolicies
// work unchanged. Kuadrant's Authorino hands policies an identity object with
// `userid` and `metadata.annotations["kuadrant.io/groups"]` (comma-separated groups);
// here the identity is the caller's claims (JWT payload, jwt_authn metadata) or a map
// built from trusted headers, enriched with those two fields when they are missing.

import { AttributeSpec } from "./catalog";
import { Encoding } from "./encoding";
import { Value, MapValue, Kind } from "../cel/value";
import { IdentityFailure } from "./failure";

/**
 * Where the identity comes from ("identity.source" in the plugin configuration, which
 * reads it by position in IDENTITY_SOURCE_NAMES).
 */
export enum IdentitySource {
  /** Decode (not verify) the bearer JWT in a request header. */
  Jwt = 0,
  /** The payload Envoy's jwt_authn filter verified and wrote to dynamic metadata. */
  JwtAuthn = 1,
  /** User and groups headers set by a trusted filter or gateway in front. */
  Headers = 2,
  /** No identity: `auth.identity` is always absent. */
  None = 3,
}

/** The configuration's names of IdentitySource, indexed by value. */
export const IDENTITY_SOURCE_NAMES: Array<string> = ["jwt", "jwtAuthn", "headers", "none"];

/** The IdentitySource named in configuration ("jwt", "jwtAuthn", "headers", "none"), or -1. */
export function parseIdentitySource(name: string): i32 {
  return IDENTITY_SOURCE_NAMES.indexOf(name);
}

/**
 * How to find and shape the identity. Fields mirror the configuration
 * (`identity.jwt.header` -> `jwtHeader`, ...); defaults are the configuration's.
 */
export class IdentityOptions {
  source: IdentitySource = IdentitySource.Jwt;
  /** identity.jwt.header */
  jwtHeader: string = "authorization";
  /** identity.jwt.prefix, found anywhere in the value, case-sensitively (as jwt_authn's value_prefix); "" = the whole value. */
  jwtPrefix: string = "Bearer ";
  /** identity.jwt.queryParameter: read when the header carries no token (jwt_authn's default location); "" = never. */
  jwtQueryParameter: string = "access_token";
  /** identity.jwtAuthn.metadataNamespace */
  jwtAuthnNamespace: string = "envoy.filters.http.jwt_authn";
  /** identity.jwtAuthn.payloadKey; "" = the first Struct found in the namespace. */
  jwtAuthnPayloadKey: string = "";
  /** identity.headers.user */
  userHeader: string = "x-auth-user";
  /** identity.headers.groups */
  groupsHeader: string = "x-auth-groups";
  /** identity.userIdClaim: claim copied to `userid` when the identity has none. */
  userIdClaim: string = "sub";
  /** identity.groupsClaim: claim copied to the groups annotation when it is missing. */
  groupsClaim: string = "groups";
  /** identity.groupsAnnotation: key under `metadata.annotations`. */
  groupsAnnotation: string = "kuadrant.io/groups";
  private namespaceAttribute: AttributeSpec | null = null;

  /** The property `metadata.filter_metadata.<jwtAuthnNamespace>`, its path encoded once. */
  jwtAuthnNamespaceAttribute(): AttributeSpec {
    let a = this.namespaceAttribute;
    const ns = this.jwtAuthnNamespace;
    if (a === null || unchecked(a.path[2]) != ns) {
      // A serialized google.protobuf.Struct, which the caller decodes.
      a = new AttributeSpec("metadata.filter_metadata", ["metadata", "filter_metadata", ns], Encoding.Bytes);
      this.namespaceAttribute = a;
    }
    return a;
  }
}

/**
 * An identity (a CEL map) or the reason there is none. Never changed once made, so that
 * a failure is one shared result per reason (a request without a verified payload looks
 * for one first) and no result can carry one request's identity into another's.
 */
export class IdentityResult {
  constructor(readonly identity: Value | null, readonly failure: IdentityFailure) {}

  static found(identity: Value): IdentityResult {
    return new IdentityResult(identity, IdentityFailure.None);
  }

  /** The shared result of `reason`; allocates nothing for a reason IdentityFailure names. */
  static failed(reason: IdentityFailure): IdentityResult {
    const i = <i32>reason;
    const shared = FAILED_RESULTS;
    if (i < 0 || i >= shared.length) return new IdentityResult(null, reason);
    return unchecked(shared[i]);
  }
}

// One result per IdentityFailure, by value (a reason added later past the last is made per call).
const FAILED_RESULTS = failedResults(<i32>IdentityFailure.DuplicateHeader + 1);

function failedResults(n: i32): StaticArray<IdentityResult> {
  const out = new StaticArray<IdentityResult>(n);
  for (let i = 0; i < n; i++) unchecked(out[i] = new IdentityResult(null, <IdentityFailure>i));
  return out;
}

/**
 * The claim `name` of `claims`: the key itself when present (claim names may contain
 * dots, e.g. "https://example.com/groups"), otherwise a dotted path through nested maps
 * ("realm_access.roles"). Null when absent.
 */
export function findClaim(claims: MapValue, name: string): Value | null {
  if (name.length == 0) return null;
  const direct = claims.getString(name);
  if (direct !== null) return direct;
  if (name.indexOf(".") < 0) return null;
  const parts = name.split(".");
  let cur: MapValue | null = claims;
  let v: Value | null = null;
  for (let i = 0, n = parts.length; i < n; i++) {
    if (cur === null) return null;
    v = cur.getString(unchecked(parts[i]));
    if (v === null) return null;
    cur = v.kind == Kind.Map ? v.map : null;
  }
  return v;
}

/** 2^53: doubles below it in magnitude print exactly as integers. */
const EXACT_DOUBLE: f64 = 9007199254740992.0;

/**
 * A claim as a user id, keeping its type so that `123` and `"123"` stay different
 * callers: a non-empty string as it is, an integer as an int (an integral double below
 * 2^53 too, as JSON and protobuf Struct numbers may arrive as doubles, so the same token
 * gives the same id whether it was decoded here or by jwt_authn). Null for anything else
 * (`""`, a fraction, a bool, a list, a map, null): a claim that cannot name a caller.
 */
export function claimAsUserId(v: Value): Value | null {
  if (v.kind == Kind.String) return v.str.length > 0 ? v : null;
  if (v.kind == Kind.Int || v.kind == Kind.Uint) return v;
  if (v.kind == Kind.Double) {
    const d = v.d;
    if (d == Math.floor(d) && Math.abs(d) < EXACT_DOUBLE) return Value.int(<i64>d);
  }
  return null;
}

/**
 * A groups claim as the annotation's comma-separated text: a list's string elements
 * joined with "," (others skipped), a string as it is. Null for other kinds.
 */
export function claimAsGroups(v: Value): string | null {
  if (v.kind == Kind.String) return v.str;
  if (v.kind != Kind.List) return null;
  const list = v.list;
  if (list === null) return null;
  // Joined once, so a token with thousands of groups costs linear time.
  const names = new Array<string>();
  for (let i = 0, n = list.length; i < n; i++) {
    const item = unchecked(list[i]);
    if (item.kind == Kind.String) names.push(item.str);
  }
  return names.join(",");
}

/** A shallow copy, so enriching never changes a value another attribute shares. */
function copyMap(m: MapValue): MapValue {
  const out = new MapValue();
  out.keys = m.keys.slice(0);
  out.values = m.values.slice(0);
  return out;
}

/** The map under `key` in `m`, or null when absent or not a map. */
function childMap(m: MapValue, key: string): MapValue | null {
  const v = m.getString(key);
  return v !== null && v.kind == Kind.Map ? v.map : null;
}

/**
 * The identity for `claims`: a copy with `userid` set from `userIdClaim` when the
 * claims have no `userid`, and `metadata.annotations[groupsAnnotation]` set from
 * `groupsClaim` when absent. A `metadata` or `annotations` claim that is not a map is
 * left alone (no annotation is added). Fails with BadClaim when `userid`, or the claim
 * it comes from, is present but cannot name a caller (see claimAsUserId).
 * Allocates the copies; `claims` is not changed.
 */
export function enrichIdentity(claims: MapValue, options: IdentityOptions): IdentityResult {
  const out = copyMap(claims);
  const own = out.getString("userid");
  if (own !== null) {
    const id = claimAsUserId(own);
    if (id === null) return IdentityResult.failed(IdentityFailure.BadClaim);
    if (id !== own) out.setString("userid", id);
  } else {
    const c = findClaim(claims, options.userIdClaim);
    if (c !== null) {
      const id = claimAsUserId(c);
      if (id === null) return IdentityResult.failed(IdentityFailure.BadClaim);
      out.setString("userid", id);
    }
  }
  return IdentityResult.found(withGroupsAnnotation(claims, out, options));
}

/** `out` with the groups annotation added from the groups claim of `claims` when missing. */
function withGroupsAnnotation(claims: MapValue, out: MapValue, options: IdentityOptions): Value {
  const annotationKey = options.groupsAnnotation;
  if (annotationKey.length == 0) return Value.map(out);
  const metaValue = out.getString("metadata");
  if (metaValue !== null && metaValue.kind != Kind.Map) return Value.map(out);
  const meta = childMap(out, "metadata");
  const annValue = meta !== null ? meta.getString("annotations") : null;
  if (annValue !== null && annValue.kind != Kind.Map) return Value.map(out);
  const annotations = meta !== null ? childMap(meta, "annotations") : null;
  if (annotations !== null && annotations.getString(annotationKey) !== null) return Value.map(out);
  const g = findClaim(claims, options.groupsClaim);
  if (g === null) return Value.map(out);
  const groups = claimAsGroups(g);
  if (groups === null) return Value.map(out);
  const newAnnotations = annotations !== null ? copyMap(annotations) : new MapValue();
  newAnnotations.setString(annotationKey, Value.string(groups));
  const newMeta = meta !== null ? copyMap(meta) : new MapValue();
  newMeta.setString("annotations", Value.map(newAnnotations));
  out.setString("metadata", Value.map(newMeta));
  return Value.map(out);
}

/** Splits a comma-separated header into trimmed, non-empty items. */
function splitGroups(header: string): Array<string> {
  const out = new Array<string>();
  const parts = header.split(",");
  for (let i = 0, n = parts.length; i < n; i++) {
    const p = unchecked(parts[i]).trim();
    if (p.length > 0) out.push(p);
  }
  return out;
}

/**
 * The identity from trusted headers: `{userid, <groupsClaim>: [..],
 * metadata: {annotations: {<groupsAnnotation>: "a,b"}}}`; groups only when the groups
 * header is present. Fails with MissingHeader when the user header is absent or blank.
 */
export function identityFromHeaders(user: string | null, groups: string | null, options: IdentityOptions): IdentityResult {
  if (user === null) return IdentityResult.failed(IdentityFailure.MissingHeader);
  const userId = user.trim();
  if (userId.length == 0) return IdentityResult.failed(IdentityFailure.MissingHeader);
  const out = new MapValue();
  out.setString("userid", Value.string(userId));
  if (groups !== null) {
    const items = splitGroups(groups);
    const list = new Array<Value>(items.length);
    for (let i = 0, n = items.length; i < n; i++) unchecked(list[i] = Value.string(unchecked(items[i])));
    if (options.groupsClaim.length > 0) out.setString(options.groupsClaim, Value.list(list));
    if (options.groupsAnnotation.length > 0) {
      const annotations = new MapValue();
      annotations.setString(options.groupsAnnotation, Value.string(items.join(",")));
      const meta = new MapValue();
      meta.setString("annotations", Value.map(annotations));
      out.setString("metadata", Value.map(meta));
    }
  }
  return IdentityResult.found(Value.map(out));
}

/**
 * The jwt_authn payload in the namespace Struct `ns` (metadata.filter_metadata[ns]):
 * the entry `payloadKey`, or with "" the first entry that is a map. jwt_authn writes
 * `payload_in_metadata: <key>` entries there, one per provider. Enriched like a JWT.
 */
export function identityFromJwtAuthn(ns: Value | null, options: IdentityOptions): IdentityResult {
  if (ns === null || ns.kind != Kind.Map) return IdentityResult.failed(IdentityFailure.MissingMetadata);
  const fields = ns.map;
  if (fields === null) return IdentityResult.failed(IdentityFailure.MissingMetadata);
  let payload: MapValue | null = null;
  const key = options.jwtAuthnPayloadKey;
  if (key.length > 0) {
    payload = childMap(fields, key);
  } else {
    for (let i = 0, n = fields.values.length; i < n; i++) {
      const v = unchecked(fields.values[i]);
      if (v.kind == Kind.Map && v.map !== null) { payload = v.map; break; }
    }
  }
  if (payload === null) return IdentityResult.failed(IdentityFailure.MissingPayload);
  return enrichIdentity(payload, options);
}
