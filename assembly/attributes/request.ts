// The CEL attribute resolver for one request. Created when the request starts, asked
// by the evaluator only for names an expression touches; each answer (absent included)
// is computed once and cached, so a second lookup makes no hostcall.
//
// Names it answers:
//   Envoy attributes of catalog.ts           request.path, source.port, metadata, xds.* ...
//   request.headers                          from the request header map (one hostcall)
//   filter_state, filter_state.<key>         options.filterStateKeys / one key (bytes)
//   auth, auth.identity                      the caller's identity (identity.ts)
//   request.auth, request.auth.identity      aliases of the two above (Kuadrant writes both)
// Anything else (including deeper names such as "auth.identity.userid") is null, so
// the evaluator falls back to a shorter prefix and walks the returned map.

import { AttributeResolver, TextView, TEXT_ASCII, TEXT_ABSENT, TEXT_UNAVAILABLE } from "../cel/resolver";
import { Value, MapValue, Kind } from "../cel/value";
import { AttributeSource } from "./source";
import { findAttribute, catalogNames, AttributeSpec } from "./catalog";
import { decodeAttribute, headerMapValue, isResolvable, Encoding, asciiLower } from "./encoding";
import { decodeMetadata, decodeStruct } from "./struct";
import { decodeJwtClaims } from "./jwt";
import { tokenInHeader, queryParameter } from "./jwt_extractor";
import { IdentityFailure, IdentityStats } from "./failure";
import { IdentityCache } from "./identity_cache";
import { BorrowedBytes } from "../abi/buffers";
import { REQUEST_BODY_JSON_PREFIX } from "../cel/planner";
import { BodyJsonState, bodyJsonValue } from "../usage/body_json";
import {
  IdentityOptions, IdentityResult, IdentitySource,
  enrichIdentity, identityFromHeaders, identityFromJwtAuthn,
} from "./identity";

/**
 * Per-configuration settings shared by every request's resolver. Built once in
 * `on_configure` from the plugin configuration.
 */
export class AttributeOptions {
  /** How `auth.identity` is found and shaped. */
  identity: IdentityOptions = new IdentityOptions();
  /**
   * filter_state keys that make up the `filter_state` map. Envoy cannot list filter
   * state, so `filter_state["k"]` only sees keys named here (the constant keys the
   * configured expressions index with); `filter_state.k` works for any key.
   */
  filterStateKeys: Array<string> = new Array<string>();
  /** Identity outcomes across requests, for metrics. */
  identityStats: IdentityStats = new IdentityStats();
  /** Identities decoded from recent JWTs, by token. */
  identityCache: IdentityCache = new IdentityCache();
}

// The credential header's bytes while the identity is looked up (one request at a time).
const CREDENTIAL = new BorrowedBytes();
// A string attribute's bytes while they are copied into a resolver's text buffer.
const TEXT_BYTES = new BorrowedBytes();

/** Bytes of attributes read as text kept per request before the buffer is given back. */
// @ts-ignore: decorator
@inline const TEXT_BUFFER_KEPT: i32 = 4096;
// What the request's `:path` header turned out to be, once read.
// @ts-ignore: decorator
@inline const PATH_UNREAD: i32 = 0;
// @ts-ignore: decorator
@inline const PATH_PRESENT: i32 = 1;
// @ts-ignore: decorator
@inline const PATH_ABSENT: i32 = 2;

/**
 * 1 for `request.path`, 2 for `request.url_path`, 0 for any other name: the two a source
 * may derive from the `:path` header (AttributeSource.pathFromHeader).
 */
function pathAttribute(name: string): i32 {
  const n = name.length;
  if (n == 12 && name == "request.path") return 1;
  if (n == 16 && name == "request.url_path") return 2;
  return 0;
}

/** String attributes a request may read as bytes; more are read as values. */
// @ts-ignore: decorator
@inline const TEXT_ENTRIES: i32 = 8;
/** Catalog lookups remembered by name (a policy names few attributes). */
// @ts-ignore: decorator
@inline const SPEC_MEMO_SIZE: i32 = 16;

/** The identity carried by `token`: its claims, enriched. */
function tokenIdentity(token: string, o: IdentityOptions): IdentityResult {
  const decoded = decodeJwtClaims(token);
  const claims = decoded.claims;
  const map = claims !== null ? claims.map : null;
  if (map === null) return IdentityResult.failed(decoded.failure);
  return enrichIdentity(map, o);
}

