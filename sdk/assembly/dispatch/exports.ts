// Dispatch layer: owns every proxy_on_* export Envoy calls (exact ABI 0.2.1 signatures), keeps one typed
// map per context kind (no downcasts on hot paths), routes callout responses back to the context that made
// the call, and frees per-context state on proxy_on_delete. With `--runtime minimal` it runs the collector
// at safe points (end of proxy_on_configure, start and end of every proxy_on_tick, and every COLLECT_EVERY_CALLBACKS
// deletes/body/data/queue/foreign-function callbacks), never inside malloc.
// Stateless streams: when the build transform dropped proxy_on_context_create and proxy_on_delete (see
// sdk/transform/prune-callbacks.js), Envoy never calls them; the root is created on proxy_on_vm_start or
// proxy_on_configure, and one HTTP context object serves every stream of that root (its contextId is set to the
// stream's id for each callback). Envoy then does not say which plugin a stream belongs to: the newest root
// serves every stream (a configuration update makes a new root in the same VM), after a warning.
import { Action, BufferType, GrpcStatus, LogLevel, PeerType } from "../abi/types";
import * as host from "../host/hostcalls";
import { guestMalloc } from "../host/memory";
import { Context, ContextKind, RootContext, HttpContext, TcpContext, RootFactory, firstRootFactory, calloutOwners } from "../api/context";
import { Configuration } from "../api/maps";
import { IdTable } from "../api/context-table";

// One table for every context (shares its code with calloutOwners); `contextKind` says which class it is, so
// the typed views below use an unchecked changetype only after checking the kind.
const contexts = new IdTable<Context>();
let lastId: u32 = 0;
let lastContext: Context | null = null;
const COLLECT_EVERY_CALLBACKS: u32 = 64;
let callbacksSinceCollect: u32 = 0;
// Set by the first proxy_on_context_create: Envoy calls it for the root before anything else when it is exported.
let contextCreateExported = false;

// Stateless streams only: the VM's one root, the name of its plugin, and the HTTP context object that serves all
// its streams.
let onlyRoot: RootContext | null = null;
let onlyRootPluginName: ArrayBuffer | null = null;
let sharedHttp: HttpContext | null = null;

// With --runtime minimal nothing collects automatically: collect here, at the end of an export, where the
// Wasm stack holds no managed references (never inside malloc). Compiled away for other runtimes.
// @ts-ignore: decorator
@inline function collectGarbage(force: bool): void {
  if (ASC_RUNTIME == 1 /* Runtime.Minimal */) {
    if (force || ++callbacksSinceCollect >= COLLECT_EVERY_CALLBACKS) {
      callbacksSinceCollect = 0;
      __collect();
    }
  }
}

function anyContext(id: u32): Context | null {
  if (id == lastId && lastContext != null) return lastContext;
  const context = contexts.get(id);
  if (context == null) return null;
  lastId = id;
  lastContext = context;
  return context;
}

function httpContext(id: u32): HttpContext | null {
  if (!contextCreateExported) return statelessHttpContext(id);
  const context = anyContext(id);
  return context != null && context.contextKind == ContextKind.Http ? changetype<HttpContext>(context) : null;
}

// Stateless streams: the root's one HTTP context object, made on the first stream, with contextId set to `id`.
function statelessHttpContext(id: u32): HttpContext | null {
  let http = sharedHttp;
  if (http == null) {
    const root = onlyRoot;
    if (root == null) return null;
    http = root.newHttpContext(id);
    if (http == null) {
      host.log(LogLevel.Error, "no stream context: override newHttpContext in the root class");
      return null;
    }
    http.rootContext = root;
    http.contextKind = ContextKind.Http;
    sharedHttp = http;
  }
  http.contextId = id;
  return http;
}

