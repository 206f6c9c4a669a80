// @proxy-wasm-as/harness/gateway: ship a proxy-wasm module to Envoy Gateway. An EnvoyExtensionPolicy generated and
// validated against the real CRD of the pinned Envoy Gateway release (harness/crds/envoy-gateway.json); what Envoy
// Gateway renders for it (the Envoy configuration, checked against its golden files); and that configuration run in
// real Envoy with the modules served over HTTP from a loopback stand-in for its Wasm cache.
import "../node-check.ts";
export { type GatewayCrdProvenance, gatewayCrdProvenance } from "./crds.ts";
export { GatewayError } from "./errors.ts";
export {
  assertValidExtensionPolicy,
  buildExtensionPolicy,
  type ExtensionPolicyMetadata,
  extensionPoliciesToYaml,
  parseExtensionPoliciesYaml,
  type PolicyTarget,
  validateExtensionPolicy,
} from "./policy.ts";
export {
  ENVOY_EXTENSION_POLICY_KIND,
  ENVOY_GATEWAY_API,
  type EnvoyExtensionPolicy,
  type EnvoyExtensionPolicySpec,
  type HTTPWasmCodeSource,
  type ImageWasmCodeSource,
  type LabelSelector,
  type LabelSelectorRequirement,
  type PolicyTargetReference,
  type SecretObjectReference,
  type TargetSelector,
  type WasmCodeSource,
  type WasmCodeSourceTLSConfig,
  type WasmCodeSourceType,
  type WasmEnv,
  type WasmExtension,
  type WasmPullPolicy,
} from "./policy-types.ts";
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
export type {
  ModuleSource,
  RenderGateway,
  RenderPolicy,
  RenderRoute,
  RenderTargetRef,
  RenderWasmExtension,
  RenderedWasm,
} from "./render-types.ts";
export type { AttachedRoute, ModuleSourceResolver } from "./render.ts";
export { wasmFilterName } from "./render-xds.ts";
