// Build-time transform (asc --transform, wired in by sdk/asconfig.json): removes the proxy_on_* exports whose
// callback no class of the module overrides, so their dispatch code is never compiled into the module.
// Envoy checks every optional callback export before calling it and treats a missing one as "nothing to do"
// (continue the stream / ignore the event / done), which is exactly what the SDK's default methods do; a module
// that adds one response header therefore exports only what it uses, and Envoy makes fewer calls into the VM per
// request. Context create and delete (the dispatcher's bookkeeping), vm start and configure (they report a
// missing root class to Envoy), malloc and the ABI marker always stay.
// Over-approximation is safe: any class outside the SDK declaring a method of that name keeps the export.
//
// Stateless streams (opt-in: a root class declares `static readonly statelessStreams: bool = true`): when the
// module's HTTP context classes keep nothing per stream (every field of their own is a readonly reference to a
// root class) and nothing needs a per-stream object (no onDelete/onDone/onLog, no callouts, no TCP contexts), it
// also drops proxy_on_context_create and proxy_on_delete. Envoy then enters the VM only for the stream callbacks
// the module uses (proxy-wasm-cpp-host skips a missing create/delete export and still frees its own context); the
// dispatcher creates the root on proxy_on_vm_start/proxy_on_configure and serves every stream with one HTTP
// context object (sdk/assembly/dispatch/exports.ts). An opt-in the module does not qualify for is reported.
import { Transform } from "assemblyscript/transform";
import { CommonFlags, ElementKind } from "assemblyscript";

/** Optional export → the context method that makes it needed. */
const CALLBACKS = {
  proxy_on_tick: "onTick",
  proxy_on_queue_ready: "onQueueReady",
  proxy_on_foreign_function: "onForeignFunction",
  proxy_on_new_connection: "onNewConnection",
  proxy_on_downstream_data: "onDownstreamData",
  proxy_on_upstream_data: "onUpstreamData",
  proxy_on_downstream_connection_close: "onDownstreamConnectionClose",
  proxy_on_upstream_connection_close: "onUpstreamConnectionClose",
  proxy_on_request_headers: "onRequestHeaders",
  proxy_on_request_body: "onRequestBody",
  proxy_on_request_trailers: "onRequestTrailers",
  proxy_on_response_headers: "onResponseHeaders",
  proxy_on_response_body: "onResponseBody",
  proxy_on_response_trailers: "onResponseTrailers",
  proxy_on_http_call_response: "onHttpCallResponse",
  proxy_on_grpc_receive_initial_metadata: "onGrpcReceiveInitialMetadata",
  proxy_on_grpc_receive: "onGrpcReceive",
  proxy_on_grpc_receive_trailing_metadata: "onGrpcReceiveTrailingMetadata",
  proxy_on_grpc_close: "onGrpcClose",
  proxy_on_log: "onLog",
  // Called for every stream; without the export Envoy takes "done" (true), which is what the default onDone says.
  proxy_on_done: "onDone",
};

const SDK_PREFIX = "~lib/@proxy-wasm-as/sdk/";
const DISPATCHER_PREFIX = `${SDK_PREFIX}assembly/dispatch/`;
const API_PREFIX = `${SDK_PREFIX}assembly/api/context/`;

/** The static member of a root class that asks for stateless streams. */
const OPT_IN = "statelessStreams";
/** Exports that only serve per-stream objects; dropped for stateless streams. */
const STREAM_LIFECYCLE = ["proxy_on_context_create", "proxy_on_delete"];
/** Methods that need a per-stream object (or its end) when any class of the module declares them. */
const NEEDS_STREAM_OBJECTS = [
  "onDelete",
  "onDone",
  "onLog",
  "newTcpContext",
  "onHttpCallResponse",
  "onGrpcReceiveInitialMetadata",
  "onGrpcReceive",
  "onGrpcReceiveTrailingMetadata",
  "onGrpcClose",
];

/** True when `element`'s base classes include the SDK's class `name` (e.g. "HttpContext"). */
function extendsSdkClass(element, name) {
  for (let base = element.basePrototype; base; base = base.basePrototype) {
    if (base.internalName === `${API_PREFIX}${name}`) return true;
  }
  return false;
}

/** The class name a field is declared with (`config: HeadersRoot` → "HeadersRoot"), or undefined. */
function fieldTypeName(field) {
  const type = field.typeNode ?? field.declaration?.type;
  return type?.name?.identifier?.text;
}

/**
 * Why the module's HTTP context classes keep per-stream state, or undefined when they do not: their own fields
 * (if any) must be readonly references to one of the module's root classes, which every stream gets alike.
 */
function perStreamState(userClasses) {
  const rootNames = new Set(userClasses.filter((c) => extendsSdkClass(c, "RootContext")).map((c) => c.name));
  for (const element of userClasses) {
    if (!extendsSdkClass(element, "HttpContext")) continue;
    for (const member of element.instanceMembers?.values() ?? []) {
      // Fields are property prototypes with a field declaration (getters and setters are not state).
      if (member.kind !== ElementKind.PropertyPrototype || !member.isField) continue;
      if (!member.is(CommonFlags.Readonly) || !rootNames.has(fieldTypeName(member))) {
        return `${element.name}.${member.name} is not a readonly reference to a root class`;
      }
    }
  }
  return undefined;
}

export default class PruneCallbacks extends Transform {
  /** Collects the method names declared by classes outside the SDK. */
  afterInitialize(program) {
    const declared = new Set();
    const userClasses = [];
    for (const element of program.elementsByName.values()) {
      if (element.kind !== ElementKind.ClassPrototype || element.internalName.startsWith(SDK_PREFIX)) continue;
      userClasses.push(element);
      for (const name of element.instanceMembers?.keys() ?? []) declared.add(name);
    }
    this.unused = Object.keys(CALLBACKS).filter((exportName) => !declared.has(CALLBACKS[exportName]));
    const optedIn = userClasses.find((c) => extendsSdkClass(c, "RootContext") && c.members?.has(OPT_IN));
    if (!optedIn) return;
    const needs = NEEDS_STREAM_OBJECTS.filter((name) => declared.has(name));
    const why = needs.length ? `the module declares ${needs.join(", ")}` : perStreamState(userClasses);
    if (why) {
      console.warn(`proxy-wasm-as: ${optedIn.name}.${OPT_IN} is ignored (per-stream contexts kept): ${why}`);
      return;
    }
    this.unused.push(...STREAM_LIFECYCLE);
  }

  /**
   * Drops the unused callback exports of the SDK's dispatcher (a module exporting its own proxy_on_* functions
   * keeps them); the optimizer then removes the now unreferenced functions.
   */
  afterCompile(module) {
    for (const exportName of this.unused ?? []) {
      const exported = module.getExport(exportName);
      if (exported && this.binaryen.getExportInfo(exported).value.startsWith(DISPATCHER_PREFIX))
        module.removeExport(exportName);
    }
  }
}
