// Typed layer: the context classes users extend. Callbacks are methods (AssemblyScript has no closures);
// the dispatcher (sdk/assembly/dispatch) calls them with the effective context already set, so every
// helper acts on the right stream. Defaults are neutral: Continue, true, no-op.
import { Action, BufferType, PeerType, Status, StreamType, GrpcStatus } from "../abi/types";
import * as host from "../host/hostcalls";
import { Header } from "../host/pairs";
import { IdTable } from "./context-table";
import { Configuration, HeaderMap, Body, requestHeaders, requestTrailers, responseHeaders, responseTrailers, requestBody, responseBody, downstreamData, upstreamData } from "./maps";

/** Token → the context that made the callout; responses go back to it unless it has ended (see `ended`). */
export const calloutOwners = new IdTable<Context>();

/** Kind of a context, set by the dispatcher when it stores the context (lets it avoid checked casts). */
export enum ContextKind { Root = 1, Http = 2, Tcp = 3 }

/** What every context (root, HTTP stream, TCP stream) has: its id, callouts and lifecycle hooks. */
export abstract class Context {
  /** Host-assigned context id; set by the dispatcher before any callback runs. */
  contextId: u32 = 0;
  /** What kind of context this is (set by the dispatcher). */
  contextKind: ContextKind = ContextKind.Root;
  /** True once Envoy deleted this context; late callout events for it are dropped. */
  ended: bool = false;

  /**
   * Sends an HTTP request to the Envoy cluster `cluster`. `headers` must include :method, :path and
   * :authority. The response arrives at this context's onHttpCallResponse (even when called from a stream;
   * if the stream ended first the response is dropped). Returns the token, or 0 on failure (host.lastStatus()
   * says why: BadArgument for an unknown cluster or missing pseudo-headers).
   */
  httpCall(cluster: string, headers: Header[], body: ArrayBuffer | null, trailers: Header[] | null, timeoutMs: u32): u32 {
    const token = host.httpCall(cluster, headers, body, trailers, timeoutMs);
    if (token != 0) calloutOwners.set(token, this);
    return token;
  }

  /**
   * Starts a unary gRPC call on cluster `cluster` (or pass a serialized GrpcService via grpcCallBytes).
   * Responses arrive at onGrpcReceiveInitialMetadata / onGrpcReceive / onGrpcReceiveTrailingMetadata /
   * onGrpcClose of this context. Returns the token, or 0 on failure.
   */
  grpcCall(cluster: string, serviceName: string, method: string, initialMetadata: Header[] | null, message: ArrayBuffer, timeoutMs: u32): u32 {
    return this.grpcCallBytes(String.UTF8.encode(cluster), serviceName, method, initialMetadata, message, timeoutMs);
  }

  /** grpcCall with `service` given as bytes (a cluster name or a serialized envoy.config.core.v3.GrpcService). */
  grpcCallBytes(service: ArrayBuffer, serviceName: string, method: string, initialMetadata: Header[] | null, message: ArrayBuffer, timeoutMs: u32): u32 {
    const token = host.grpcCall(service, serviceName, method, initialMetadata, message, timeoutMs);
    if (token != 0) calloutOwners.set(token, this);
    return token;
  }

  /** Opens a gRPC stream; send with host grpcSend(token, ...). Events arrive at this context. Token or 0. */
  grpcStream(cluster: string, serviceName: string, method: string, initialMetadata: Header[] | null): u32 {
    const token = host.grpcStream(String.UTF8.encode(cluster), serviceName, method, initialMetadata);
    if (token != 0) calloutOwners.set(token, this);
    return token;
  }

