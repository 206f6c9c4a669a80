// Build-time transform (asc --transform, wired in by sdk/asconfig.json): removes the proxy_on_* exports whose
// callback no class of the module overrides, so their dispatch code is never compiled into the module.
// Envoy checks every optional callback export before calling it and treats a missing one as "nothing to do"
// (continue the stream / ignore the event / done), which is exactly what the SDK's default methods do; a module
// that adds one response header therefore exports only what it uses, and Envoy makes fewer calls into the VM per
// request. Context create and delete (the dispatcher's bookkeeping), vm start and configure (they report a
// missing root class to Envoy), malloc and the ABI marker always stay.
// Over-approximation is safe: any class outside the SDK declaring a method of that name keeps the export.
import { Transform } from "assemblyscript/transform";
import { ElementKind } from "assemblyscript";

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

export default class PruneCallbacks extends Transform {
  /** Collects the method names declared by classes outside the SDK. */
  afterInitialize(program) {
    const declared = new Set();
    for (const element of program.elementsByName.values()) {
      if (element.kind !== ElementKind.ClassPrototype || element.internalName.startsWith(SDK_PREFIX)) continue;
      for (const name of element.instanceMembers?.keys() ?? []) declared.add(name);
    }
    this.unused = Object.keys(CALLBACKS).filter((exportName) => !declared.has(CALLBACKS[exportName]));
  }

  /**
   * Drops the unused callback exports of the SDK's dispatcher (a module exporting its own proxy_on_* functions
   * keeps them); the optimizer then removes the now unreferenced functions.
   */
  afterCompile(module) {
    for (const exportName of this.unused ?? []) {
      const exported = module.getExport(exportName);
      if (exported && this.binaryen.getExportInfo(exported).value.startsWith(DISPATCHER_PREFIX)) module.removeExport(exportName);
    }
  }
}