// The whole-metadata property, as a catalog entry so that its path is encoded once.
const METADATA = new AttributeSpec("metadata", ["metadata"], Encoding.Metadata);

/** Names answered outside the Envoy catalog. */
const SPECIAL_NAMES: string[] = [
  "request.headers", "filter_state", "auth", "auth.identity", "request.auth", "request.auth.identity",
];

/**
 * Every name RequestAttributes answers (timestamps and durations excluded), for the CEL
 * planner's `CompileOptions.knownNames`: paths then bind to their attribute at
 * configuration time, and with `onlyKnownNames` a misspelt attribute is a configuration
 * error instead of a predicate that is always false. Allocates.
 */
export function knownAttributeNames(): Array<string> {
  const out = catalogNames(true);
  for (let i = 0; i < SPECIAL_NAMES.length; i++) out.push(unchecked(SPECIAL_NAMES[i]));
  return out;
}

// What the "metadata" property turned out to be, for telling a missing jwt_authn
// namespace from unreadable metadata.
const METADATA_UNKNOWN: i32 = 0;
const METADATA_PRESENT: i32 = 1;
const METADATA_ABSENT: i32 = 2;
const METADATA_MALFORMED: i32 = 3;

/** Whether `name` is `request.auth` or a name under it (an alias of `auth...`). */
function isRequestAuthName(name: string): bool {
  return name.startsWith("request.auth") && (name.length == 12 || name.charCodeAt(12) == 46);
}

/** Whether `lookup` answers `name` before looking at the Envoy catalog. */
function answeredOutsideCatalog(name: string): bool {
  return isRequestAuthName(name) || name == "auth.identity" || name == "auth" || name == "request.headers" ||
    name.startsWith(REQUEST_BODY_JSON_PREFIX) || name == "metadata" || name == "filter_state" || name.startsWith("filter_state.");
}

export class RequestAttributes extends AttributeResolver {
  private names: Array<string> = new Array<string>();
  private values: Array<Value | null> = new Array<Value | null>();
  private identityLooked: bool = false;
  private identityValue: Value | null = null;
  private metadataState: i32 = METADATA_UNKNOWN;
  /** Why this request has no identity; None when it has one or it was not looked up. */
  identityFailure: IdentityFailure = IdentityFailure.None;
  // The request body `requestBodyJSON` reads: memory the caller keeps alive while it
  // evaluates (see `withRequestBody`).
  private bodyState: BodyJsonState = BodyJsonState.Empty;
  private bodyPtr: usize = 0;
  private bodyLen: usize = 0;
  /** An expression read the request body, which could not be read (too large, not JSON). */
  unreadableBodyRead: bool = false;
  // String attributes read as bytes (`text`), up to TEXT_ENTRIES a request: name, start in
  // `textBuffer` (-1: absent), length, and whether every byte is ASCII (1 or 0). Fixed
  // tables and a buffer reused from request to request: reading allocates nothing.
  private textNames: StaticArray<string | null> = new StaticArray<string | null>(TEXT_ENTRIES);
  private textStarts: StaticArray<i32> = new StaticArray<i32>(TEXT_ENTRIES);
  private textLengths: StaticArray<i32> = new StaticArray<i32>(TEXT_ENTRIES);
  private textAscii: StaticArray<bool> = new StaticArray<bool>(TEXT_ENTRIES);
  private textCount: i32 = 0;
  private textBuffer: ArrayBuffer = new ArrayBuffer(256);
  private textUsed: i32 = 0;
  // Catalog answers by name, kept across requests: the names are the policy's.
  private memoNames: Array<string> = new Array<string>();
  private memoSpecs: Array<AttributeSpec | null> = new Array<AttributeSpec | null>();
  private units: i32 = 0;
  // The `:path` header in `textBuffer`, read at most once per request.
  private pathState: i32 = PATH_UNREAD;
  private pathStart: i32 = 0;
  private pathLength: i32 = 0;

  /** `source`: the proxy (HostAttributeSource) or a table in tests. Allocates nothing else. */
  constructor(public source: AttributeSource, public options: AttributeOptions) {
    super();
  }