// Root lookup for vm_start/configure: without proxy_on_context_create the root is created here, on first use.
// Envoy then does not say which plugin a stream belongs to, so the VM serves ONE plugin: a new root of the same
// plugin (same plugin_name: a configuration update) takes over every stream and the one it replaces is
// forgotten; a root of another plugin is refused (null), since streams of the two could not be told apart.
function configuredRoot(rootId: u32): RootContext | null {
  if (contextCreateExported) return rootContext(rootId);
  const existing = onlyRoot;
  if (existing != null && existing.contextId == rootId) return existing;
  const pluginName = host.topLevelPropertyBytes("plugin_name");
  if (existing != null) {
    if (!sameBytes(pluginName, onlyRootPluginName)) {
      refuseSecondPlugin(pluginName, onlyRootPluginName);
      rootRefused = true;
      return null;
    }
    warnTakeOver(pluginName);
    contexts.delete(existing.contextId);
    if (existing.contextId == lastId) { lastId = 0; lastContext = null; }
    sharedHttp = null;
  }
  createRoot(rootId);
  const root = rootContext(rootId);
  onlyRoot = root;
  onlyRootPluginName = pluginName;
  return root;
}

function sameBytes(a: ArrayBuffer | null, b: ArrayBuffer | null): bool {
  if (a == null || b == null) return a == b;
  return a.byteLength == b.byteLength && memory.compare(changetype<usize>(a), changetype<usize>(b), <usize>a.byteLength) == 0;
}

// A configuration update, or two plugins of the same name with different configurations (which cannot be told
// apart): one warning line naming the plugin.
function warnTakeOver(pluginName: ArrayBuffer | null): void {
  logNaming(LogLevel.Warn, STATELESS_PLUGIN, pluginName, "\": a new configuration now serves every stream of this VM", null, "");
}

// One critical line naming both plugins (sdk/README.md, "Stateless streams", says why).
function refuseSecondPlugin(incoming: ArrayBuffer | null, existing: ArrayBuffer | null): void {
  logNaming(LogLevel.Critical, STATELESS_PLUGIN, incoming, "\" cannot share a VM with plugin \"", existing,
    "\" (stateless streams): give each plugin its own vm_config.vm_id");
}

const STATELESS_PLUGIN = "statelessStreams: plugin \"";

// Logs `a`, `first`, `b`, `second`, `c` as one line: the names are the bytes Envoy has (no UTF-8 decoder needed).
function logNaming(level: LogLevel, a: string, first: ArrayBuffer | null, b: string, second: ArrayBuffer | null, c: string): void {
  if (!host.isLogEnabled(level)) return;
  const firstLength = first != null ? <usize>first.byteLength : 0;
  const secondLength = second != null ? <usize>second.byteLength : 0;
  const line = heap.alloc(<usize>(a.length + b.length + c.length) * 3 + firstLength + secondLength);
  let at = line;
  at += String.UTF8.encodeUnsafe(changetype<usize>(a), a.length, at);
  if (first != null) { memory.copy(at, changetype<usize>(first), firstLength); at += firstLength; }
  at += String.UTF8.encodeUnsafe(changetype<usize>(b), b.length, at);
  if (second != null) { memory.copy(at, changetype<usize>(second), secondLength); at += secondLength; }
  at += String.UTF8.encodeUnsafe(changetype<usize>(c), c.length, at);
  host.logUnchecked(level, line, at - line);
  heap.free(line);
}

function tcpContext(id: u32): TcpContext | null {
  const context = anyContext(id);
  return context != null && context.contextKind == ContextKind.Tcp ? changetype<TcpContext>(context) : null;
}

function rootContext(id: u32): RootContext | null {
  const context = anyContext(id);
  return context != null && context.contextKind == ContextKind.Root ? changetype<RootContext>(context) : null;
}

function store(id: u32, context: Context, kind: ContextKind): void {
  context.contextId = id;
  context.contextKind = kind;
  contexts.set(id, context);
}

// Several registered roots: the one registered for Envoy's root_id, else the default one (registered with "").
function selectRootFactory(): RootFactory | null {
  let fallback: RootFactory | null = null;
  let factory = firstRootFactory;
  while (factory != null) {
    if (host.propertyEquals("plugin_root_id", factory.rootId)) return factory;
    if (factory.rootId.length == 0) fallback = factory;
    factory = factory.next;
  }
  return fallback;
}

