// The attributes of a stream or connection that come from Envoy's surroundings rather than from the filter's own
// maps: xds.* (cluster, route, virtual host, listener), metadata, filter_state, the counters and times Envoy keeps
// (request.time, sizes, response.flags, upstream.request_attempt_count…). Presence per phase and encodings follow
// the attribute table recorded from Envoy 1.36.4 and 1.40.0 (test/differential/attributes/<version>.json).
import { Status } from "../abi/index.ts";
import { encodePairs } from "./pairs.ts";
import { encodePropertyValue } from "./properties.ts";

/** Envoy answers some attributes with a status instead of a value (e.g. filter_state's map cannot be listed). */
export type AttributeAnswer = Uint8Array | Status | undefined;

/** An empty protobuf message (Metadata, Locality…): zero bytes. */
const EMPTY_MESSAGE = new Uint8Array(0);
/** An empty CEL map as Envoy serializes it: a pairs count of 0 (4 bytes, as recorded). */
export const EMPTY_MAP: Uint8Array = new Uint8Array(4);

/** A CEL map of strings as Envoy serializes it (pairs; an empty one is a zero count). */
export function celMap(entries: ReadonlyArray<readonly [string, string]>): Uint8Array {
  return entries.length === 0 ? EMPTY_MAP : encodePairs(entries);
}
/** The virtual host of the route table the harness's Envoy configurations generate (envoy/config.ts). */
const VIRTUAL_HOST_NAME = "all";
/** Listener direction UNSPECIFIED (envoy.config.core.v3.TrafficDirection). */
const LISTENER_DIRECTION_UNSPECIFIED = 0;
/** When the emulator's clock reads 0: the wall time at load, so request.time is a plausible timestamp. */
const EPOCH_MS = Date.now();

/** What the environment attributes of one stream or connection depend on. */
export interface EnvironmentView {
  readonly kind: "http" | "tcp";
  /** The cluster the route (HTTP) or tcp_proxy (TCP) sends to; null while Envoy has not chosen one. */
  readonly cluster: string | null;
  /** The router or tcp_proxy has picked an upstream host (HTTP: the request left the filter chain; TCP: connected). */
  readonly upstreamPicked: boolean;
  /** The upstream connection is up and answered (HTTP: the response began; TCP: connected). */
  readonly upstreamConnected: boolean;
  /** Virtual ms when the stream began, and now. */
  readonly startedAtMs: number;
  readonly nowMs: number;
}

const int = (n: number) => encodePropertyValue(n);
const nanos = (ms: number) => encodePropertyValue(BigInt(Math.round(ms * 1_000_000)));

/** An attribute of Envoy's surroundings for a stream or connection, or undefined when Envoy has none now. */
export function environmentProperty(key: string, view: EnvironmentView): AttributeAnswer {
  const [head, field] = key.split("\0");
  switch (head) {
    case "metadata":
      return EMPTY_MESSAGE;
    case "filter_state":
      return field === undefined ? Status.SerializationFailure : undefined;
    case "upstream_filter_state":
      return view.upstreamConnected && field === undefined ? Status.SerializationFailure : undefined;
    case "xds":
      return xdsProperty(field ?? "", view);
    case "request":
      if (field === "time") return nanos(EPOCH_MS + view.startedAtMs);
      return undefined;
    case "response":
      return field === "flags" ? int(0) : undefined;
    case "upstream":
      if (field === "request_attempt_count") return encodePropertyValue({ uint: view.upstreamPicked ? 1 : 0 });
      if (field === "locality") return view.upstreamPicked ? EMPTY_MESSAGE : undefined;
      if (field === "cx_pool_ready_duration") return view.upstreamConnected ? nanos(0) : undefined;
      return undefined;
    default:
      return undefined;
  }
}

function xdsProperty(field: string, view: EnvironmentView): AttributeAnswer {
  switch (field) {
    case "listener_direction":
      return int(LISTENER_DIRECTION_UNSPECIFIED);
    case "listener_metadata":
      return EMPTY_MESSAGE;
    case "filter_chain_name":
      return encodePropertyValue("");
    case "cluster_name":
      return view.cluster === null ? undefined : encodePropertyValue(view.cluster);
    case "cluster_metadata":
      return view.cluster === null ? undefined : EMPTY_MESSAGE;
    case "upstream_host_metadata":
    case "upstream_host_locality_metadata":
      return view.upstreamPicked ? Status.SerializationFailure : undefined;
    default:
      if (view.kind === "tcp") return undefined; // no route on a network filter
      if (field === "route_name") return encodePropertyValue("");
      if (field === "virtual_host_name") return encodePropertyValue(VIRTUAL_HOST_NAME);
      if (field === "route_metadata" || field === "virtual_host_metadata") return EMPTY_MESSAGE;
      return undefined;
  }
}

/** `xds.node`: Envoy's node (envoy.config.core.v3.Node), in every phase; the emulator's has only an id. */
export const XDS_NODE: Uint8Array = (() => {
  const id = new TextEncoder().encode("proxy-wasm-as-emulator");
  return Uint8Array.of(0x0a, id.length, ...id); // field 1 (id), length-delimited
})();
