// The attributes of an HTTP stream, derived from its headers as Envoy derives them (E-ATTR), and only while Envoy has
// them, per the attribute table recorded from Envoy 1.36.4 and 1.40.0 (test/differential/attributes): the request's
// header-derived attributes while the request headers are in the filter's window or in on_log; request.headers,
// request.size, request.time, response.headers/trailers/size/flags in every stream phase (empty before there is
// anything); response.code/code_details/grpc_status from the response headers on; request.duration in on_log.
import { celMap, EMPTY_MAP, environmentProperty, type AttributeAnswer } from "./environment-properties.ts";
import { encodePropertyValue, findProperty, type PropertyValue } from "./properties.ts";
import { upstreamProperty, type UpstreamAddresses } from "./upstream-properties.ts";
import type { HeaderMap } from "./header-map.ts";
import type { HttpProtocol } from "./connection-manager.ts";
import type { RouteDecision } from "./router.ts";

const encoder = new TextEncoder();
const str = (v: string | undefined): Uint8Array | undefined => (v === undefined ? undefined : encoder.encode(v));

/** What `request.*` needs: the request headers (null when not readable now), its size, the phase and protocol. */
export interface RequestSide {
  readonly headers: HeaderMap | null;
  /** The request headers as they are now, readable or not (request.size from content-length). */
  readonly allHeaders: HeaderMap;
  readonly bodySize: number;
  readonly logPhase: boolean;
  readonly protocol: HttpProtocol;
}

/** `request.<field>[.<rest>]`, encoded as Envoy encodes it, or undefined when Envoy has none now. */
export function requestProperty(field: string, rest: readonly string[], side: RequestSide): Uint8Array | undefined {
  if (field === "protocol") return encoder.encode(side.protocol);
  if (field === "size" || field === "total_size") {
    // Envoy: content-length when the request has one, else the body bytes received (total: plus the headers).
    const length = Number(side.allHeaders.get("content-length") ?? side.bodySize);
    return encodePropertyValue(field === "size" ? length : length + side.allHeaders.byteSize());
  }
  const h = side.headers;
  if (!h) return field === "headers" ? (rest.length ? undefined : EMPTY_MAP) : undefined;
  const path = h.get(":path") ?? "";
  const q = path.indexOf("?");
  switch (field) {
    case "path":
      return str(h.get(":path"));
    case "url_path":
      return encoder.encode(q < 0 ? path : path.slice(0, q));
    case "query":
      return encoder.encode(q < 0 ? "" : path.slice(q + 1));
    case "host":
      return str(h.get(":authority"));
    case "scheme":
      return str(h.get(":scheme") ?? "http");
    case "method":
      return str(h.get(":method"));
    case "referer":
      return str(h.get("referer"));
    case "useragent":
      return str(h.get("user-agent"));
    case "id":
      return str(h.get("x-request-id"));
    case "headers":
      if (rest.length) {
        const all = h.getAll(rest[0]!);
        return all.length ? encoder.encode(all.join(",")) : undefined;
      }
      return celMap(Object.entries(h.toObject()));
    default:
      return undefined;
  }
}

/** What `response.*` needs once the response started: its headers, size, the phase and the response code details. */
export interface ResponseSide {
  readonly headers: HeaderMap;
  readonly bodySize: number;
  readonly logPhase: boolean;
  /** `response.code_details`: the local reply's details, else "via_upstream". */
  readonly details: string;
  readonly trailers: HeaderMap | null;
}

