// The scenario format: one definition that runs on the emulator and on real Envoy, and the observation both
// backends produce from it, normalised so they can be compared field by field.
import type { RouteSpec } from "../emulator/index.ts";

/** An HTTP request a scenario sends through the filter. */
export interface ScenarioRequest {
  /** Default GET, or POST when there is a body. */
  readonly method?: string;
  /** Default "/". */
  readonly path?: string;
  /** `:authority` (HTTP/2) or `Host` (HTTP/1.1); default Envoy's listener address, "127.0.0.1:<port>". */
  readonly authority?: string;
  /** Request headers (lower-case names), sent after the pseudo-headers in this order. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The body: a string is sent whole with content-length; an array is sent chunked (HTTP/1.1) or as DATA
   * frames (HTTP/2), one chunk at a time, each only after the filter saw the previous one (so chunk boundaries
   * are the same on both backends). Use an array only when the filter does not pause before the body.
   */
  readonly body?: string | readonly string[];
  /** Request trailers (the body is then sent chunked on HTTP/1.1). */
  readonly trailers?: Readonly<Record<string, string>>;
  /** Send over HTTP/2 cleartext (prior knowledge) instead of HTTP/1.1. */
  readonly http2?: boolean;
  /** Envoy backend: the client gives up (and counts as reset) after this long; default 10 s. For stalling streams. */
  readonly clientTimeoutMs?: number;
  /**
   * The probe event that ends this exchange on real Envoy, where callbacks such as on_log run after the client
   * already has its response: default "on_delete". "none" when the filter no longer runs for this request (its
   * VM failed earlier), "trap" when the filter traps during it, "quiet" when the module's logs have settled (no new
   * line for {@link QUIET_MS} once the client has its answer; the default for modules other than the probe, which
   * log no `on_delete`).
   */
  readonly settle?: "on_delete" | "none" | "trap" | "quiet";
}

/** The upstream's answer to every request of a scenario. Default: 200, body "upstream-ok". */
export interface ScenarioUpstream {
  readonly status?: number;
  /** Response headers (lower-case names). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Response trailers (the response is then chunked). */
  readonly trailers?: Readonly<Record<string, string>>;
}

/** The answer of a callout cluster (`callout <cluster> <path>` in the probe). */
export interface ScenarioCallout {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Answer this late (ms; real time in Envoy, virtual time in the emulator), e.g. to exceed the callout's timeout. */
  readonly delayMs?: number;
}

/**
 * A gRPC service cluster (`grpc <cluster> probe.Echo Call <message>` in the probe). Unary calls get `reply`
 * (default: "pong:" + the request message) or, when `status` is set, that gRPC error. Streams (`grpc-stream
 * <cluster> probe.Echo Call`) are answered the same way once the module half-closes them (`grpc-close`).
 */
export interface ScenarioGrpcService {
  readonly reply?: string;
  readonly status?: number;
  readonly statusMessage?: string;
}

