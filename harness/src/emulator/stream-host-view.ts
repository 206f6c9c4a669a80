// One HTTP stream as the host calls see it (the HostStream of its context): which header maps and body buffers are
// in the filter's window now, the stream's attributes, its filter state, and its deferred actions. It reads the
// stream engine's state (stream-engine.ts) through the narrow StreamState view and changes nothing but the filter
// state and, through the maps and buffers it hands out, what the filter may edit.
import { BufferType, MapType } from "../abi/index.ts";
import type { LocalReply } from "./vm-types.ts";
import type { Direction } from "./http-direction.ts";
import { propertyKey, type PropertyValue } from "./properties.ts";
import type { RouteDecision, Router } from "./router.ts";
import { httpStreamProperty } from "./stream-properties.ts";
import type { HttpProtocol } from "./connection-manager.ts";
import type { UpstreamAddresses } from "./upstream-properties.ts";
import type { BufferRef, HostStream, MapAccess, StreamActionRequests } from "./vm-types.ts";

/** What the host view reads of the stream engine. */
export interface StreamState {
  readonly req: Direction;
  readonly resp: Direction;
  readonly logPhase: boolean;
  readonly localReply: LocalReply | null;
  readonly route: string | null;
  readonly forwardedProtoAtStart: boolean;
  readonly filterState: Map<string, Uint8Array>;
  readonly deps: {
    readonly properties: Readonly<Record<string, PropertyValue>>;
    readonly connectionId: number;
    readonly protocol: HttpProtocol;
    readonly router: Router;
    readonly now: () => number;
    readonly upstreamEndpoint: (cluster: string) => UpstreamAddresses;
  };
  /** True when the stream is answered locally, reset or failed. */
  stopped(): boolean;
}

/** The HostStream of one HTTP stream context. */
export class HttpHostView implements HostStream {
  readonly kind = "http" as const;
  readonly actions: StreamActionRequests;
  readonly #stream: StreamState;

  constructor(stream: StreamState, actions: StreamActionRequests) {
    this.#stream = stream;
    this.actions = actions;
  }

  /** Map availability for hostcalls (Direction.mapAccess: Envoy's getMap windows). */
  headerMap(type: number): MapAccess {
    const s = this.#stream;
    const request = type === MapType.HttpRequestHeaders || type === MapType.HttpRequestTrailers;
    const trailers = type === MapType.HttpRequestTrailers || type === MapType.HttpResponseTrailers;
    return (request ? s.req : s.resp).mapAccess(trailers, type === MapType.HttpRequestTrailers, s.logPhase);
  }

  /** Body buffers for hostcalls: the current (or accumulated) body inside body callbacks. */
  buffer(type: number): BufferRef | null {
    if (type !== BufferType.HttpRequestBody && type !== BufferType.HttpResponseBody) return null;
    return (type === BufferType.HttpRequestBody ? this.#stream.req : this.#stream.resp).bodyBuffer();
  }

  /** Stream-derived properties (request.*, response.*, upstream.*, filter state, connection.id). */
  property(key: string): Uint8Array | number | undefined {
    const s = this.#stream;
    const { req, resp, deps } = s;
    return httpStreamProperty(key, {
      filterState: s.filterState,
      seeded: deps.properties,
      connectionId: deps.connectionId,
      request: () => ({
        headers: req.started && ((req.headersActive && !s.stopped()) || s.logPhase) ? req.out.headers : null,
        allHeaders: req.out.headers,
        bodySize: req.out.bodyBytes.length,
        logPhase: s.logPhase,
        protocol: deps.protocol,
      }),
      response: () =>
        resp.started
          ? {
              headers: resp.out.headers,
              trailers: resp.out.trailers,
              bodySize: resp.out.bodyBytes.length,
              logPhase: s.logPhase,
              details: s.localReply?.details ?? "via_upstream",
            }
          : null,
      cluster: (): string | RouteDecision => s.route ?? deps.router.route(req.out.headers, s.forwardedProtoAtStart),
      routed: () => s.route !== null,
      deps,
    });
  }

  /** proxy_set_property: stored as filter state, readable back by path. */
  setProperty(key: string, value: Uint8Array): void {
    this.#stream.filterState.set(propertyKey(key), value);
  }
}
