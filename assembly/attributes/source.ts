// The only way the attribute layer reaches the proxy. RequestAttributes asks through
// this interface, so every decision about names, encodings and identity can be tested
// in as-pect with TableAttributeSource, and HostAttributeSource stays three lines of glue.

import { Header } from "../abi/headers";
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

  /** First value of the request header `name` (lower-case), or null when absent. */
  abstract requestHeader(name: string): string | null;

  /** Every request header entry in order, repeated names included. */
  abstract requestHeaders(): Header[];
}