/** An HTTP callout as your service receives it, the same on both backends. */
export interface ScenarioHttpCall {
  readonly cluster: string;
  readonly method: string;
  /** Path with query string. */
  readonly path: string;
  /** The headers the module set (lower-case names; pseudo-headers and transport headers left out). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Your own HTTP service for callouts: one handler for every request on its cluster, on both backends. */
export type ScenarioHttpHandler = (call: ScenarioHttpCall) => ScenarioCallout;

/** A gRPC call as your service receives it, the same on both backends. */
export interface ScenarioGrpcCall {
  /** The cluster the module called. */
  readonly cluster: string;
  /** "package.Service". */
  readonly service: string;
  readonly method: string;
  /** The request message (protobuf bytes). */
  readonly message: Uint8Array;
}

/** Your service's answer: a reply message, or a gRPC error status (with its message). */
export interface ScenarioGrpcAnswer {
  readonly message?: string | Uint8Array;
  /** Non-zero: answer this gRPC status instead of a message. */
  readonly status?: number;
  readonly statusMessage?: string;
}

/**
 * Your own gRPC service: one handler for every service and method called on its cluster. Envoy's side serves it
 * from a real gRPC server, the emulator's from `grpcServices`, so both answer the module alike.
 */
export type ScenarioGrpcHandler = (call: ScenarioGrpcCall) => ScenarioGrpcAnswer;

/** One TCP connection of a network-filter scenario: the client writes `send`, reads, then closes. */
export interface ScenarioConnection {
  /** Bytes the client writes (one write, then it waits for the echo). */
  readonly send: string;
  /** How many bytes the client expects back before it closes; default: what the filter lets through. */
  readonly expectBytes: number;
}

/** A route tried before the catch-all to the scenario's upstream; it sends matching requests to `upstreams[upstream]`. */
export interface ScenarioRoute extends Omit<RouteSpec, "cluster"> {
  readonly upstream: string;
}

/** Your own module's plugin, instead of the probe (see {@link Scenario.plugin}). */
export interface ScenarioPlugin {
  /** Plugin configuration: a string as is, an object JSON-encoded. Default empty. */
  readonly configuration?: string | object;
  /** `root_id`. Default "". */
  readonly rootId?: string;
  /** VM configuration. Default empty. */
  readonly vmConfiguration?: string | object;
}

/** What must hold on BOTH backends (checked against each observation, on top of the comparison). */
export interface ScenarioExpectation {
  /** Per request, in order. */
  readonly responses?: ReadonlyArray<{
    readonly status?: number;
    readonly body?: string;
    /** Response header values the client must see (null: must be absent). */
    readonly headers?: Readonly<Record<string, string | null>>;
    /** What the upstream received; null when the request must not reach it. */
    readonly upstream?: null | {
      readonly body?: string;
      readonly headers?: Readonly<Record<string, string | null>>;
      readonly trailers?: Readonly<Record<string, string>>;
    };
    readonly trailers?: Readonly<Record<string, string>>;
  }>;
  /** Probe events (normalised text, without the tag) that must appear, in this order, across the scenario. */
  readonly events?: readonly string[];
  /** Custom metric values after the scenario. */
  readonly metrics?: Readonly<Record<string, number>>;
  /** TCP: what came back to the client and what the upstream received, per connection. */
  readonly connections?: ReadonlyArray<{ readonly received?: string; readonly upstreamReceived?: string }>;
}

/** A differential scenario: a filter (the probe, configured), its environment, traffic and expectations. */
export interface Scenario {
  /** Unique id: the probe's tag, the plugin name and the vm_id (so each scenario gets its own VM). */
  readonly id: string;
  /** What the scenario shows, in one sentence. */
  readonly title: string;
  /** "http" (default) or "tcp". */
  readonly kind?: "http" | "tcp";
  /**
   * The probe configuration without its tag: commands per callback, optional tick period and queue. Leave it out
   * and set {@link plugin} to run your own module (the `wasm` given to the backends) instead of the probe.
   */
  readonly probe?: {
    readonly on: Readonly<Record<string, readonly string[]>>;
    readonly tick?: number;
    readonly queue?: string;
  };
  /** Your own module's configuration (when {@link probe} is absent). Its log lines are the events. */
  readonly plugin?: ScenarioPlugin;
  /** Envoy failure policy; default fail closed. */
  readonly failurePolicy?: "FAIL_CLOSED" | "FAIL_OPEN";
  /** How the upstream answers (HTTP). */
  readonly upstream?: ScenarioUpstream;
  /** More upstreams by name, reached through {@link routes}. */
  readonly upstreams?: Readonly<Record<string, ScenarioUpstream>>;
  /** Routes tried in order before the catch-all to {@link upstream} (prefix, path, regex, :authority, headers). */
  readonly routes?: readonly ScenarioRoute[];
  /** Callout clusters by name: a fixed answer, or your own service (a handler). Names must be unique within a suite. */
  readonly callouts?: Readonly<Record<string, ScenarioCallout | ScenarioHttpHandler>>;
  /**
   * gRPC service clusters by name (HTTP/2 upstreams): the probe's echo ({@link ScenarioGrpcService}) or your own
   * service ({@link ScenarioGrpcHandler}, any method). Names must be unique within a suite and must not parse as
   * protobuf (Envoy aborts on those: see EnvoyWouldAbortError).
   */
  readonly grpc?: Readonly<Record<string, ScenarioGrpcService | ScenarioGrpcHandler>>;
  /** HTTP requests, sent one after the other. */
  readonly requests?: readonly ScenarioRequest[];
  /** TCP connections, one after the other. */
  readonly connections?: readonly ScenarioConnection[];
  /** Custom metrics to read after the scenario (counters and gauges). */
  readonly metrics?: readonly string[];
  readonly expect?: ScenarioExpectation;
}

/** What the client received for one request. */
export interface ClientView {
  readonly status: number;
  /** Lower-case names → values, transport headers removed (see normalise.ts). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly trailers: Readonly<Record<string, string>>;
}

/** What the upstream received for one request (null when nothing reached it). */
export interface UpstreamView {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly trailers: Readonly<Record<string, string>>;
}

/** One request (or TCP connection) as both ends saw it, plus what the probe logged meanwhile. */
export interface ExchangeObservation {
  /** "HTTP/1.1", "HTTP/2" or "TCP". */
  readonly protocol: string;
  readonly client: ClientView | null;
  readonly upstream: UpstreamView | null;
  /** The probe's and the SDK's log lines while this exchange ran, normalised, in order ("on_*" lines are callbacks). */
  readonly events: readonly string[];
  /** TCP: bytes back at the client and bytes the upstream received. */
  readonly tcp?: { readonly received: string; readonly upstreamReceived: string };
}

/** Everything one backend observed for one scenario. */
export interface ScenarioObservation {
  readonly scenario: string;
  /** "emulator" or "envoy-<version>". */
  readonly backend: string;
  readonly exchanges: readonly ExchangeObservation[];
  /** Custom metric values (undefined: not defined). */
  readonly metrics: Readonly<Record<string, number | undefined>>;
  /**
   * Set when Envoy's process aborted during the scenario (Envoy: its own critical line, e.g. "panic: unset oneof";
   * emulator: the EnvoyWouldAbortError it threw). Exchanges after the one that aborted are not run.
   */
  readonly abort?: ScenarioAbort;
  /**
   * Envoy only: Envoy's own warning, error and critical lines while the scenario ran (not the module's proxy_log
   * lines), normalised; the report shows them when the scenario fails, as what may explain it.
   */
  readonly envoyLog?: readonly string[];
}

/** How Envoy aborted (or would abort) during a scenario. */
export interface ScenarioAbort {
  /** Envoy's panic, e.g. "panic: unset oneof". */
  readonly panic: string;
  /** The exchange during which it happened. */
  readonly exchange: number;
  /** The host call (emulator) or Envoy's whole critical line (Envoy). */
  readonly detail: string;
}
