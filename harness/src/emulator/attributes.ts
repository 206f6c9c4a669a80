// The attributes Envoy 1.36–1.40 answers through proxy_get_property for a Wasm filter, with their CEL types (Envoy's
// "Attributes" documentation and source/extensions/filters/common/expr/context.h; the Wasm-specific ones from
// source/extensions/common/wasm/context.cc). The emulator answers a name it does not model as Envoy answers an
// unknown one (NotFound) and logs a hint naming it; the differential suite records which of these Envoy answers
// in each phase (test/differential/attributes/<version>.json).

/** How Envoy serializes an attribute's CEL value for proxy_get_property. */
export type AttributeType =
  /** UTF-8 bytes. */
  | "string"
  /** raw bytes. */
  | "bytes"
  /** 8 bytes, little-endian signed. */
  | "int"
  /** 8 bytes, little-endian unsigned. */
  | "uint"
  /** 1 byte. */
  | "bool"
  /** int64 nanoseconds since the epoch. */
  | "timestamp"
  /** int64 nanoseconds. */
  | "duration"
  /** proxy-wasm pairs (string keys and values). */
  | "map"
  /** a serialized protobuf message. */
  | "message";

/** One attribute: its dotted name, its type, and whether its value changes from run to run (time, ids, ports). */
export interface EnvoyAttribute {
  readonly name: string;
  readonly type: AttributeType;
  /** True when the value depends on the run (time, ids, ports, generated ids): tests check its type and encoding. */
  readonly variesPerRun: boolean;
}

const a = (name: string, type: AttributeType, variesPerRun = false): EnvoyAttribute => ({ name, type, variesPerRun });

/** Every attribute Envoy documents for Wasm filters, in the order of Envoy's documentation. */
export const ENVOY_ATTRIBUTES: readonly EnvoyAttribute[] = [
  a("request.path", "string"),
  a("request.url_path", "string"),
  a("request.host", "string", true),
  a("request.scheme", "string"),
  a("request.method", "string"),
  a("request.headers", "map", true),
  a("request.referer", "string"),
  a("request.useragent", "string"),
  a("request.time", "timestamp", true),
  a("request.id", "string", true),
  a("request.protocol", "string"),
  a("request.query", "string"),
  a("request.duration", "duration", true),
  a("request.size", "int"),
  a("request.total_size", "int", true),
  a("response.code", "int"),
  a("response.code_details", "string"),
  a("response.flags", "int"),
  a("response.grpc_status", "int"),
  a("response.headers", "map", true),
  a("response.trailers", "map"),
  a("response.size", "int"),
  a("response.total_size", "int", true),
  a("response.backend_latency", "duration", true),
  a("source.address", "string", true),
  a("source.port", "int", true),
  a("destination.address", "string", true),
  a("destination.port", "int", true),
  a("connection.id", "uint", true),
  a("connection.mtls", "bool"),
  a("connection.requested_server_name", "string"),
  a("connection.tls_version", "string"),
  a("connection.subject_local_certificate", "string"),
  a("connection.subject_peer_certificate", "string"),
  a("connection.dns_san_local_certificate", "string"),
  a("connection.dns_san_peer_certificate", "string"),
  a("connection.uri_san_local_certificate", "string"),
  a("connection.uri_san_peer_certificate", "string"),
  a("connection.sha256_peer_certificate_digest", "string"),
  a("connection.transport_failure_reason", "string"),
  a("connection.termination_details", "string"),
  a("upstream.address", "string", true),
  a("upstream.port", "int", true),
  a("upstream.tls_version", "string"),
  a("upstream.subject_local_certificate", "string"),
  a("upstream.subject_peer_certificate", "string"),
  a("upstream.dns_san_local_certificate", "string"),
  a("upstream.dns_san_peer_certificate", "string"),
  a("upstream.uri_san_local_certificate", "string"),
  a("upstream.uri_san_peer_certificate", "string"),
  a("upstream.sha256_peer_certificate_digest", "string"),
  a("upstream.local_address", "string", true),
  a("upstream.transport_failure_reason", "string"),
  a("upstream.request_attempt_count", "uint"),
  a("upstream.cx_pool_ready_duration", "duration", true),
  a("upstream.locality", "message"),
  a("metadata", "message"),
  a("filter_state", "map"),
  a("upstream_filter_state", "map"),
  a("xds.node", "message", true),
  a("xds.cluster_name", "string"),
  a("xds.cluster_metadata", "message"),
  a("xds.listener_direction", "int"),
  a("xds.listener_metadata", "message"),
  a("xds.route_name", "string"),
  a("xds.route_metadata", "message"),
  a("xds.virtual_host_name", "string"),
  a("xds.virtual_host_metadata", "message"),
  a("xds.upstream_host_metadata", "message"),
  a("xds.upstream_host_locality_metadata", "message"),
  a("xds.filter_chain_name", "string"),
  // Wasm-specific (context.cc property tokens), and the top-level names older Envoys answered.
  a("plugin_name", "string"),
  a("plugin_root_id", "string"),
  a("plugin_vm_id", "string"),
  a("connection_id", "uint", true),
  a("node", "message", true),
  a("cluster_name", "string"),
  a("cluster_metadata", "message"),
  a("listener_direction", "int"),
  a("listener_metadata", "message"),
  a("route_name", "string"),
  a("route_metadata", "message"),
  a("upstream_host_metadata", "message"),
];

const BY_PATH = new Map(ENVOY_ATTRIBUTES.map((attribute) => [attribute.name.split(".").join("\0"), attribute]));

/** The attribute a NUL-joined property path names (its first one or two segments), or undefined for none of Envoy's. */
export function envoyAttribute(key: string): EnvoyAttribute | undefined {
  const parts = key.split("\0");
  return BY_PATH.get(parts.slice(0, 2).join("\0")) ?? BY_PATH.get(parts[0]!);
}