  /**
   * Forgets everything resolved, for the next request under `options`, keeping the cache's
   * storage: one resolver serves every request of a VM, one at a time.
   */
  reset(options: AttributeOptions): RequestAttributes {
    this.options = options;
    // (Emptying an empty array is still a call: most requests resolve no value.)
    if (this.names.length != 0) {
      this.names.length = 0;
      this.values.length = 0;
    }
    this.identityLooked = false;
    this.identityValue = null;
    this.metadataState = METADATA_UNKNOWN;
    this.identityFailure = IdentityFailure.None;
    this.bodyState = BodyJsonState.Empty;
    this.bodyPtr = 0;
    this.bodyLen = 0;
    this.unreadableBodyRead = false;
    for (let i = 0, n = this.textCount; i < n; i++) unchecked(this.textNames[i] = null);
    this.textCount = 0;
    this.textUsed = 0;
    this.pathState = PATH_UNREAD;
    // A request with a huge attribute does not keep its buffer for every later one.
    if (this.textBuffer.byteLength > TEXT_BUFFER_KEPT) this.textBuffer = new ArrayBuffer(256);
    this.units = 0;
    return this;
  }

  /** Values made for this request (one per attribute resolved, more for maps). */
  allocationUnits(): i32 {
    return this.units;
  }

  /**
   * A string attribute of the Envoy catalog as its bytes when they are all ASCII (see
   * AttributeResolver.text): read once per request into a reused buffer, and answered from
   * there by `resolve` too, so that either way costs one hostcall. Allocates nothing once
   * the buffer has grown to the request's attributes.
   */
  text(name: string, out: TextView): i32 {
    if (this.source.pathFromHeader()) {
      const which = pathAttribute(name);
      if (which != 0) return this.pathText(which == 2, out);
    }
    const names = this.textNames;
    const count = this.textCount;
    for (let i = 0; i < count; i++) {
      if (changetype<string>(unchecked(names[i])) == name) return this.textAt(i, out);
    }
    if (count == TEXT_ENTRIES) return TEXT_UNAVAILABLE;
    // Resolved as a value already (by an expression that needed one): that value answers.
    const resolved = this.names;
    for (let i = 0, n = resolved.length; i < n; i++) {
      if (unchecked(resolved[i]) == name) return TEXT_UNAVAILABLE;
    }
    const spec = this.stringSpec(name);
    if (spec === null) return TEXT_UNAVAILABLE;
    const raw = TEXT_BYTES;
    let start = -1, len = 0;
    let ascii = true;
    if (this.source.attributeBytes(spec, raw)) {
      len = <i32>raw.size;
      start = this.textUsed;
      if (start + len > this.textBuffer.byteLength) this.growText(start + len);
      const dst = changetype<usize>(this.textBuffer) + <usize>start;
      memory.copy(dst, raw.ptr, raw.size);
      raw.release();
      this.textUsed = start + len;
      for (let i = 0; i < len; i++) {
        if (load<u8>(dst + <usize>i) >= 0x80) { ascii = false; break; }
      }
    }
    unchecked(names[count] = name);
    unchecked(this.textStarts[count] = start);
    unchecked(this.textLengths[count] = len);
    unchecked(this.textAscii[count] = ascii);
    this.textCount = count + 1;
    return this.textAt(count, out);
  }

  /**
   * The request's `:path` header (one read per request, whatever asks for it: the
   * resolver, the query token, the filter); "" when absent. Allocates the string.
   */
  requestPath(): string {
    if (!this.readPath() || this.pathLength == 0) return "";
    return String.UTF8.decodeUnsafe(changetype<usize>(this.textBuffer) + <usize>this.pathStart, <usize>this.pathLength);
  }

  /** Reads `:path` into the text buffer unless this request already has; false when absent. */
  private readPath(): bool {
    if (this.pathState == PATH_UNREAD) {
      const raw = TEXT_BYTES;
      if (this.source.borrowRequestHeader(":path", raw)) {
        const start = this.textUsed;
        const len = <i32>raw.size;
        if (start + len > this.textBuffer.byteLength) this.growText(start + len);
        memory.copy(changetype<usize>(this.textBuffer) + <usize>start, raw.ptr, raw.size);
        raw.release();
        this.textUsed = start + len;
        this.pathStart = start;
        this.pathLength = len;
        this.pathState = PATH_PRESENT;
      } else {
        this.pathState = PATH_ABSENT;
      }
    }
    return this.pathState == PATH_PRESENT;
  }

  /**
   * Bytes of `request.path` (the `:path` header) or `request.url_path` (the header up to its
   * first '?'; the fragment, not sent by clients, is kept), as Envoy computes them from the
   * same header (source/extensions/filters/common/expr/context.cc, `Path` and `UrlPath`,
   * envoyproxy/envoy at 00ab8ce99a54be6eacf986b4095d40036823a301). Without a `:path`,
   * Envoy has no `request.path` but an empty `request.url_path`.
   */
  private pathLengthOf(urlPath: bool): i32 {
    const len = this.pathLength;
    if (!urlPath) return len;
    const p = changetype<usize>(this.textBuffer) + <usize>this.pathStart;
    for (let i = 0; i < len; i++) if (load<u8>(p + <usize>i) == 0x3F) return i;
    return len;
  }

