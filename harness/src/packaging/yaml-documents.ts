// Reading a multi-document YAML manifest with bounded alias expansion: what Istio's resources (wasmplugin.ts) and
// Envoy Gateway's policies (gateway/policy.ts) are read with, each layer turning a problem into its own error.
import { parseAllDocuments } from "yaml";

/**
 * Most alias expansions one YAML document may make (the `yaml` library's own default, stated here so it does not
 * depend on the library's): a "billion laughs" document of nested aliases is refused instead of expanded.
 */
export const MAX_YAML_ALIASES = 100;

/** Why a text could not be read: `syntax` (with the line and column) or `aliases` (too many expansions). */
export interface YamlProblem {
  kind: "syntax" | "aliases";
  /** One line starting with the source's name. */
  message: string;
  cause?: unknown;
}

/**
 * The documents of `text` as plain values (null for an empty one), or throws what `fail` makes of the first
 * problem: a syntax error, or an alias expansion past {@link MAX_YAML_ALIASES}. `source` names the text.
 */
export function yamlDocuments(text: string, source: string, fail: (problem: YamlProblem) => Error): unknown[] {
  const values: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    if ("errors" in doc && doc.errors.length > 0)
      throw fail({ kind: "syntax", message: `${source} is not valid YAML: ${doc.errors[0]!.message.split("\n")[0]}` });
    try {
      values.push(doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }));
    } catch (cause) {
      const message = (cause as Error).message.split("\n")[0] ?? "";
      throw fail({
        kind: /alias/i.test(message) ? "aliases" : "syntax",
        message: /alias/i.test(message)
          ? `${source} cannot be read: ${message} (it expands more than ${MAX_YAML_ALIASES} YAML aliases)`
          : `${source} cannot be read: ${message}`,
        cause,
      });
    }
  }
  return values;
}