function createRoot(contextId: u32): void {
  const first = firstRootFactory;
  if (first == null) {
    host.log(LogLevel.Critical, "no root context registered: call registerRoot<YourRoot>() at top level; import \"@proxy-wasm-as/sdk\", not a relative path");
    return;
  }
  // One registered root serves every root_id; only with several does the dispatcher ask Envoy which one.
  const factory = first.next == null ? first : selectRootFactory();
  if (factory == null) {
    let known = "";
    let other = firstRootFactory;
    while (other != null) {
      known += (known.length > 0 ? ", \"" : "\"") + other.rootId + "\"";
      other = other.next;
    }
    host.log(LogLevel.Critical, "no root class for this root_id; registered: " + known + " (set root_id to one, or add registerRoot<YourRoot>(\"\"))");
    return;
  }
  store(contextId, factory.create(), ContextKind.Root);
}

// Set when configuredRoot refused a second plugin (it logged why): no second line then.
let rootRefused = false;

function missingRoot(): i32 {
  if (rootRefused) rootRefused = false;
  else host.log(LogLevel.Critical, "no root class for this root context; see the earlier error");
  return 0;
}

/** ABI version marker; Envoy reads its name, never calls it. */
export function proxy_abi_version_0_2_1(): void {}

/** Allocator the host uses to hand data to the module (raw TLSF block; the SDK frees it after copying). */
export function malloc(size: usize): usize { return guestMalloc(size); }

/** Envoy creates a root (parent 0: picks the registered root class by root_id) or a stream context (asks its root for an HTTP, else a TCP context). */
export function proxy_on_context_create(contextId: u32, parentContextId: u32): void {
  if (parentContextId == 0) host.resetLogLevelCache();
  else host.countLogLevelCallback();
  contextCreateExported = true;
  if (parentContextId == 0) { createRoot(contextId); return; }
  const root = rootContext(parentContextId);
  if (root == null) return;
  const http = root.newHttpContext(contextId);
  if (http != null) {
    http.rootContext = root;
    store(contextId, http, ContextKind.Http);
    return;
  }
  const tcp = root.newTcpContext(contextId);
  if (tcp != null) {
    tcp.rootContext = root;
    store(contextId, tcp, ContextKind.Tcp);
    return;
  }
  host.log(LogLevel.Error, "no stream context: override newHttpContext or newTcpContext in the root class");
}

/** VM start for a root: calls onVmStart with the VM configuration; 0 fails the VM. */
export function proxy_on_vm_start(rootId: u32, vmConfigurationSize: u32): u32 {
  host.resetLogLevelCache();
  const root = configuredRoot(rootId);
  if (root == null) return missingRoot();
  return root.onVmStart(new Configuration(BufferType.VmConfiguration, vmConfigurationSize)) ? 1 : 0;
}

/** Plugin (re)configuration: calls onConfigure; 0 rejects the configuration. Collects garbage afterwards (minimal runtime). */
export function proxy_on_configure(rootId: u32, pluginConfigurationSize: u32): u32 {
  host.resetLogLevelCache();
  const root = configuredRoot(rootId);
  if (root == null) return missingRoot();
  const accepted = root.onConfigure(new Configuration(BufferType.PluginConfiguration, pluginConfigurationSize));
  collectGarbage(true);
  return accepted ? 1 : 0;
}

/**
 * Timer tick of a root (see RootContext.setTickPeriod). Collects garbage before and after every tick (minimal
 * runtime): the main thread's VM only ever ticks (it serves no streams, so no delete/body callback would ever
 * collect), and a tick typically sweeps many entries at once, so waiting for 64 of them would hold 64 ticks'
 * garbage; collecting first too means a tick never adds its garbage on top of the streams' uncollected garbage.
 */
export function proxy_on_tick(rootId: u32): void {
  host.resetLogLevelCache();
  collectGarbage(true);
  const root = rootContext(rootId);
  if (root != null) root.onTick();
  collectGarbage(true);
}