  private pathText(urlPath: bool, out: TextView): i32 {
    if (!this.readPath()) {
      if (!urlPath) return TEXT_ABSENT;
      out.ptr = changetype<usize>(this.textBuffer);
      out.len = 0;
      return TEXT_ASCII;
    }
    const len = this.pathLengthOf(urlPath);
    const p = changetype<usize>(this.textBuffer) + <usize>this.pathStart;
    for (let i = 0; i < len; i++) if (load<u8>(p + <usize>i) >= 0x80) return TEXT_UNAVAILABLE;
    out.ptr = p;
    out.len = len;
    return TEXT_ASCII;
  }

  private pathValue(urlPath: bool): Value | null {
    if (!this.readPath()) return urlPath ? Value.string("") : null;
    const len = this.pathLengthOf(urlPath);
    return Value.string(len == 0 ? "" : String.UTF8.decodeUnsafe(changetype<usize>(this.textBuffer) + <usize>this.pathStart, <usize>len));
  }

  private textAt(i: i32, out: TextView): i32 {
    const start = unchecked(this.textStarts[i]);
    if (start < 0) return TEXT_ABSENT;
    if (!unchecked(this.textAscii[i])) return TEXT_UNAVAILABLE;
    out.ptr = changetype<usize>(this.textBuffer) + <usize>start;
    out.len = unchecked(this.textLengths[i]);
    return TEXT_ASCII;
  }

  private growText(needed: i32): void {
    const doubled = this.textBuffer.byteLength << 1;
    const size = doubled > needed ? doubled : needed;
    const bigger = new ArrayBuffer(size);
    memory.copy(changetype<usize>(bigger), changetype<usize>(this.textBuffer), <usize>this.textUsed);
    this.textBuffer = bigger;
    this.units++;
  }

  /** The value of a name `text` read, as `lookup` would make it; false when `text` did not read it. */
  private textValue(name: string): bool {
    const names = this.textNames;
    for (let i = 0, n = this.textCount; i < n; i++) {
      if (changetype<string>(unchecked(names[i])) != name) continue;
      const start = unchecked(this.textStarts[i]);
      const len = unchecked(this.textLengths[i]);
      // Decoded as the host's copy is (abi/memory.ts takeResultString): "" when empty.
      this.textFound = start < 0 ? null
        : Value.string(len == 0 ? "" : String.UTF8.decodeUnsafe(changetype<usize>(this.textBuffer) + <usize>start, <usize>len));
      return true;
    }
    return false;
  }
  private textFound: Value | null = null;

  /** The catalog entry of `name` when `lookup` would read it as a string attribute; else null. */
  private stringSpec(name: string): AttributeSpec | null {
    const memo = this.memoNames;
    for (let i = 0, n = memo.length; i < n; i++) {
      if (unchecked(memo[i]) == name) return unchecked(this.memoSpecs[i]);
    }
    let spec: AttributeSpec | null = null;
    if (!answeredOutsideCatalog(name)) {
      const found = findAttribute(name);
      if (found !== null && found.encoding == Encoding.String) spec = found;
    }
    if (memo.length < SPEC_MEMO_SIZE) {
      memo.push(name);
      this.memoSpecs.push(spec);
    }
    return spec;
  }

  /**
   * The request body for `requestBodyJSON`: [ptr, ptr+len) in `state`, which the caller
   * keeps alive and unchanged until it is done evaluating. Until called (or after
   * `reset`), the request has no body: every pointer is null.
   */
  withRequestBody(state: BodyJsonState, ptr: usize, len: usize): RequestAttributes {
    this.bodyState = state;
    this.bodyPtr = ptr;
    this.bodyLen = len;
    return this;
  }

  /**
   * The value of `name` for this request, or null when it is not an attribute we know
   * or it is absent. Cached per name, absent answers included. Never traps.
   */
  resolve(name: string): Value | null {
    const names = this.names;
    for (let i = 0, n = names.length; i < n; i++) {
      if (unchecked(names[i]) == name) return unchecked(this.values[i]);
    }
    const value = this.textValue(name) ? this.textFound : this.lookup(name);
    this.textFound = null;
    this.units++;
    this.names.push(name);
    this.values.push(value);
    return value;
  }

