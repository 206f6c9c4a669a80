// @proxy-wasm-as/harness/gateway: ship a proxy-wasm module to Envoy Gateway. An EnvoyExtensionPolicy generated and
// validated against the real CRD of the pinned Envoy Gateway release (harness/crds/envoy-gateway.json).
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
