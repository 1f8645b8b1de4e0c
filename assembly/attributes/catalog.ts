// The Envoy attributes a CEL expression may name, with the type Envoy gives each
// (envoyproxy.io "Attributes", and Envoy's filters/common/expr/context.h for the exact
// names). A name maps to the property path of its dotted segments. Names that are not
// here (or handled specially by RequestAttributes: request.headers, auth.*,
// filter_state) resolve to null, so the evaluator tries a shorter prefix.
//
// Left out on purpose: attributes that are protobuf messages other than Metadata
// (xds.node, upstream.locality) — we carry no descriptors for them.

import { Encoding, isResolvable } from "./encoding";

export class AttributeSpec {
  private encoded: ArrayBuffer | null = null;
  constructor(public name: string, public path: string[], public encoding: Encoding) {}

  /** The path as `proxy_get_property` takes it (NUL-separated UTF-8), encoded once. */
  encodedPath(): ArrayBuffer {
    let e = this.encoded;
    if (e === null) {
      e = String.UTF8.encode(this.path.join("\0"));
      this.encoded = e;
    }
    return e;
  }
}

const CATALOG = new Map<string, AttributeSpec>();

function add(name: string, encoding: Encoding): void {
  CATALOG.set(name, new AttributeSpec(name, name.split("."), encoding));
}

// Request (request.headers is built from the header map, see RequestAttributes).
add("request.path", Encoding.String);
add("request.url_path", Encoding.String);
add("request.host", Encoding.String);
add("request.scheme", Encoding.String);
add("request.method", Encoding.String);
add("request.referer", Encoding.String);
add("request.useragent", Encoding.String);
add("request.id", Encoding.String);
add("request.protocol", Encoding.String);
add("request.query", Encoding.String);
add("request.size", Encoding.Int);
add("request.total_size", Encoding.Int);
add("request.headers_bytes", Encoding.Int);
add("request.time", Encoding.Timestamp);
add("request.duration", Encoding.Duration);

// Response (known once the response started; useful in counters evaluated late).
add("response.code", Encoding.Int);
add("response.code_details", Encoding.String);
add("response.flags", Encoding.Int);
add("response.grpc_status", Encoding.Int);
add("response.headers", Encoding.Pairs);
add("response.trailers", Encoding.Pairs);
add("response.size", Encoding.Int);
add("response.total_size", Encoding.Int);
add("response.headers_bytes", Encoding.Int);
add("response.backend_latency", Encoding.Duration);

// Downstream connection.
add("source.address", Encoding.String);
add("source.port", Encoding.Int);
add("destination.address", Encoding.String);
add("destination.port", Encoding.Int);
add("connection.id", Encoding.Uint);
add("connection.mtls", Encoding.Bool);
add("connection.requested_server_name", Encoding.String);
add("connection.tls_version", Encoding.String);
add("connection.subject_local_certificate", Encoding.String);
add("connection.subject_peer_certificate", Encoding.String);
add("connection.dns_san_local_certificate", Encoding.String);
add("connection.dns_san_peer_certificate", Encoding.String);
add("connection.uri_san_local_certificate", Encoding.String);
add("connection.uri_san_peer_certificate", Encoding.String);
add("connection.sha256_peer_certificate_digest", Encoding.String);
add("connection.transport_failure_reason", Encoding.String);
add("connection.termination_details", Encoding.String);

// Upstream connection.
add("upstream.address", Encoding.String);
add("upstream.port", Encoding.Int);
add("upstream.local_address", Encoding.String);
add("upstream.tls_version", Encoding.String);
add("upstream.subject_local_certificate", Encoding.String);
add("upstream.subject_peer_certificate", Encoding.String);
add("upstream.dns_san_local_certificate", Encoding.String);
add("upstream.dns_san_peer_certificate", Encoding.String);
add("upstream.uri_san_local_certificate", Encoding.String);
add("upstream.uri_san_peer_certificate", Encoding.String);
add("upstream.sha256_peer_certificate_digest", Encoding.String);
add("upstream.transport_failure_reason", Encoding.String);
add("upstream.request_attempt_count", Encoding.Uint);
add("upstream.num_endpoints", Encoding.Uint);
add("upstream.cx_pool_ready_duration", Encoding.Duration);

// Dynamic metadata (metadata.filter_metadata[ns] ...).
add("metadata", Encoding.Metadata);

// xDS configuration context.
add("xds.cluster_name", Encoding.String);
add("xds.cluster_metadata", Encoding.Metadata);
add("xds.route_name", Encoding.String);
add("xds.route_metadata", Encoding.Metadata);
add("xds.virtual_host_name", Encoding.String);
add("xds.virtual_host_metadata", Encoding.Metadata);
add("xds.upstream_host_metadata", Encoding.Metadata);
add("xds.upstream_host_locality_metadata", Encoding.Metadata);
add("xds.filter_chain_name", Encoding.String);
add("xds.listener_metadata", Encoding.Metadata);
add("xds.listener_direction", Encoding.Int);

// Wasm-only attributes, and the pre-xds names older Envoy and Istio proxies still serve.
add("plugin_name", Encoding.String);
add("plugin_root_id", Encoding.String);
add("plugin_vm_id", Encoding.String);
add("connection_id", Encoding.Uint);
add("cluster_name", Encoding.String);
add("cluster_metadata", Encoding.Metadata);
add("route_name", Encoding.String);
add("route_metadata", Encoding.Metadata);
add("listener_direction", Encoding.Int);
add("listener_metadata", Encoding.Metadata);
add("upstream_host_metadata", Encoding.Metadata);

/** The attribute named `name` (dotted, as written in CEL), or null when not an Envoy attribute. */
export function findAttribute(name: string): AttributeSpec | null {
  return CATALOG.has(name) ? CATALOG.get(name) : null;
}

/** The catalog's names; with `resolvableOnly`, without timestamps and durations. Allocates. */
export function catalogNames(resolvableOnly: bool): Array<string> {
  const specs = CATALOG.values();
  const out = new Array<string>();
  for (let i = 0, n = specs.length; i < n; i++) {
    const spec = unchecked(specs[i]);
    if (!resolvableOnly || isResolvable(spec.encoding)) out.push(spec.name);
  }
  return out;
}
