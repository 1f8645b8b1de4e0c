// An Envoy header map (source/common/http/header_map_impl.cc), as far as a filter can
// observe it: keys are lower-cased (ASCII only), pseudo-headers stay in front of regular
// headers, adding to an existing "inline" header joins the values with "," instead of
// adding an entry, replace is remove-then-add (runtime flag
// http_set_copy_replace_all_headers, on by default), and byteSize counts key and value
// bytes of every entry. Keys and values are byte strings (see pairs.ts).
import { fromByteString, headerInputToPairs, type Pair } from "./pairs.ts";
import type { HeaderInput } from "./types.ts";

/**
 * Headers Envoy stores inline (O(1) slots) in request/response maps; a second add appends
 * to the value. A conservative subset of Envoy's INLINE_* lists: ones it certainly has,
 * plus `authorization`, which every standard Envoy build registers as a custom inline
 * request header (RegisterCustomInlineHeader, from the cache, ext_authz, jwt_authn and
 * oauth2 filters), so two `authorization` headers reach a filter as one value,
 * `Bearer a,Bearer b` (HeaderMapImpl::insertByKey joins with ",").
 */
const INLINE = new Set([
  ":authority", ":method", ":path", ":scheme", ":protocol", ":status", "authorization",
  "content-length", "content-type", "user-agent", "x-request-id", "x-forwarded-for",
  "x-forwarded-proto", "connection", "transfer-encoding", "upgrade", "te", "keep-alive",
  "proxy-connection", "grpc-status", "grpc-message", "grpc-timeout", "date", "server",
]);

/** Lower-cases ASCII letters only, as absl::AsciiStrToLower. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export class HeaderMap {
  private entries: Pair[] = [];

  /** Builds a map from test input (UTF-8); names are lower-cased like a codec would. */
  static from(input: HeaderInput | undefined): HeaderMap {
    const m = new HeaderMap();
    for (const [k, v] of headerInputToPairs(input)) m.add(k, v);
    return m;
  }

  /** Builds a map from byte-string pairs (e.g. decoded from the guest). */
  static fromPairs(pairs: Pair[]): HeaderMap {
    const m = new HeaderMap();
    for (const [k, v] of pairs) m.add(k, v);
    return m;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Sum of the byte lengths of all keys and values (HeaderMap::byteSize). */
  get byteSize(): number {
    let n = 0;
    for (const [k, v] of this.entries) n += k.length + v.length;
    return n;
  }

  /** First value of `key` (byte string), or undefined. */
  get(key: string): string | undefined {
    const k = asciiLower(key);
    for (const [ek, ev] of this.entries) if (ek === k) return ev;
    return undefined;
  }

  /** All values of `key`. */
  getAll(key: string): string[] {
    const k = asciiLower(key);
    return this.entries.filter(([ek]) => ek === k).map(([, v]) => v);
  }

  /** addCopy: inline headers coalesce with ","; others get a new entry. */
  add(key: string, value: string): void {
    const k = asciiLower(key);
    if (INLINE.has(k)) {
      const i = this.entries.findIndex(([ek]) => ek === k);
      if (i >= 0) {
        this.entries[i] = [k, this.entries[i][1] + "," + value];
        return;
      }
    }
    if (k.startsWith(":")) {
      let i = 0;
      while (i < this.entries.length && this.entries[i][0].startsWith(":")) i++;
      this.entries.splice(i, 0, [k, value]);
    } else {
      this.entries.push([k, value]);
    }
  }

  /** setCopy: removes every entry of `key`, then adds one. */
  set(key: string, value: string): void {
    this.remove(key);
    this.add(key, value);
  }

  /** Removes every entry of `key`. */
  remove(key: string): void {
    const k = asciiLower(key);
    this.entries = this.entries.filter(([ek]) => ek !== k);
  }

  /** Replaces the whole map (setHeaderMapPairs: remove all, then add each). */
  replaceAll(pairs: Pair[]): void {
    this.entries = [];
    for (const [k, v] of pairs) this.add(k, v);
  }

  /** Entries as byte-string pairs, in map order. */
  pairs(): Pair[] {
    return this.entries.map(([k, v]) => [k, v]);
  }

  clone(): HeaderMap {
    const m = new HeaderMap();
    m.entries = this.pairs();
    return m;
  }

  /** Entries decoded as UTF-8 pairs, for assertions. */
  toPairs(): Array<[string, string]> {
    return this.entries.map(([k, v]) => [fromByteString(k), fromByteString(v)]);
  }

  /** Entries as an object (UTF-8); repeated names are joined with ",". */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.toPairs()) out[k] = k in out ? out[k] + "," + v : v;
    return out;
  }
}
