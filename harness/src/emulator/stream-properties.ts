// The `request.*` and `response.*` attributes of an HTTP stream, derived from its headers as Envoy derives them
// (E-ATTR), and only while Envoy has them: request attributes while the request headers are in the filter's window
// or in on_log, `response.code` from the response headers on (trace h1-log-properties), the other response
// attributes in on_log.
import { encodePairs } from "./pairs.ts";
import { encodePropertyValue, type PropertyValue } from "./properties.ts";
import { upstreamProperty, type UpstreamAddresses } from "./upstream-properties.ts";
import { findProperty } from "./properties.ts";
import type { HeaderMap } from "./header-map.ts";
import type { HttpProtocol } from "./connection-manager.ts";

const encoder = new TextEncoder();
const str = (v: string | undefined): Uint8Array | undefined => (v === undefined ? undefined : encoder.encode(v));

/** What `request.*` needs: the request headers (null when not readable now), its size, the phase and protocol. */
export interface RequestSide {
  readonly headers: HeaderMap | null;
  readonly bodySize: number;
  readonly logPhase: boolean;
  readonly protocol: HttpProtocol;
}

/** `request.<field>[.<rest>]`, encoded as Envoy encodes it, or undefined when Envoy has none now. */
export function requestProperty(field: string, rest: readonly string[], side: RequestSide): Uint8Array | undefined {
  if (field === "protocol") return encoder.encode(side.protocol);
  const h = side.headers;
  if (!h) return undefined;
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
      return encodePairs(Object.entries(h.toObject()));
    case "size":
      return side.logPhase ? encodePropertyValue(side.bodySize) : undefined;
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
}

/** `response.<field>[.<rest>]` of a started response, or undefined when Envoy has none now. */
export function responseProperty(field: string, rest: readonly string[], side: ResponseSide): Uint8Array | undefined {
  const h = side.headers;
  if (field === "code") return encodePropertyValue(Number(h.get(":status") ?? 0));
  if (!side.logPhase) return undefined;
  if (field === "code_details") return encoder.encode(side.details);
  if (field === "headers")
    return rest.length ? str(h.get(rest[0]!)) : encodePairs(h.entries().filter(([k]) => !k.startsWith(":")));
  if (field === "size") return encodePropertyValue(side.bodySize);
  return undefined;
}

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
  /** The upstream connection, null until the router picked one and its response began. */
  readonly upstream: () => UpstreamAddresses | null;
}

/** A property of an HTTP stream: filter state, seeded values, connection.id, request.*, response.*, upstream.*. */
export function httpStreamProperty(key: string, view: HttpStreamPropertyView): Uint8Array | undefined {
  const state = view.filterState.get(key) ?? view.filterState.get(key.replace(/^filter_state\0/, ""));
  if (state) return state;
  const seeded = findProperty(view.seeded, key);
  if (seeded !== undefined) return encodePropertyValue(seeded);
  const [head, field = "", ...rest] = key.split("\0");
  if ((head === "connection" && field === "id") || head === "connection_id")
    return encodePropertyValue({ uint: view.connectionId });
  if (head === "request") return requestProperty(field, rest, view.request());
  if (head === "upstream") {
    const upstream = view.upstream();
    return upstream ? upstreamProperty(upstream, field) : undefined;
  }
  const response = head === "response" ? view.response() : null;
  return response ? responseProperty(field, rest, response) : undefined;
}
