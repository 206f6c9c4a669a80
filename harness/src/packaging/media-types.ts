// Media types and file names of the two wasm image formats Istio accepts (istio/istio pkg/wasm/imagefetcher.go,
// solo-io/wasm spec/spec.md and spec/spec-compat.md). Constants only.

/** OCI image manifest. */
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
/** OCI image index (multi-platform); Istio resolves it to the linux/amd64 child. */
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
/** OCI image config. */
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
/** OCI gzip-compressed tar layer: the last layer of an OCI "compat" wasm image. */
export const OCI_LAYER_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
/** Docker v2 schema 2 manifest. */
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
/** Docker manifest list (multi-platform). */
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
/** Docker image config. */
export const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
/** Docker gzip-compressed tar layer: the last layer of a Docker "compat" wasm image. */
export const DOCKER_LAYER_TAR_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/** Raw wasm module layer of the two-layer "oci" wasm artifact. */
export const WASM_CONTENT_LAYER = "application/vnd.module.wasm.content.layer.v1+wasm";
/** Runtime-config layer (JSON) of the two-layer "oci" wasm artifact. */
export const WASM_CONFIG_LAYER = "application/vnd.module.wasm.config.v1+json";
/** Layer type of the single-layer wasm-to-oci / CNCF wasm artifact, which Istio does NOT accept. */
export const CNCF_WASM_LAYER = "application/vnd.wasm.content.layer.v1+wasm";

/** File name Istio looks for (by basename) in the last layer of a compat image. */
export const COMPAT_WASM_FILE = "plugin.wasm";
/** Title annotation of the wasm layer of the "oci" artifact. */
export const ARTIFACT_WASM_TITLE = "filter.wasm";
/** Title annotation of the runtime-config layer of the "oci" artifact. */
export const ARTIFACT_CONFIG_TITLE = "runtime-config.json";
/** OCI annotation holding a layer's file name. */
export const TITLE_ANNOTATION = "org.opencontainers.image.title";
/** Manifest annotation the compat spec asks for (Istio does not check it). */
export const VARIANT_ANNOTATION = "module.wasm.image/variant";

/** Standard OCI annotations (image-spec annotations.md) that `push` and `package` write on the manifest. */
export const OCI_TITLE = "org.opencontainers.image.title";
/** The image's version (e.g. the package.json version). */
export const OCI_VERSION = "org.opencontainers.image.version";
/** URL of the image's source code (e.g. the package.json repository, as a browsable https URL). */
export const OCI_SOURCE = "org.opencontainers.image.source";
/** Human-readable description. */
export const OCI_DESCRIPTION = "org.opencontainers.image.description";
/** Creation time, RFC 3339 (`2026-12-07T23:00:00Z`). */
export const OCI_CREATED = "org.opencontainers.image.created";

/** Namespace of this project's annotations on a wasm image: facts about the module it carries. */
export const MODULE_ANNOTATION_PREFIX = "dev.proxy-wasm-as.";
/** sha256 of the module itself, 64 hex (what an HTTP code source's `sha256` is; NOT the manifest digest). */
export const MODULE_SHA256 = "dev.proxy-wasm-as.module.sha256";
/** Size of the module in bytes, decimal. */
export const MODULE_SIZE = "dev.proxy-wasm-as.module.size";
/** JSON array of the proxy-wasm ABI versions the module's marker exports declare, in export order (`["0.2.1"]`). */
export const MODULE_ABI_VERSIONS = "dev.proxy-wasm-as.module.abi-versions";
/** JSON array of the module's `proxy_on_*` exports, sorted. */
export const MODULE_EXPORTS = "dev.proxy-wasm-as.module.exports";
/** JSON array of the root ids the publisher declared (`--root-id`); absent when none were declared. */
export const MODULE_ROOT_IDS = "dev.proxy-wasm-as.module.root-ids";
