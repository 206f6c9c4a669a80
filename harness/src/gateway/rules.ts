// What Envoy Gateway's translator refuses in an EnvoyExtensionPolicy that its CRD lets through (facts from
// github.com/envoyproxy/gateway internal/gatewayapi/envoyextensionpolicy.go and internal/wasm/cache.go of the
// pinned release). The CRD only carries `sha256`'s pattern in a comment (no kubebuilder marker), so the API server
// takes any string; the translator then compares it with a lowercase hex digest and the policy fails in the
// cluster. These checks say so before `kubectl apply`. Hand-written: a few string tests, no library has them.
import type { EnvoyExtensionPolicySpec } from "./policy-types.ts";

/** The only group a policy target may have. */
export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

/** How Envoy Gateway writes a sha256 it compares: 64 lowercase hex digits. */
const SHA256_HEX = /^[a-f0-9]{64}$/;

/** Problems Envoy Gateway's translator would report for `spec` (the CRD having accepted it), as "<path>: <message>". */
export function translatorProblems(spec: EnvoyExtensionPolicySpec | undefined): string[] {
  if (!spec || typeof spec !== "object") return [];
  const problems: string[] = [];
  if (
    Array.isArray(spec.targetRefs) &&
    spec.targetRefs.length === 0 &&
    !spec.targetRef &&
    !spec.targetSelectors?.length
  )
    problems.push("spec.targetRefs: Required value: the list is empty, so the policy attaches to nothing");
  for (const [i, wasm] of (Array.isArray(spec.wasm) ? spec.wasm : []).entries()) {
    const code = wasm?.code;
    if (!code || typeof code !== "object") continue;
    const at = `spec.wasm[${i}].code`;
    const http = code.type === "HTTP" ? code.http : undefined;
    const image = code.type === "Image" ? code.image : undefined;
    const source = http ?? image;
    if (!source || typeof source.url !== "string") continue;
    const where = `${at}.${http ? "http" : "image"}`;
    if (typeof source.sha256 === "string" && !SHA256_HEX.test(source.sha256))
      problems.push(
        `${where}.sha256: Invalid value: ${JSON.stringify(source.sha256)}: must be 64 lowercase hex digits (Envoy Gateway compares it with the hex sha256 of the ${http ? "download" : "image manifest"}; the CRD does not check it)`,
      );
    if (http) {
      const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(http.url)?.[1]?.toLowerCase() ?? "";
      if (scheme !== "http" && scheme !== "https")
        problems.push(
          `${where}.url: Invalid value: ${JSON.stringify(http.url)}: unsupported Wasm module downloading URL scheme: ${scheme || "(none)"} (Envoy Gateway fetches HTTP code from http:// or https:// only)`,
        );
    }
    if (image) {
      const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(image.url)?.[1];
      if (scheme !== undefined && scheme !== "oci")
        problems.push(
          `${where}.url: Invalid value: ${JSON.stringify(image.url)}: an image reference is registry/repository:tag or @sha256:<digest>, with oci:// or no scheme (Envoy Gateway prefixes oci:// itself)`,
        );
      const pinned = /@sha256:([a-f0-9]{64})$/.exec(image.url)?.[1];
      if (pinned && typeof image.sha256 === "string" && image.sha256 !== pinned)
        problems.push(
          `${where}.sha256: does not match the @sha256 digest in the url (${pinned}): Envoy Gateway pulls that manifest and compares its digest with sha256`,
        );
    }
  }
  return problems;
}