/** `response.<field>[.<rest>]` of a started response, or undefined when Envoy has none now. */
export function responseProperty(
  field: string,
  rest: readonly string[],
  side: ResponseSide | null,
): Uint8Array | undefined {
  const h = side?.headers;
  switch (field) {
    case "headers":
      if (!h) return rest.length ? undefined : EMPTY_MAP;
      return rest.length ? str(h.get(rest[0]!)) : celMap(h.entries().filter(([k]) => !k.startsWith(":")));
    case "trailers":
      return rest.length ? str(side?.trailers?.get(rest[0]!)) : celMap(side?.trailers?.entries() ?? []);
    case "size":
    case "total_size":
      return encodePropertyValue((side?.bodySize ?? 0) + (field === "total_size" ? (h?.byteSize() ?? 0) : 0));
  }
  if (!side || !h) return undefined;
  if (field === "code") return encodePropertyValue(Number(h.get(":status") ?? 0));
  if (field === "code_details") return encoder.encode(side.details);
  // Envoy maps a non-gRPC response's HTTP status to a gRPC status (200 → UNKNOWN, as recorded).
  if (field === "grpc_status") return encodePropertyValue(Number(h.get("grpc-status") ?? GRPC_STATUS_UNKNOWN));
  if (field === "backend_latency") return side.bodySize > 0 || side.logPhase ? encodePropertyValue(0n) : undefined;
  return undefined;
}

/** grpc-status UNKNOWN: what Envoy answers for response.grpc_status of a response without grpc-status. */
const GRPC_STATUS_UNKNOWN = 2;

/** What {@link httpStreamProperty} reads from a stream; the sides are computed only when a property needs them. */
export interface HttpStreamPropertyView {
  /** proxy_set_property values by NUL-joined path. */
  readonly filterState: ReadonlyMap<string, Uint8Array>;
  /** Values the test seeded (they win over derived ones). */
  readonly seeded: Readonly<Record<string, PropertyValue>>;
  readonly connectionId: number;
  readonly request: () => RequestSide;
  /** Null until the response started. */
  readonly response: () => ResponseSide | null;
  /** The route's cluster once chosen, else the router's decision for the request headers as they are now. */
  readonly cluster: () => string | RouteDecision;
  /** The request left the filter chain for the router, which picked an upstream host. */
  readonly routed: () => boolean;
  /** The upstream host of a cluster, and the virtual clock (ms). */
  readonly deps: { readonly upstreamEndpoint: (cluster: string) => UpstreamAddresses; readonly now: () => number };
}

/** A property of an HTTP stream: filter state, seeded values, connection.id, request.*, response.*, upstream.*, xds.*… */
export function httpStreamProperty(key: string, view: HttpStreamPropertyView): AttributeAnswer {
  const state = view.filterState.get(key) ?? view.filterState.get(key.replace(/^filter_state\0/, ""));
  if (state) return state;
  const seeded = findProperty(view.seeded, key);
  if (seeded !== undefined) return encodePropertyValue(seeded);
  const [head, field = "", ...rest] = key.split("\0");
  if ((head === "connection" && field === "id") || head === "connection_id")
    return encodePropertyValue({ uint: view.connectionId });
  if (head === "request") {
    const side = view.request();
    if (field === "duration") return side.logPhase ? encodePropertyValue(0n) : undefined;
    const found = requestProperty(field, rest, side);
    if (found !== undefined) return found;
  }
  if (head === "response") {
    const found = responseProperty(field, rest, view.response());
    if (found !== undefined) return found;
  }
  const decision = view.cluster();
  const cluster = typeof decision === "string" ? decision : decision.kind === "route" ? decision.cluster : null;
  const routed = view.routed();
  const connected = routed && view.response() !== null;
  if (head === "upstream" && routed && cluster !== null) {
    // The router picked the host once the request left the filter chain; Envoy's side of the connection (local
    // address, pool time) exists once the upstream answered (attribute table, traces h1-upstream-properties).
    if (field === "local_address" && !connected) return undefined;
    const found = upstreamProperty(view.deps.upstreamEndpoint(cluster), field);
    if (found !== undefined) return found;
  }
  const now = view.deps.now();
  const env = {
    kind: "http",
    cluster,
    upstreamPicked: routed,
    upstreamConnected: connected,
    startedAtMs: now,
    nowMs: now,
  } as const;
  return environmentProperty(key, env);
}