  /** HTTP callout response. `headerCount` 0 means the call failed (reset/too large); host.getStatus() has details. */
  onHttpCallResponse(token: u32, headerCount: u32, bodySize: u32, trailerCount: u32): void {}
  /** gRPC initial metadata (read grpcReceiveInitialMetadata). */
  onGrpcReceiveInitialMetadata(token: u32, count: u32): void {}
  /** A gRPC message (read grpcReceiveBuffer). For a unary call a successful response ends here (no onGrpcClose). */
  onGrpcReceive(token: u32, messageSize: u32): void {}
  /** gRPC trailing metadata (read grpcReceiveTrailingMetadata). */
  onGrpcReceiveTrailingMetadata(token: u32, count: u32): void {}
  /** The gRPC stream ended, or a unary call failed, with `status` (GrpcStatus); getStatus().message has the message. */
  onGrpcClose(token: u32, status: GrpcStatus): void {}
  /** The host is about to delete this context. Return false (roots only) to finish later with done(). */
  onDone(): bool { return true; }
  /** Access-log time: the stream is complete (request/response headers are readable). */
  onLog(): void {}
  /** Last callback; the SDK forgets the context afterwards. */
  onDelete(): void {}
}

/**
 * A plugin (or singleton service) instance, one per root_id per worker. Override newHttpContext for an
 * HTTP filter or newTcpContext for a network filter (a root serves one kind; register two roots for both).
 */
export class RootContext extends Context {
  private knownRootId: string | null = null;

  /**
   * The root_id this context was created for ("" when Envoy's config sets none). Read from Envoy (the
   * `plugin_root_id` property) on first use, so call it from a callback, not from a constructor.
   */
  get rootId(): string {
    let rootId = this.knownRootId;
    if (rootId == null) {
      const property = host.getProperty(["plugin_root_id"]);
      rootId = property != null ? property : "";
      this.knownRootId = rootId;
    }
    return rootId;
  }

  /** VM start; `configuration` is the vm_config.configuration. Return false to fail the VM. */
  onVmStart(configuration: Configuration): bool { return true; }
  /**
   * Plugin (re)configuration. Use `configuration.json()` for JSON; return false to reject the config
   * (Envoy then refuses the listener/filter; the error is already logged by json()).
   */
  onConfigure(configuration: Configuration): bool { return true; }
  /** Timer callback, every period set with setTickPeriod. */
  onTick(): void {}
  /** A shared queue registered by this root has data (dequeue with host dequeueSharedQueue). */
  onQueueReady(queueId: u32): void {}
  /** A host-initiated foreign-function call; arguments are in `callData`. */
  onForeignFunction(functionId: u32, argumentsSize: u32): void {}
  /** Creates the context for a new HTTP stream, or null if this root is not an HTTP filter. */
  newHttpContext(contextId: u32): HttpContext | null { return null; }
  /** Creates the context for a new TCP connection, or null if this root is not a network filter. */
  newTcpContext(contextId: u32): TcpContext | null { return null; }

  /** Calls onTick every `periodMs` milliseconds (first tick after one period); 0 stops it. */
  setTickPeriod(periodMs: u32): Status { return host.setTickPeriodMilliseconds(periodMs); }
  /** After onDone returned false: tell Envoy this root has finished and may be deleted. */
  done(): Status { return host.done(); }
}

/** Per-HTTP-stream context. Callbacks return an Action; maps and bodies are available as members. */
export class HttpContext extends Context {
  /** The root that created this stream (set by the dispatcher). */
  rootContext: RootContext | null = null;

  /** Request headers: readable/writable in onRequestHeaders and while the request is paused there. */
  get requestHeaders(): HeaderMap { return requestHeaders; }
  /** Request trailers: in onRequestTrailers (can be created from onRequestBody at end of stream). */
  get requestTrailers(): HeaderMap { return requestTrailers; }
  /** Response headers: in onResponseHeaders and while paused there; read-only in onLog. */
  get responseHeaders(): HeaderMap { return responseHeaders; }
  /** Response trailers. */
  get responseTrailers(): HeaderMap { return responseTrailers; }
  /** Request body in onRequestBody (whole buffered body when you returned Pause earlier). */
  get requestBody(): Body { return requestBody; }
  /** Response body in onResponseBody. */
  get responseBody(): Body { return responseBody; }

  /** Request headers arrived (`headerCount` includes pseudo-headers). Changing them clears Envoy's route cache. */
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action { return Action.Continue; }
  /** A request body chunk; `bodySize` is the whole buffered size if you paused before. */
  onRequestBody(bodySize: u32, endOfStream: bool): Action { return Action.Continue; }
  /** Request trailers arrived. */
  onRequestTrailers(trailerCount: u32): Action { return Action.Continue; }
  /** Response headers arrived. */
  onResponseHeaders(headerCount: u32, endOfStream: bool): Action { return Action.Continue; }
  /** A response body chunk. */
  onResponseBody(bodySize: u32, endOfStream: bool): Action { return Action.Continue; }
  /** Response trailers arrived. */
  onResponseTrailers(trailerCount: u32): Action { return Action.Continue; }

