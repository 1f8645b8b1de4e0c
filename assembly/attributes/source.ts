// The only way the attribute layer reaches the proxy. RequestAttributes asks through
// this interface, so every decision about names, encodings and identity can be tested
// in as-pect with TableAttributeSource, and HostAttributeSource stays three lines of glue.

import { Header } from "../abi/headers";
import { BorrowedBytes } from "../abi/buffers";
import { AttributeSpec } from "./catalog";

export abstract class AttributeSource {
  /**
   * Raw bytes of the Envoy attribute at `path` (segments, e.g. ["request", "path"]),
   * encoded as Envoy's `proxy_get_property` returns it; null when absent.
   */
  abstract property(path: string[]): ArrayBuffer | null;

  /** The catalog attribute `spec`; the same as `property(spec.path)`, which a host may answer faster. */
  attribute(spec: AttributeSpec): ArrayBuffer | null {
    return this.property(spec.path);
  }

  /** A string attribute `spec` decoded as UTF-8; null when absent. */
  attributeText(spec: AttributeSpec): string | null {
    const bytes = this.property(spec.path);
    return bytes === null ? null : String.UTF8.decode(bytes);
  }

  /**
   * The bytes of the catalog attribute `spec` in `out` (release it when done); false when
   * absent. The same answer as `attribute(spec)`, which a host may give without a copy.
   */
  attributeBytes(spec: AttributeSpec, out: BorrowedBytes): bool {
    out.release();
    const bytes = this.attribute(spec);
    if (bytes === null) return false;
    const size = <usize>bytes.byteLength;
    if (size > 0) {
      out.ptr = heap.alloc(size);
      memory.copy(out.ptr, changetype<usize>(bytes), size);
      out.size = size;
    }
    return true;
  }

  /**
   * Whether `request.path` and `request.url_path` are read from the `:path` header rather
   * than as properties: the proxy computes them from that header, which one read then
   * serves for both and for the filter. A table of properties answers them as set.
   */
  pathFromHeader(): bool {
    return false;
  }

  /** First value of the request header `name` (lower-case), or null when absent. */
  abstract requestHeader(name: string): string | null;

  /**
   * The first value of the request header `name` as UTF-8 bytes in `out` (release it when
   * done); false when absent. The same answer as `requestHeader`, without a string.
   */
  borrowRequestHeader(name: string, out: BorrowedBytes): bool {
    out.release();
    const value = this.requestHeader(name);
    if (value === null) return false;
    const bytes = String.UTF8.encode(value);
    const size = <usize>bytes.byteLength;
    if (size > 0) {
      out.ptr = heap.alloc(size);
      memory.copy(out.ptr, changetype<usize>(bytes), size);
      out.size = size;
    }
    return true;
  }

  /** Every request header entry in order, repeated names included. */
  abstract requestHeaders(): Header[];
}