  /**
   * The caller's identity map (`auth.identity`), or null with `identityFailure` set.
   * Looked up once per request; the outcome is recorded in `options.identityStats`.
   */
  identity(): Value | null {
    if (this.identityLooked) return this.identityValue;
    this.identityLooked = true;
    // The credential's claims, when not cached, and the identity's result.
    this.units += 4;
    const found = this.findIdentity();
    this.identityValue = found.identity;
    this.identityFailure = found.failure;
    this.options.identityStats.record(found.failure);
    return found.identity;
  }

  /** Whether `identity()` has run for this request. */
  get identityResolved(): bool {
    return this.identityLooked;
  }

  private lookup(name: string): Value | null {
    // "request.auth..." is "auth...": Kuadrant policies use both spellings. Deeper names
    // are null under either spelling (the evaluator walks the identity map instead).
    if (isRequestAuthName(name)) {
      if (name.length == 12) return this.resolve("auth");
      return name == "request.auth.identity" ? this.resolve("auth.identity") : null;
    }
    if (name == "auth.identity") return this.identity();
    if (name == "auth") {
      const auth = new MapValue();
      const id = this.identity();
      if (id !== null) auth.setString("identity", id);
      return Value.map(auth);
    }
    if (name == "request.headers") {
      const headers = this.source.requestHeaders();
      this.units += headers.length;
      return headerMapValue(headers);
    }
    if (name.startsWith(REQUEST_BODY_JSON_PREFIX)) {
      if (this.bodyState == BodyJsonState.TooLarge || this.bodyState == BodyJsonState.NotJson) this.unreadableBodyRead = true;
      return bodyJsonValue(this.bodyState, this.bodyPtr, this.bodyLen, name.substring(REQUEST_BODY_JSON_PREFIX.length), "the request body");
    }
    if (name == "metadata") return this.metadata();
    if (name == "filter_state") return this.filterState();
    if (name.startsWith("filter_state.")) {
      const key = name.substring(13);
      // A dotted rest is a member chain (filter_state.a.b = filter_state["a"].b).
      return key.length == 0 || key.indexOf(".") >= 0 ? null : this.filterStateEntry(key);
    }
    if (this.source.pathFromHeader()) {
      const which = pathAttribute(name);
      if (which != 0) return this.pathValue(which == 2);
    }
    const spec = findAttribute(name);
    if (spec === null || !isResolvable(spec.encoding)) return null;
    if (spec.encoding == Encoding.String) {
      const text = this.source.attributeText(spec);
      return text === null ? null : Value.string(text);
    }
    const bytes = this.source.attribute(spec);
    if (bytes === null) return null;
    return decodeAttribute(bytes, spec.encoding);
  }

  private metadata(): Value | null {
    const bytes = this.source.attribute(METADATA);
    if (bytes === null) {
      this.metadataState = METADATA_ABSENT;
      return null;
    }
    const value = decodeMetadata(bytes);
    this.metadataState = value === null ? METADATA_MALFORMED : METADATA_PRESENT;
    return value;
  }

  private filterState(): Value {
    const keys = this.options.filterStateKeys;
    const map = new MapValue();
    for (let i = 0, n = keys.length; i < n; i++) {
      const key = unchecked(keys[i]);
      const v = this.fetchFilterState(key);
      if (v !== null) map.setString(key, v);
    }
    return Value.map(map);
  }

  private filterStateEntry(key: string): Value | null {
    // Reuse the map when an expression already read it (no second hostcall).
    for (let i = 0, n = this.names.length; i < n; i++) {
      if (unchecked(this.names[i]) == "filter_state") {
        const m = unchecked(this.values[i]);
        const map = m !== null ? m.map : null;
        if (map !== null) {
          const v = map.getString(key);
          if (v !== null) return v;
        }
        break;
      }
    }
    return this.fetchFilterState(key);
  }

  /** filter_state values are whatever bytes their owner serialized: CEL bytes. */
  private fetchFilterState(key: string): Value | null {
    const bytes = this.source.property(["filter_state", key]);
    return bytes === null ? null : Value.bytes(bytes);
  }

