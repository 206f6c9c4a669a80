// The `upstream.*` attributes Envoy provides once a stream or connection has an upstream connection (traces
// h1-upstream-properties, h2-upstream-properties, tcp-upstream-properties on Envoy 1.36.4 and 1.40.0): absent in
// on_request_headers (the router has not picked a host yet), present from the response on and in on_log; on TCP in
// on_upstream_data and the close callbacks. Values a test seeds through `properties` win over these.
import { encodePropertyValue } from "./properties.ts";

/** One upstream connection: the upstream host's address and Envoy's side of the connection. */
export interface UpstreamAddresses {
  /** "ip:port" of the upstream host. */
  readonly address: string;
  /** "ip:port" of Envoy's end of the upstream connection. */
  readonly localAddress: string;
}

/** The endpoint of the `index`-th upstream cluster a stream used, unless the emulator's options name one (loopback, like the suite's upstreams). */
export function defaultUpstreamEndpoint(index: number): UpstreamAddresses {
  return { address: `127.0.0.1:${UPSTREAM_BASE_PORT + index}`, localAddress: `127.0.0.1:${LOCAL_BASE_PORT + index}` };
}

/** First port of the emulated upstream hosts, one per cluster in order of first use. */
const UPSTREAM_BASE_PORT = 8080;
/** First ephemeral port of Envoy's side of the emulated upstream connections. */
const LOCAL_BASE_PORT = 40000;

/** The value of `upstream.<field>` for `endpoint`, encoded as Envoy encodes it, or undefined when Envoy has none. */
export function upstreamProperty(endpoint: UpstreamAddresses, field: string): Uint8Array | undefined {
  switch (field) {
    case "address":
      return encodePropertyValue(endpoint.address);
    case "port":
      return encodePropertyValue(Number(endpoint.address.slice(endpoint.address.lastIndexOf(":") + 1)));
    case "local_address":
      return encodePropertyValue(endpoint.localAddress);
    case "transport_failure_reason":
      return encodePropertyValue("");
    default:
      return undefined;
  }
}
