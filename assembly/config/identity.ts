// `identity`: where the caller's identity (auth.identity.* in CEL) comes from. The
// filter only decodes; verifying a JWT is the job of Istio RequestAuthentication or
// Envoy's jwt_authn filter placed before this one.

import { Value } from "../cel/value";
import { pathKey } from "../json/path";
import { ConfigReader, headerName } from "./reader";
import { IdentitySource, IDENTITY_SOURCE_NAMES } from "../attributes/identity";

export { IdentitySource };

/** `identity.jwt`: read the token from a request header. */
export class JwtHeaderConfig {
  /** Lower-case header name. */
  header: string = "authorization";
  /**
   * Text before the token, found anywhere in the value, case-sensitively, as jwt_authn's
   * `value_prefix` ("" = the whole value is the token).
   */
  prefix: string = "Bearer ";
  /**
   * Query parameter read when the header carries no token, as jwt_authn's default
   * `access_token` ("" = none; the default is "" when `header` or `prefix` is set).
   */
  queryParameter: string = "access_token";
}

/** `identity.jwtAuthn`: read the payload jwt_authn stored in dynamic metadata. */
export class JwtAuthnConfig {
  metadataNamespace: string = "envoy.filters.http.jwt_authn";
  /** The `payload_in_metadata` key; "" = the first payload found in the namespace. */
  payloadKey: string = "";
}

/** `identity.headers`: identity set by an earlier filter in plain headers. */
export class IdentityHeadersConfig {
  /** Lower-case header name holding the user id. */
  user: string = "x-auth-user";
  /** Lower-case header name holding comma-separated groups ("" = none). */
  groups: string = "x-auth-groups";
}

export class IdentityConfig {
  source: IdentitySource = IdentitySource.Jwt;
  jwt: JwtHeaderConfig = new JwtHeaderConfig();
  jwtAuthn: JwtAuthnConfig = new JwtAuthnConfig();
  headers: IdentityHeadersConfig = new IdentityHeadersConfig();
  /** Claim copied to auth.identity.userid when that is absent. */
  userIdClaim: string = "sub";
  /** Claim (array or string) joined with "," into the groups annotation when absent. */
  groupsClaim: string = "groups";
  /** Annotation key under auth.identity.metadata.annotations that receives the groups. */
  groupsAnnotation: string = "kuadrant.io/groups";
  /** What a request presenting an unusable credential gets when a limit needs its identity. */
  onInvalid: OnInvalidCredential = OnInvalidCredential.Reject;
  /** Status of that refusal. */
  invalidStatus: i32 = 403;
}

/** `identity.onInvalid`: a credential is present but cannot be decoded or names no caller. */
export enum OnInvalidCredential {
  /** Refuse the request (`identity.invalidStatus`, 403 by default). */
  Reject = 0,
  /** Treat the caller as anonymous (no identity), as before. */
  Anonymous = 1,
}
const ON_INVALID_NAMES: Array<string> = ["reject", "anonymous"];

const IDENTITY_FIELDS: Array<string> = ["source", "jwt", "jwtAuthn", "headers", "userIdClaim", "groupsClaim", "groupsAnnotation", "onInvalid", "invalidStatus"];
const JWT_FIELDS: Array<string> = ["header", "prefix", "queryParameter"];
const JWT_AUTHN_FIELDS: Array<string> = ["metadataNamespace", "payloadKey"];
const HEADERS_FIELDS: Array<string> = ["user", "groups"];

/** Reads `identity` (absent: all defaults). */
export function readIdentity(r: ConfigReader, v: Value | null, path: string): IdentityConfig {
  const out = new IdentityConfig();
  if (v === null) return out;
  const obj = r.object(v, path, IDENTITY_FIELDS);
  if (obj === null) return out;
  out.source = <IdentitySource>r.oneOf(obj, "source", path, IDENTITY_SOURCE_NAMES, IdentitySource.Jwt);

  const jwt = r.member(obj, "jwt");
  const jwtPath = pathKey(path, "jwt");
  if (jwt !== null) {
    const o = r.object(jwt, jwtPath, JWT_FIELDS);
    if (o !== null) {
      out.jwt.header = headerName(r, r.string(o, "header", jwtPath, out.jwt.header), pathKey(jwtPath, "header"), false);
      out.jwt.prefix = r.string(o, "prefix", jwtPath, out.jwt.prefix);
      // jwt_authn reads access_token only for a provider that names no location: a
      // configuration that names its header reads no parameter unless it names one too.
      const namesHeader = r.member(o, "header") !== null || r.member(o, "prefix") !== null;
      out.jwt.queryParameter = r.string(o, "queryParameter", jwtPath, namesHeader ? "" : out.jwt.queryParameter);
    }
  }
  const authn = r.member(obj, "jwtAuthn");
  const authnPath = pathKey(path, "jwtAuthn");
  if (authn !== null) {
    const o = r.object(authn, authnPath, JWT_AUTHN_FIELDS);
    if (o !== null) {
      out.jwtAuthn.metadataNamespace = r.nonEmptyString(o, "metadataNamespace", authnPath, out.jwtAuthn.metadataNamespace);
      out.jwtAuthn.payloadKey = r.string(o, "payloadKey", authnPath, out.jwtAuthn.payloadKey);
    }
  }
  const headers = r.member(obj, "headers");
  const headersPath = pathKey(path, "headers");
  if (headers !== null) {
    const o = r.object(headers, headersPath, HEADERS_FIELDS);
    if (o !== null) {
      out.headers.user = headerName(r, r.string(o, "user", headersPath, out.headers.user), pathKey(headersPath, "user"), false);
      out.headers.groups = headerName(r, r.string(o, "groups", headersPath, out.headers.groups), pathKey(headersPath, "groups"), true);
    }
  }
  out.userIdClaim = r.nonEmptyString(obj, "userIdClaim", path, out.userIdClaim);
  out.groupsClaim = r.nonEmptyString(obj, "groupsClaim", path, out.groupsClaim);
  out.groupsAnnotation = r.nonEmptyString(obj, "groupsAnnotation", path, out.groupsAnnotation);
  out.onInvalid = <OnInvalidCredential>r.oneOf(obj, "onInvalid", path, ON_INVALID_NAMES, OnInvalidCredential.Reject);
  out.invalidStatus = <i32>r.integer(obj, "invalidStatus", path, out.invalidStatus, 400, 599);
  return out;
}