  /**
   * Replies locally with `statusCode` and `body` instead of forwarding; the stream stops here (Envoy
   * overrides the callback's return value). `grpcStatus` -1 (GrpcStatus.None) adds no grpc-status.
   */
  sendLocalResponse(statusCode: u32, body: string, headers: Header[] | null = null, grpcStatus: GrpcStatus = GrpcStatus.None, details: string = ""): Status {
    return host.sendLocalResponse(statusCode, details, body, headers, grpcStatus);
  }
  /** Byte-body variant of sendLocalResponse. */
  sendLocalResponseBytes(statusCode: u32, body: ArrayBuffer, headers: Header[] | null = null, grpcStatus: GrpcStatus = GrpcStatus.None, details: string = ""): Status {
    return host.sendLocalResponseBytes(statusCode, details, body, headers, grpcStatus);
  }
  /** Resumes a request paused earlier (e.g. after a callout). Takes effect when the callback returns. */
  continueRequest(): Status { return host.continueStream(StreamType.HttpRequest); }
  /** Resumes a paused response. */
  continueResponse(): Status { return host.continueStream(StreamType.HttpResponse); }
  /** Resets the stream from the request side. */
  closeRequest(): Status { return host.closeStream(StreamType.HttpRequest); }
  /** Resets the stream from the response side. */
  closeResponse(): Status { return host.closeStream(StreamType.HttpResponse); }
}

/** Per-TCP-connection context (network filter). */
export class TcpContext extends Context {
  /** The root that created this connection (set by the dispatcher). */
  rootContext: RootContext | null = null;

  /** Data from the client, inside onDownstreamData. */
  get downstreamData(): Body { return downstreamData; }
  /** Data from the server, inside onUpstreamData. */
  get upstreamData(): Body { return upstreamData; }

  /** A client connected. */
  onNewConnection(): Action { return Action.Continue; }
  /** Client data arrived. */
  onDownstreamData(dataSize: u32, endOfStream: bool): Action { return Action.Continue; }
  /** Server data arrived. */
  onUpstreamData(dataSize: u32, endOfStream: bool): Action { return Action.Continue; }
  /** The client side closed (`peer` says who closed it). */
  onDownstreamConnectionClose(peer: PeerType): void {}
  /** The server side closed. */
  onUpstreamConnectionClose(peer: PeerType): void {}

  /** Resumes reading downstream data after a Pause. */
  continueDownstream(): Status { return host.continueStream(StreamType.Downstream); }
  /** Closes the client connection (flushing writes). */
  closeDownstream(): Status { return host.closeStream(StreamType.Downstream); }
  /** Closes the server connection. */
  closeUpstream(): Status { return host.closeStream(StreamType.Upstream); }
}

/** Builds a root context for a registered root_id (see registerRoot). Factories form a list in registration order. */
export abstract class RootFactory {
  /** The factory registered after this one. */
  next: RootFactory | null = null;
  constructor(public readonly rootId: string) {}
  abstract create(): RootContext;
}

class TypedRootFactory<T extends RootContext> extends RootFactory {
  create(): RootContext { return instantiate<T>(); }
}

/** The first registered root factory (a linked list, not an Array: keeps the smallest filters small). */
export let firstRootFactory: RootFactory | null = null;
let lastRootFactory: RootFactory | null = null;

/**
 * Registers root context class T for `rootId` (Envoy's plugin `root_id`). Call at module top level (it makes
 * no host call). Selection: exact root_id match; otherwise, if only one root is registered, that one;
 * otherwise the root registered with "" (the default). T needs a constructor without arguments.
 */
export function registerRoot<T extends RootContext>(rootId: string = ""): void {
  const factory = new TypedRootFactory<T>(rootId);
  const last = lastRootFactory;
  if (last == null) firstRootFactory = factory;
  else last.next = factory;
  lastRootFactory = factory;
}
