// `proxy-wasm-as gateway policy`: prints (or writes) an EnvoyExtensionPolicy for a module, validated against the
// pinned Envoy Gateway CRD (harness/src/gateway/policy.ts).
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { gatewayCrdProvenance } from "../gateway/crds.ts";
import { buildExtensionPolicy, type ExtensionPolicyMetadata, extensionPoliciesToYaml } from "../gateway/policy.ts";
import { describeFsError, writeOutput } from "../packaging/fs-errors.ts";
import { MAX_YAML_ALIASES } from "../packaging/yaml-documents.ts";
import { type Command, PROGRAM, parseCommandArgs } from "./command.ts";
import { CliError } from "./errors.ts";
import { readConfigArgument } from "./io.ts";

const help = () => `Usage: ${PROGRAM} gateway policy --name <n> --url <url> --target-ref <Kind/name[:section]> [options]

Print an EnvoyExtensionPolicy (gateway.envoyproxy.io/v1alpha1) that loads a proxy-wasm module, validated against
the EnvoyExtensionPolicy CRD of Envoy Gateway ${gatewayCrdProvenance().version} (schema, unknown fields, CEL rules).

  --name <n>             resource name                        --namespace <ns>  (default "default")
  --url <url>            https://…/filter.wasm (code type HTTP), or an OCI image registry/repo:tag or
                         registry/repo@sha256:<digest>, oci:// optional (code type Image)
  --code-type <HTTP|Image>  override what the url implies
  --wasm <file.wasm>     the module served at an HTTP url: its sha256 is computed and written
  --sha256 <hex>         HTTP: the .wasm file's sha256; Image: the manifest digest \`istio push\` prints
  --target-ref <[group/]Kind/name[:sectionName]>   what to attach to (repeatable): Gateway/eg,
                         Gateway/eg:http (one listener), HTTPRoute/backend, HTTPRoute/backend:rule-1 (one rule)
  --extension-name <n>   the Wasm extension's name (spec.wasm[].name)
  --root-id <id>         Envoy root_id: the root id the module registers
  --config <json|@file>  configuration passed to the module (any JSON value)
  --fail-open            bypass the extension when it fails (default: fail closed, HTTP 5xx)
  --host-key <K>         an Envoy process environment variable passed to the VM (repeatable)
  --pull-policy <IfNotPresent|Always>    --pull-secret <name>  (Image: a kubernetes.io/dockerconfigjson Secret)
  --metadata <file>      JSON/YAML with ExtensionPolicyMetadata fields (flags override it)
  --out <file.yaml>      write the YAML there instead of printing it

Example:
  ${PROGRAM} gateway policy --name headers --url https://wasm.example.com/headers.wasm --wasm build/headers.wasm \\
      --target-ref HTTPRoute/backend --root-id headers --config '{"header":"x-hello"}'`;

const OPTIONS = {
  name: { type: "string" },
  namespace: { type: "string" },
  url: { type: "string" },
  "code-type": { type: "string" },
  wasm: { type: "string" },
  sha256: { type: "string" },
  "target-ref": { type: "string", multiple: true },
  "extension-name": { type: "string" },
  "root-id": { type: "string" },
  config: { type: "string" },
  "fail-open": { type: "boolean" },
  "host-key": { type: "string", multiple: true },
  "pull-policy": { type: "string" },
  "pull-secret": { type: "string" },
  metadata: { type: "string" },
  out: { type: "string" },
} as const;

/** The `gateway policy` command. */
export const gatewayPolicyCommand: Command = {
  get help() {
    return help();
  },
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs("gateway policy", argv, OPTIONS);
    if (values.help) {
      io.print(help());
      return 0;
    }
    if (positionals.length)
      throw new CliError(`unexpected argument "${positionals[0]}"`, {
        hint: `every input is a flag, e.g. --url ${positionals[0]} (see \`${PROGRAM} gateway policy --help\`)`,
        exitCode: 2,
      });
    const m: Record<string, unknown> = values.metadata ? await metadataFile(values.metadata) : {};
    const set = (key: keyof ExtensionPolicyMetadata, value: unknown) => {
      if (value !== undefined) m[key] = value;
    };
    set("name", values.name);
    set("namespace", values.namespace);
    set("url", values.url);
    set("sha256", values.sha256);
    set("extensionName", values["extension-name"]);
    set("rootID", values["root-id"]);
    set("pullPolicy", values["pull-policy"]);
    set("pullSecret", values["pull-secret"]);
    set("hostKeys", values["host-key"]);
    if (values["fail-open"]) m.failOpen = true;
    if (values["code-type"] !== undefined) {
      if (values["code-type"] !== "HTTP" && values["code-type"] !== "Image")
        throw new CliError(`--code-type must be HTTP or Image (got "${values["code-type"]}")`, {
          hint: "leave it out: an http(s):// url means HTTP, anything else an OCI image",
          exitCode: 2,
        });
      m.codeType = values["code-type"];
    }
    if (values["target-ref"]) m.targetRefs = values["target-ref"].map(targetRef);
    const config = await readConfigArgument(values.config);
    if (config !== undefined) m.config = JSON.parse(config);
    if (values.wasm) m.wasm = await readWasm(values.wasm);
    const policy = buildExtensionPolicy(m as unknown as ExtensionPolicyMetadata);
    const yaml = extensionPoliciesToYaml([policy]);
    if (values.out) {
      await writeOutput(values.out, yaml);
      io.print(`wrote EnvoyExtensionPolicy ${policy.metadata.namespace}/${policy.metadata.name} to ${values.out}`);
    } else io.print(yaml.trimEnd());
    return 0;
  },
};

/** `[group/]Kind/name[:sectionName]` → a target. */
function targetRef(text: string) {
  const m = /^(?:([^/:]+)\/)?([^/:]+)\/([^/:]+)(?::([^/:]+))?$/.exec(text);
  if (!m)
    throw new CliError(`--target-ref "${text}" is not [group/]Kind/name[:sectionName]`, {
      hint: "e.g. --target-ref Gateway/eg, --target-ref Gateway/eg:http (a listener) or --target-ref HTTPRoute/backend",
      exitCode: 2,
    });
  const [, group, kind, name, sectionName] = m;
  return { ...(group ? { group } : {}), kind: kind!, name: name!, ...(sectionName ? { sectionName } : {}) };
}

async function readWasm(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new CliError(`cannot read --wasm ${path}: ${describeFsError(cause)}`, {
      hint: "build the filter first (`npx proxy-wasm-as build`) and pass its .wasm path",
      cause,
    });
  }
}

async function metadataFile(path: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = parseYaml(await readFile(path, "utf8"), { maxAliasCount: MAX_YAML_ALIASES });
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ? describeFsError(cause) : (cause as Error).message;
    throw new CliError(`cannot read --metadata ${path}: ${reason.split("\n")[0]}`, {
      hint: "pass a JSON or YAML file with ExtensionPolicyMetadata fields (name, url, targetRefs, rootID, config, …)",
      cause,
    });
  }
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new CliError(`--metadata ${path} is not a JSON/YAML object`, {
      hint: "write the fields as a mapping, e.g. `name: headers` and `url: https://…/headers.wasm` on their own lines",
    });
  return value as Record<string, unknown>;
}
