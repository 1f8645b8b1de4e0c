// AttributeSource over the running proxy: `proxy_get_property` for attributes and the
// request header map for headers. The only file of this folder that makes hostcalls.

import { Header, borrowHeader, getHeader, getHeaders } from "../abi/headers";
import { BorrowedBytes } from "../abi/buffers";
import { borrowProperty, getProperty, getPropertyText, propertyPath } from "../abi/properties";
import { HeaderMapType } from "../abi/status";
import { AttributeSource } from "./source";
import { AttributeSpec } from "./catalog";

export class HostAttributeSource extends AttributeSource {
  /** One `proxy_get_property`; null when Envoy answers NOT_FOUND (or anything but OK). */
  property(path: string[]): ArrayBuffer | null {
    return getProperty(propertyPath(path));
  }

  /** One `proxy_get_property`, with the path encoded once per attribute rather than per call. */
  attribute(spec: AttributeSpec): ArrayBuffer | null {
    return getProperty(spec.encodedPath());
  }

  /** One `proxy_get_property`, decoded without an intermediate copy. */
  attributeText(spec: AttributeSpec): string | null {
    return getPropertyText(spec.encodedPath());
  }

  /** One `proxy_get_property`, the value left in the host's buffer. */
  attributeBytes(spec: AttributeSpec, out: BorrowedBytes): bool {
    return borrowProperty(spec.encodedPath(), out);
  }

  /** Envoy computes both from the `:path` header: reading it is cheaper than the properties. */
  pathFromHeader(): bool {
    return true;
  }

  /** One `proxy_get_header_map_value` on the request headers. */
  requestHeader(name: string): string | null {
    return getHeader(HeaderMapType.RequestHeaders, name);
  }

  /** One `proxy_get_header_map_value`, the value left in the host's buffer. */
  borrowRequestHeader(name: string, out: BorrowedBytes): bool {
    return borrowHeader(HeaderMapType.RequestHeaders, name, out);
  }

  /** One `proxy_get_header_map_pairs` on the request headers. */
  requestHeaders(): Header[] {
    return getHeaders(HeaderMapType.RequestHeaders);
  }
}
