// Public API of harness/src/packaging (`@proxy-wasm-as/harness/packaging`; the root entry re-exports its everyday names): ship filters to Istio.
//   packageWasm / writeOciLayout     reproducible images Istio accepts (compat OCI/Docker, 2-layer artifact)
//   pushImage / fetchManifest / ...  distribution-API client (basic and bearer-token auth)
//   pullWasmLikeIstio / extract...   istio-agent's layout rules: what Istio would load, or why it refuses
//   buildWasmPlugin / ...            WasmPlugin and TrafficExtension YAML, validated against the real CRDs of a pinned
//                                    istio.io/api version (harness/crds/; ajv + @bufbuild/cel)
//   renderIstioFilter / toHarness... the Envoy filter Istio renders, runnable with startEnvoy
//   startLocalRegistry               a real registry (docker-registry) on loopback, optional basic/token auth
//   inspectImage / listModules       what a registry holds: OCI annotations and module facts (WebAssembly Hub style)
// Layers (imports go one way): tar → metadata → image → registry → catalog, istio-fetch (+ realm, istio-versions)
// → inspect; project-metadata (package.json) beside them;
// istio-versions → crds → cel-kubernetes → crd-validate → wasmplugin → envoy-render; cli on top.
import "../node-check.ts";
export { PackagingError } from "./errors.ts";
import * as mediaTypes from "./media-types.ts";
/** The OCI/Docker media types and file names of the wasm image formats Istio accepts. */
export { mediaTypes };
export { packageWasm, writeOciLayout, sha256Digest, assertWasmBinary, imageFromParts, IMAGE_FORMATS } from "./image.ts";
export type { Descriptor, ImageFormat, ImageManifest, PackageOptions, WasmImage } from "./image.ts";
export {
  moduleFacts,
  imageAnnotations,
  parseImageMetadata,
  createdFromEpoch,
  MAX_ANNOTATION_VALUE_BYTES,
} from "./metadata.ts";
export type { ImageDescription, ImageMetadata, ModuleFacts } from "./metadata.ts";
export { describeImage, repositoryUrl, MAX_PACKAGE_JSON_BYTES } from "./project-metadata.ts";
export type { DescribeImageOptions } from "./project-metadata.ts";
export {
  pushImage,
  fetchManifest,
  fetchBlob,
  parseReference,
  formatReference,
  DEFAULT_REGISTRY_TIMEOUT_MS,
  DEFAULT_MAX_BLOB_BYTES,
  MAX_MANIFEST_BYTES,
} from "./registry.ts";
export type { FetchedManifest, ImageReference, PushResult, RegistryOptions } from "./registry.ts";
export {
  pullWasmLikeIstio,
  extractWasmLikeIstio,
  extractFromImageLikeIstio,
  ISTIO_MAX_WASM_BYTES,
} from "./istio-fetch.ts";
export type { IstioExtractOptions, IstioExtraction, IstioImageVariant, IstioPullOptions } from "./istio-fetch.ts";
export { unsafeRealmReason } from "./realm.ts";
export {
  DEFAULT_ISTIO_VERSION,
  parseIstioVersion,
  checksChallengeRealms,
  translatesWasmPlugins,
  REALM_CHECK_VERSIONS,
} from "./istio-versions.ts";
export type { IstioVersion } from "./istio-versions.ts";
export {
  crdSchema,
  crdProvenance,
  kindsServedBy,
  pinnedIstioMinors,
  pinnedIstioVersion,
  CRD_DATA_URL,
} from "./crds.ts";
export type { CrdProvenance, CrdSchema, ExtensionKind } from "./crds.ts";
export { validateAgainstCrd } from "./crd-validate.ts";
export type { CrdViolation } from "./crd-validate.ts";
export {
  buildWasmPlugin,
  buildTrafficExtension,
  validateResource,
  assertValidResource,
  resourcesToYaml,
  parseResourcesYaml,
  ISTIO_EXTENSIONS_API,
} from "./wasmplugin.ts";
export type {
  FailStrategy,
  IstioResource,
  IstioTargetOptions,
  PluginMetadata,
  PluginPhase,
  PluginType,
  PullPolicy,
  TargetRef,
  TrafficMatch,
} from "./wasmplugin.ts";
export {
  renderIstioFilter,
  toHarnessFilter,
  orderLikeIstio,
  agentCachePath,
  istioNames,
  ISTIO_DATA_DIR,
  ISTIO_META_PREFIX,
  WASMPLUGIN_RESOURCE_PREFIX,
  TRAFFIC_EXTENSION_RESOURCE_PREFIX,
  TRANSLATED_WASMPLUGIN_SUFFIX,
  WASM_RESOURCE_VERSION_ENV,
  WASM_PULL_POLICY_ENV,
  WASM_PULL_SECRET_ENV,
} from "./envoy-render.ts";
export type { IstioEnvoyFilter, RenderIstioOptions } from "./envoy-render.ts";
export { startLocalRegistry, registryBinary, loopbackHostName } from "./local-registry.ts";
export type { LocalRegistry, LocalRegistryOptions } from "./local-registry.ts";
export {
  listRepositories,
  listTags,
  CatalogUnsupportedError,
  DEFAULT_LIST_LIMIT,
  LIST_PAGE_SIZE,
  MAX_LIST_PAGE_BYTES,
} from "./catalog.ts";
export type { Listing, ListingOptions } from "./catalog.ts";
export {
  inspectImage,
  listModules,
  parseLocation,
  DEFAULT_TAGS_PER_REPOSITORY,
  MAX_CONFIG_BYTES,
} from "./inspect.ts";
export type {
  ImageInspection,
  ImageLayout,
  InspectOptions,
  ListedTag,
  ListModulesOptions,
  RegistryModules,
} from "./inspect.ts";
