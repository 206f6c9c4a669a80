// Kubernetes' label syntax (apimachinery pkg/util/validation: IsQualifiedName for keys, IsValidLabelValue for
// values), with its own messages. A WasmPlugin's or TrafficExtension's CRD only refuses empty keys, wildcards and
// values over 63 characters, but a selector label that breaks these rules can never be on a pod (the API server
// refuses it there), so the selector would select nothing. Hand-written: three regular expressions and their
// documented messages; no maintained npm library carries apimachinery's rules.

const QUALIFIED_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_VALUE = `(${QUALIFIED_NAME})?`;
const DNS1123_SUBDOMAIN = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
/** Longest name part of a label key, and longest label value. */
export const MAX_LABEL_NAME_LENGTH = 63;
/** Longest prefix (a DNS-1123 subdomain) of a label key. */
export const MAX_LABEL_PREFIX_LENGTH = 253;

const QUALIFIED_NAME_MESSAGE = `must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${QUALIFIED_NAME}')`;

/** Why `key` is not a Kubernetes label key (`[prefix/]name`), in apimachinery's words; empty when it is one. */
export function labelKeyProblems(key: string): string[] {
  const parts = key.split("/");
  if (parts.length > 2) {
    return [
      `a qualified name ${QUALIFIED_NAME_MESSAGE} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  const name = parts.at(-1)!;
  const problems: string[] = [];
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length === 0) problems.push("prefix part must be non-empty");
    else if (prefix.length > MAX_LABEL_PREFIX_LENGTH)
      problems.push(`prefix part must be no more than ${MAX_LABEL_PREFIX_LENGTH} characters`);
    else if (!new RegExp(`^${DNS1123_SUBDOMAIN}$`).test(prefix)) {
      problems.push(
        `prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${DNS1123_SUBDOMAIN}')`,
      );
    }
  }
  if (name.length === 0) problems.push("name part must be non-empty");
  else if (name.length > MAX_LABEL_NAME_LENGTH)
    problems.push(`name part must be no more than ${MAX_LABEL_NAME_LENGTH} characters`);
  if (name.length > 0 && !new RegExp(`^${QUALIFIED_NAME}$`).test(name))
    problems.push(`name part ${QUALIFIED_NAME_MESSAGE}`);
  return problems;
}

/** Why `value` is not a Kubernetes label value (empty, or ≤ 63 characters of the name charset); empty when it is one. */
export function labelValueProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > MAX_LABEL_NAME_LENGTH) problems.push(`must be no more than ${MAX_LABEL_NAME_LENGTH} characters`);
  if (!new RegExp(`^${LABEL_VALUE}$`).test(value)) {
    problems.push(
      `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '${LABEL_VALUE}')`,
    );
  }
  return problems;
}

/**
 * Problems of a selector's `matchLabels` at field path `path`, as "<path>: Invalid value: <json>: <message> (…)".
 * Keys and values that are not strings are left to the CRD schema.
 */
export function matchLabelsProblems(path: string, matchLabels: unknown): string[] {
  if (typeof matchLabels !== "object" || matchLabels === null || Array.isArray(matchLabels)) return [];
  const note = "(no pod can carry this label, so the selector would select nothing)";
  return Object.entries(matchLabels).flatMap(([key, value]) => [
    ...labelKeyProblems(key).map((m) => `${path}: Invalid value: ${JSON.stringify(key)}: ${m} ${note}`),
    ...(typeof value === "string" ? labelValueProblems(value) : []).map(
      (m) => `${path}: Invalid value: ${JSON.stringify(value)}: ${m} ${note}`,
    ),
  ]);
}
