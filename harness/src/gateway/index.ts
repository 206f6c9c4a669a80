// @proxy-wasm-as/harness/gateway: ship a proxy-wasm module to Envoy Gateway. What Envoy Gateway renders for a Wasm
// EnvoyExtensionPolicy (the Envoy configuration, checked against its golden files), and that configuration run in
// real Envoy with the modules served over HTTP from a loopback stand-in for its Wasm cache.
import "../node-check.ts";
export {
  DEFAULT_LOCAL_WASM_SERVER,
  type RenderGatewayEnvoyOptions,
  type RenderedGatewayEnvoy,
  renderGatewayEnvoy,
  renderGatewayEnvoyYaml,
} from "./render-envoy.ts";
export { type RenderInput, parseRenderInput } from "./render-parse.ts";
export { type GatewayEnvoy, type StartGatewayEnvoyOptions, startGatewayEnvoy } from "./render-run.ts";
export { type ServedModule, type WasmModuleServer, serveWasmModules } from "./render-serve.ts";
export {
  GatewayRenderError,
  type ModuleSource,
  type RenderGateway,
  type RenderPolicy,
  type RenderRoute,
  type RenderTargetRef,
  type RenderWasmExtension,
  type RenderedWasm,
} from "./render-types.ts";
export type { AttachedRoute, ModuleSourceResolver } from "./render.ts";
export { wasmFilterName } from "./render-xds.ts";
