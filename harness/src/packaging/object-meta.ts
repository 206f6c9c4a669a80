// Kubernetes' checks on an object's metadata that no CRD carries (shared by Istio's resources and Envoy Gateway's).

/**
 * Kubernetes' own checks on metadata (apimachinery ValidateObjectMeta: name a DNS-1123 subdomain, namespace a
 * DNS-1123 label), which no CRD carries. Hand-written: two regular expressions and their documented messages.
 */
export function objectMetaProblems(metadata: unknown): string[] {
  const meta = (metadata ?? {}) as { name?: unknown; namespace?: unknown };
  const problems: string[] = [];
  const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
  const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  if (typeof meta.name !== "string" || meta.name === "")
    problems.push("metadata.name: Required value: name or generateName is required");
  else if (meta.name.length > 253 || !subdomain.test(meta.name)) {
    problems.push(
      `metadata.name: Invalid value: ${JSON.stringify(meta.name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${subdomain.source.slice(1, -1)}')`,
    );
  }
  if (
    meta.namespace !== undefined &&
    (typeof meta.namespace !== "string" || meta.namespace.length > 63 || !label.test(meta.namespace))
  ) {
    problems.push(
      `metadata.namespace: Invalid value: ${JSON.stringify(meta.namespace)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', regex used for validation is '${label.source.slice(1, -1)}')`,
    );
  }
  return problems;
}
