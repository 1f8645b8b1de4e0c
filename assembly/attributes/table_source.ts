// An in-memory AttributeSource for tests and tools: properties and headers are set by
// hand in Envoy's encodings, and every lookup is counted so tests can assert that a
// request asks the host at most once per attribute.

import { Header } from "../abi/headers";
import { AttributeSource } from "./source";

/** Envoy's property path key: segments joined by NUL, as `proxy_get_property` takes them. */
export function pathKey(path: string[]): string {
  return path.join("\0");
}

export class TableAttributeSource extends AttributeSource {
  private keys: Array<string> = new Array<string>();
  private values: Array<ArrayBuffer> = new Array<ArrayBuffer>();
  private headers: Array<Header> = new Array<Header>();
  private calledKeys: Array<string> = new Array<string>();
  private calledCounts: Array<i32> = new Array<i32>();
  /** Number of `property` calls, all paths together. */
  propertyCalls: i32 = 0;
  /** Number of `requestHeader` calls. */
  headerCalls: i32 = 0;
  /** Number of `requestHeaders` calls. */
  headerListCalls: i32 = 0;

  /** Sets the raw bytes of the property at `path` (segments). */
  setProperty(path: string[], bytes: ArrayBuffer): TableAttributeSource {
    const key = pathKey(path);
    for (let i = 0, n = this.keys.length; i < n; i++) {
      if (unchecked(this.keys[i]) == key) { unchecked(this.values[i] = bytes); return this; }
    }
    this.keys.push(key);
    this.values.push(bytes);
    return this;
  }

  /** A string attribute, by dotted name ("request.path"). */
  setString(name: string, value: string): TableAttributeSource {
    return this.setProperty(name.split("."), String.UTF8.encode(value));
  }

  /** An int/uint attribute as Envoy sends it: 8 bytes, little-endian. */
  setInt(name: string, value: i64): TableAttributeSource {
    const b = new ArrayBuffer(8);
    store<i64>(changetype<usize>(b), value);
    return this.setProperty(name.split("."), b);
  }

  /** A double attribute: the 8 bytes of the IEEE 754 value. */
  setDouble(name: string, value: f64): TableAttributeSource {
    const b = new ArrayBuffer(8);
    store<f64>(changetype<usize>(b), value);
    return this.setProperty(name.split("."), b);
  }

  /** A bool attribute: one byte, 0 or 1. */
  setBool(name: string, value: bool): TableAttributeSource {
    const b = new ArrayBuffer(1);
    store<u8>(changetype<usize>(b), value ? 1 : 0);
    return this.setProperty(name.split("."), b);
  }

  /** Appends a request header entry (repeat a name for a multi-valued header). */
  addHeader(name: string, value: string): TableAttributeSource {
    this.headers.push(new Header(name, value));
    return this;
  }

  /** How many times `property` was asked for `path`. */
  callsFor(path: string[]): i32 {
    const key = pathKey(path);
    for (let i = 0, n = this.calledKeys.length; i < n; i++) {
      if (unchecked(this.calledKeys[i]) == key) return unchecked(this.calledCounts[i]);
    }
    return 0;
  }

  property(path: string[]): ArrayBuffer | null {
    this.propertyCalls++;
    const key = pathKey(path);
    let counted = false;
    for (let i = 0, n = this.calledKeys.length; i < n; i++) {
      if (unchecked(this.calledKeys[i]) == key) {
        unchecked(this.calledCounts[i] = this.calledCounts[i] + 1);
        counted = true;
        break;
      }
    }
    if (!counted) {
      this.calledKeys.push(key);
      this.calledCounts.push(1);
    }
    for (let i = 0, n = this.keys.length; i < n; i++) {
      if (unchecked(this.keys[i]) == key) return unchecked(this.values[i]);
    }
    return null;
  }

  requestHeader(name: string): string | null {
    this.headerCalls++;
    // Envoy matches header names case-insensitively; names are stored as given.
    const want = name.toLowerCase();
    for (let i = 0, n = this.headers.length; i < n; i++) {
      const h = unchecked(this.headers[i]);
      if (h.name.toLowerCase() == want) return h.value;
    }
    return null;
  }

  requestHeaders(): Header[] {
    this.headerListCalls++;
    return this.headers.slice(0);
  }
}