/** A shared queue registered by this root has data. Counts towards the next collection (minimal runtime). */
export function proxy_on_queue_ready(rootId: u32, queueId: u32): void {
  host.resetLogLevelCache();
  const root = rootContext(rootId);
  if (root != null) root.onQueueReady(queueId);
  collectGarbage(false);
}

/** Host-initiated foreign function call on a root. Counts towards the next collection (minimal runtime). */
export function proxy_on_foreign_function(contextId: u32, functionId: u32, argumentsSize: u32): void {
  host.resetLogLevelCache();
  const root = rootContext(contextId);
  if (root != null) root.onForeignFunction(functionId, argumentsSize);
  collectGarbage(false);
}

// ---- TCP ----

/** New TCP connection: TcpContext.onNewConnection. */
export function proxy_on_new_connection(contextId: u32): u32 {
  host.countLogLevelCallback();
  const tcp = tcpContext(contextId);
  return tcp != null ? <u32>tcp.onNewConnection() : <u32>Action.Continue;
}

/** TCP data from the client: TcpContext.onDownstreamData. */
export function proxy_on_downstream_data(contextId: u32, dataSize: u32, endOfStream: u32): u32 {
  host.countLogLevelCallback();
  const tcp = tcpContext(contextId);
  const action = tcp != null ? <u32>tcp.onDownstreamData(dataSize, endOfStream != 0) : <u32>Action.Continue;
  collectGarbage(false);
  return action;
}

/** TCP data from the server: TcpContext.onUpstreamData. */
export function proxy_on_upstream_data(contextId: u32, dataSize: u32, endOfStream: u32): u32 {
  host.countLogLevelCallback();
  const tcp = tcpContext(contextId);
  const action = tcp != null ? <u32>tcp.onUpstreamData(dataSize, endOfStream != 0) : <u32>Action.Continue;
  collectGarbage(false);
  return action;
}

/** The client side of a TCP connection closed. */
export function proxy_on_downstream_connection_close(contextId: u32, peerType: u32): void {
  host.countLogLevelCallback();
  const tcp = tcpContext(contextId);
  if (tcp != null) tcp.onDownstreamConnectionClose(<PeerType>peerType);
}

/** The server side of a TCP connection closed. */
export function proxy_on_upstream_connection_close(contextId: u32, peerType: u32): void {
  host.countLogLevelCallback();
  const tcp = tcpContext(contextId);
  if (tcp != null) tcp.onUpstreamConnectionClose(<PeerType>peerType);
}

// ---- HTTP ----

/** HTTP request headers (hot path: cached context lookup, no allocation by the SDK). */
export function proxy_on_request_headers(contextId: u32, headerCount: u32, endOfStream: u32): u32 {
  host.countLogLevelCallback();
  const http = httpContext(contextId);
  const action = http != null ? <u32>http.onRequestHeaders(headerCount, endOfStream != 0) : <u32>Action.Continue;
  // Stateless streams have no proxy_on_delete to collect at: collect every COLLECT_EVERY_CALLBACKS requests.
  if (!contextCreateExported) collectGarbage(false);
  return action;
}

/** HTTP request body chunk. */
export function proxy_on_request_body(contextId: u32, bodySize: u32, endOfStream: u32): u32 {
  host.countLogLevelCallback();
  const http = httpContext(contextId);
  const action = http != null ? <u32>http.onRequestBody(bodySize, endOfStream != 0) : <u32>Action.Continue;
  collectGarbage(false);
  return action;
}

/** HTTP request trailers. */
export function proxy_on_request_trailers(contextId: u32, trailerCount: u32): u32 {
  host.countLogLevelCallback();
  const http = httpContext(contextId);
  return http != null ? <u32>http.onRequestTrailers(trailerCount) : <u32>Action.Continue;
}

/** HTTP response headers. */
export function proxy_on_response_headers(contextId: u32, headerCount: u32, endOfStream: u32): u32 {
  host.countLogLevelCallback();
  const http = httpContext(contextId);
  const action = http != null ? <u32>http.onResponseHeaders(headerCount, endOfStream != 0) : <u32>Action.Continue;
  if (!contextCreateExported) collectGarbage(false);
  return action;
}