  /**
   * The identity as the verifier in front sees it. A payload jwt_authn verified wins over
   * anything the client sent, whatever the source; otherwise the source decides.
   */
  private findIdentity(): IdentityResult {
    const o = this.options.identity;
    if (o.source == IdentitySource.None) return IdentityResult.failed(IdentityFailure.Disabled);
    const verified = this.identityFromMetadata(o, o.source == IdentitySource.JwtAuthn);
    // Only an absent payload lets the client's own credential speak; a payload that is
    // there but unusable is the answer (refused), never replaced by the header's token.
    const absent = verified.failure == IdentityFailure.MissingMetadata || verified.failure == IdentityFailure.MissingPayload;
    if (o.source == IdentitySource.JwtAuthn || !absent) return verified;
    if (o.source == IdentitySource.Jwt) return this.identityFromToken(o);
    return this.identityFromHeaders(o);
  }

  /**
   * The token in the credential header (jwt_authn's header rule), or else in the query
   * parameter jwt_authn reads by default. A header without the prefix and no parameter:
   * BadPrefix (a credential, but not one jwt_authn would read).
   */
  private identityFromToken(o: IdentityOptions): IdentityResult {
    const raw = CREDENTIAL;
    if (this.source.borrowRequestHeader(o.jwtHeader, raw) && raw.size > 0) {
      const cache = this.options.identityCache;
      const cached = cache.get(raw.ptr, raw.size);
      if (cached !== null) {
        raw.release();
        return IdentityResult.found(cached);
      }
      const token = tokenInHeader(String.UTF8.decodeUnsafe(raw.ptr, raw.size), o.jwtPrefix);
      if (token !== null) {
        const found = tokenIdentity(token, o);
        const identity = found.identity;
        if (identity !== null) cache.put(raw.ptr, raw.size, identity);
        raw.release();
        return found;
      }
      raw.release();
      const param = this.tokenInQuery(o);
      return param !== null ? tokenIdentity(param, o) : IdentityResult.failed(IdentityFailure.BadPrefix);
    }
    raw.release();
    const param = this.tokenInQuery(o);
    return param !== null ? tokenIdentity(param, o) : IdentityResult.failed(IdentityFailure.MissingHeader);
  }

  /** The token in `identity.jwt.queryParameter` of `:path`; null when not configured or absent. */
  private tokenInQuery(o: IdentityOptions): string | null {
    if (o.jwtQueryParameter.length == 0) return null;
    return this.readPath() ? queryParameter(this.requestPath(), o.jwtQueryParameter) : null;
  }

  /** User and groups from trusted headers; a header sent more than once is refused. */
  private identityFromHeaders(o: IdentityOptions): IdentityResult {
    const user = this.source.requestHeader(o.userHeader);
    if (user === null) return IdentityResult.failed(IdentityFailure.MissingHeader);
    if (this.repeated(o.userHeader, o.groupsHeader)) return IdentityResult.failed(IdentityFailure.DuplicateHeader);
    return identityFromHeaders(user, this.source.requestHeader(o.groupsHeader), o);
  }

  /** Whether header `a` or `b` ("" = none) has more than one entry in the request. */
  private repeated(a: string, b: string): bool {
    const headers = this.source.requestHeaders();
    let na = 0, nb = 0;
    for (let i = 0, n = headers.length; i < n; i++) {
      const name = asciiLower(unchecked(headers[i]).name);
      if (name == a) na++;
      else if (b.length > 0 && name == b) nb++;
    }
    return na > 1 || nb > 1;
  }

  /**
   * jwt_authn's payload in dynamic metadata. `namespaceFallback`: when the host does not
   * serve the whole `metadata`, ask for the namespace's Struct (older hosts; one more
   * hostcall, spent only when jwtAuthn is the configured source).
   */
  private identityFromMetadata(o: IdentityOptions, namespaceFallback: bool): IdentityResult {
    const md = this.resolve("metadata");
    const mdMap = md !== null ? md.map : null;
    if (mdMap !== null) {
      const filter = mdMap.getString("filter_metadata");
      const filterMap = filter !== null ? filter.map : null;
      return identityFromJwtAuthn(filterMap !== null ? filterMap.getString(o.jwtAuthnNamespace) : null, o);
    }
    if (this.metadataState == METADATA_MALFORMED) return IdentityResult.failed(IdentityFailure.BadMetadata);
    if (!namespaceFallback) return IdentityResult.failed(IdentityFailure.MissingMetadata);
    // No whole-metadata property (older hosts): ask for the namespace's Struct itself.
    const bytes = this.source.attribute(o.jwtAuthnNamespaceAttribute());
    if (bytes === null) return IdentityResult.failed(IdentityFailure.MissingMetadata);
    const ns = decodeStruct(bytes);
    if (ns === null) return IdentityResult.failed(IdentityFailure.BadMetadata);
    return identityFromJwtAuthn(ns, o);
  }
}