/** HTTP response body chunk. */
export function proxy_on_response_body(contextId: u32, bodySize: u32, endOfStream: u32): u32 {
  host.countLogLevelCallback();
  const http = httpContext(contextId);
  const action = http != null ? <u32>http.onResponseBody(bodySize, endOfStream != 0) : <u32>Action.Continue;
  collectGarbage(false);
  return action;
}

/** HTTP response trailers. */
export function proxy_on_response_trailers(contextId: u32, trailerCount: u32): u32 {
  host.countLogLevelCallback();
  const http = httpContext(contextId);
  return http != null ? <u32>http.onResponseTrailers(trailerCount) : <u32>Action.Continue;
}

// ---- callouts (always delivered to the root; routed to the context that made the call) ----

/** The context that owns `token`, with the effective context switched to it; null if it is gone. */
function calloutTarget(rootId: u32, token: u32, forget: bool): Context | null {
  const context = calloutOwners.get(token);
  if (context == null) return null;
  if (forget) calloutOwners.delete(token);
  if (context.ended) {
    host.log(LogLevel.Debug, "callout event dropped: its context ended");
    return null;
  }
  if (context.contextId != rootId) host.setEffectiveContext(context.contextId);
  return context;
}

/** HTTP callout response (arrives at the root): routed to the calling context. */
export function proxy_on_http_call_response(rootId: u32, token: u32, headerCount: u32, bodySize: u32, trailerCount: u32): void {
  host.resetLogLevelCache();
  const context = calloutTarget(rootId, token, true);
  if (context != null) context.onHttpCallResponse(token, headerCount, bodySize, trailerCount);
}

/** gRPC initial metadata (arrives at the root): routed to the calling context. */
export function proxy_on_grpc_receive_initial_metadata(rootId: u32, token: u32, count: u32): void {
  host.resetLogLevelCache();
  const context = calloutTarget(rootId, token, false);
  if (context != null) context.onGrpcReceiveInitialMetadata(token, count);
}

/** gRPC message (arrives at the root): routed to the calling context. */
export function proxy_on_grpc_receive(rootId: u32, token: u32, messageSize: u32): void {
  host.resetLogLevelCache();
  // Envoy ends a successful unary call with proxy_on_grpc_receive alone (no close); unary tokens are ≡ 1 mod 4.
  const context = calloutTarget(rootId, token, (token & 3) == 1);
  if (context != null) context.onGrpcReceive(token, messageSize);
}

/** gRPC trailing metadata (arrives at the root): routed to the calling context. */
export function proxy_on_grpc_receive_trailing_metadata(rootId: u32, token: u32, count: u32): void {
  host.resetLogLevelCache();
  const context = calloutTarget(rootId, token, false);
  if (context != null) context.onGrpcReceiveTrailingMetadata(token, count);
}

/** gRPC stream end or unary failure (arrives at the root): routed to the calling context. */
export function proxy_on_grpc_close(rootId: u32, token: u32, statusCode: u32): void {
  host.resetLogLevelCache();
  const context = calloutTarget(rootId, token, true);
  if (context != null) context.onGrpcClose(token, <GrpcStatus>statusCode);
}

// ---- lifecycle ----

/** Envoy wants to delete a context: 1 = now, 0 = the root calls done() later. */
export function proxy_on_done(contextId: u32): u32 {
  host.countLogLevelCallback();
  const context = anyContext(contextId);
  return context == null || context.onDone() ? 1 : 0;
}

/** Access-log time of a stream. */
export function proxy_on_log(contextId: u32): void {
  host.countLogLevelCallback();
  const context = anyContext(contextId);
  if (context != null) context.onLog();
}

/** Last callback of a context: calls onDelete and forgets the context. */
export function proxy_on_delete(contextId: u32): void {
  host.countLogLevelCallback();
  const context = anyContext(contextId);
  if (context != null) {
    context.onDelete();
    context.ended = true;
    contexts.delete(contextId);
  }
  if (contextId == lastId) { lastId = 0; lastContext = null; }
  collectGarbage(false);
}
