// `proxy-wasm-as istio <command>`: package, push, check and deploy proxy-wasm filters to Istio.
// Thin layer over the packaging API: parses arguments, calls it, prints results; every error is a
// PackagingError message with a fix, printed without a stack trace.
import { readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml, stringify } from "yaml";
import { pinnedIstioMinors, pinnedIstioVersion } from "./crds.ts";
import { orderLikeIstio, renderIstioFilter, type RenderIstioOptions } from "./envoy-render.ts";
import { PackagingError } from "./errors.ts";
import { IMAGE_FORMATS, packageWasm, writeOciLayout, type ImageFormat, type PackageOptions } from "./image.ts";
import { ISTIO_MAX_WASM_BYTES, pullWasmLikeIstio } from "./istio-fetch.ts";
import { DEFAULT_ISTIO_VERSION, describeVersion, REALM_CHECK_VERSIONS } from "./istio-versions.ts";
import { describeImage } from "./project-metadata.ts";
import { DEFAULT_REGISTRY_TIMEOUT_MS, pushImage, type RegistryOptions } from "./registry.ts";
import {
  buildTrafficExtension,
  buildWasmPlugin,
  MAX_YAML_ALIASES,
  parseResourcesYaml,
  resourcesToYaml,
  type PluginMetadata,
} from "./wasmplugin.ts";
import { setting } from "../settings.ts";

const help = () => `Usage: proxy-wasm-as istio <command> [options]

Commands:
  package <file.wasm> --out <dir>        Write the module as an OCI image layout (skopeo/umoci: oci:<dir>:<tag>)
      --format <f>       compat (default; OCI, last layer tar+gzip with plugin.wasm) | compat-docker | artifact (2-layer)
      --tag <t>          tag in the layout (default latest)
      --root-id <id>     root id(s) the module serves (artifact runtime config; recorded for every format; repeatable)
      --title <t> --version <v> --source <url> --description <text>   OCI annotations (default: the nearest
                         package.json's name, version, repository, description; title else the file name)
      --created <RFC 3339>  creation time (default $SOURCE_DATE_EPOCH, else now: set it for reproducible digests)
      --annotation k=v   any other annotation (repeatable). Module facts (sha256, size, ABI, exports) are always written
  push <file.wasm> <host[:port]/repo:tag>  Build the image and push it over the registry API; prints the digest
      --format, --root-id, --title, --version, --source, --description, --created, --annotation as above
      --username <u>     registry user (basic auth or token service); password from --password or $REGISTRY_PASSWORD
      --plain-http       talk HTTP (default only for loopback registries)
      --timeout <s>      seconds each registry request may take, connect to last byte (default ${DEFAULT_REGISTRY_TIMEOUT_MS / 1000},
                         istio-agent's pull deadline)
  check <host[:port]/repo:tag>            Pull like istio-agent does and say whether Istio accepts it, and why not
      --sha256 <hex>     the WasmPlugin sha256: compared with the manifest digest, as the agent does
      --out <file.wasm>  save the module Istio would load
      --istio-version <v>  whose agent rules apply, e.g. 1.29.1 (default ${DEFAULT_ISTIO_VERSION}); auth realms are
                         checked from ${REALM_CHECK_VERSIONS}
      --max-layer-bytes <n>  most bytes of a layer, downloaded and uncompressed (default 268435456 = 256 MiB,
                         istio-agent's ISTIO_WASM_MAX_BINARY_SIZE_BYTES); past it the image is refused
      --username/--password/--plain-http/--timeout as for push
  wasmplugin --name <n> --url <url>       Print a validated WasmPlugin (and/or TrafficExtension) YAML
      --metadata <file>  JSON/YAML with PluginMetadata fields (flags override it)
      --namespace <ns>   --sha256 <hex>   --plugin-name <root id>
      --phase <UNSPECIFIED|AUTHN|AUTHZ|STATS>   --priority <int> (negative allowed: --priority -5)
      --fail-strategy <FAIL_CLOSE|FAIL_OPEN|FAIL_RELOAD>   --type <HTTP|NETWORK>
      --config <json|@file>   plugin configuration (a JSON object)
      --selector k=v     workload label (repeatable)      --target-ref [group/]Kind/name (repeatable)
      --env K=V          VM env (repeatable)              --host-env K   proxy env exposed to the VM (repeatable)
      --match-mode <CLIENT|SERVER|CLIENT_AND_SERVER> --port <n> (repeatable)
      --pull-policy <IfNotPresent|Always>   --pull-secret <name>
      --kind <WasmPlugin|TrafficExtension|both>   (default WasmPlugin)   --out <file.yaml>
      --istio-version <v>   validate against that Istio's CRDs (${pinnedIstioMinors().join(", ")}; default ${DEFAULT_ISTIO_VERSION})
  envoy <wasmplugin.yaml>                 Print the Envoy filter(s) Istio renders from the resource(s)
      --stage <agent|istiod>  after istio-agent's rewrite to a local file (default) or as istiod sends it
      --wasm-path <path>      local module path for the agent stage (default: the agent's cache path)
      --resource-version <v>
      --istio-version <v>     names and env as that Istio renders them (default ${DEFAULT_ISTIO_VERSION})

Examples:
  proxy-wasm-as istio push build/my-filter.wasm 127.0.0.1:5000/my-filter:v1
  proxy-wasm-as istio wasmplugin --name my-filter --url oci://127.0.0.1:5000/my-filter:v1 --sha256 <digest> \\
      --plugin-name my-filter --config '{"header":"x-hello"}' --selector app=web`;

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  out: { type: "string" },
  format: { type: "string" },
  tag: { type: "string" },
  "root-id": { type: "string", multiple: true },
  title: { type: "string" },
  version: { type: "string" },
  source: { type: "string" },
  description: { type: "string" },
  created: { type: "string" },
  annotation: { type: "string", multiple: true },
  username: { type: "string" },
  password: { type: "string" },
  "plain-http": { type: "boolean" },
  timeout: { type: "string" },
  "max-layer-bytes": { type: "string" },
  sha256: { type: "string" },
  metadata: { type: "string" },
  name: { type: "string" },
  namespace: { type: "string" },
  url: { type: "string" },
  "plugin-name": { type: "string" },
  phase: { type: "string" },
  priority: { type: "string" },
  "fail-strategy": { type: "string" },
  type: { type: "string" },
  config: { type: "string" },
  selector: { type: "string", multiple: true },
  "target-ref": { type: "string", multiple: true },
  env: { type: "string", multiple: true },
  "host-env": { type: "string", multiple: true },
  "match-mode": { type: "string" },
  port: { type: "string", multiple: true },
  "pull-policy": { type: "string" },
  "pull-secret": { type: "string" },
  kind: { type: "string" },
  stage: { type: "string" },
  "wasm-path": { type: "string" },
  "resource-version": { type: "string" },
  "istio-version": { type: "string" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

/** Runs the CLI with `argv` (without node and script); returns the exit code. Output goes to `print`. */
export async function runCli(
  argv: string[],
  print: (text: string) => void = (t) => process.stdout.write(`${t}\n`),
): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    print(`error: ${(err as Error).message}\nRun with --help for usage.`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help || !command) {
    print(help());
    return command || values.help ? 0 : 2;
  }
  try {
    switch (command) {
      case "package":
        return await packageCommand(need(args, 1, "package <file.wasm> --out <dir>"), values, print);
      case "push":
        return await pushCommand(need(args, 2, "push <file.wasm> <host[:port]/repo:tag>"), values, print);
      case "check":
        return await checkCommand(need(args, 1, "check <host[:port]/repo:tag>"), values, print);
      case "wasmplugin":
        return await wasmPluginCommand(values, print);
      case "envoy":
        return await envoyCommand(need(args, 1, "envoy <wasmplugin.yaml>"), values, print);
      default:
        throw new PackagingError(`unknown command "${command}"`, {
          hint: "use package, push, check, wasmplugin or envoy (see --help)",
        });
    }
  } catch (err) {
    if (err instanceof PackagingError) {
      print(`error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

/**
 * `--priority -5` → `--priority=-5`: node's parseArgs reads "-5" as an option, so a value-taking option followed
 * by a negative number is joined with "=" first.
 */
function joinNegativeNumbers(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const option = argv[i]!.startsWith("--")
      ? (OPTIONS as Record<string, { type: string }>)[argv[i]!.slice(2)]
      : undefined;
    if (option?.type === "string" && /^-\d+(\.\d+)?$/.test(argv[i + 1] ?? "")) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]!);
  }
  return out;
}

function need(args: string[], count: number, usage: string): string[] {
  if (args.length !== count)
    throw new PackagingError(`expected: ${usage} (got ${args.length} argument(s))`, { hint: "see --help" });
  return args;
}

async function readWasm(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new PackagingError(`cannot read ${path}: ${(cause as Error).message}`, {
      hint: "build the filter first (`npx proxy-wasm-as build`) and pass its .wasm path",
      cause,
    });
  }
}

async function imageOptions(values: Values, wasmPath: string): Promise<PackageOptions> {
  const format = (values.format ?? "compat") as ImageFormat;
  if (!IMAGE_FORMATS.includes(format))
    throw new PackagingError(`--format must be one of ${IMAGE_FORMATS.join(", ")} (got "${format}")`);
  const description = await describeImage({
    given: {
      title: values.title,
      version: values.version,
      source: values.source,
      description: values.description,
      created: values.created,
    },
    wasmPath,
    sourceDateEpoch: setting("SOURCE_DATE_EPOCH") || undefined,
  });
  const annotations = values.annotation ? pairs(values.annotation, "--annotation") : undefined;
  return { format, rootIds: values["root-id"], description, annotations };
}

function registryOptions(values: Values): RegistryOptions {
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
    throw new PackagingError(`--timeout must be a positive number of seconds (got "${values.timeout}")`, {
      hint: `e.g. --timeout 60 for a slow registry (default ${DEFAULT_REGISTRY_TIMEOUT_MS / 1000})`,
    });
  }
  return {
    username: values.username,
    password: values.password ?? (setting("REGISTRY_PASSWORD") || undefined),
    scheme: values["plain-http"] ? "http" : undefined,
    ...(timeout !== undefined ? { timeoutMs: Math.round(timeout * 1000) } : {}),
  };
}

function maxLayerBytes(values: Values): number | undefined {
  const text = values["max-layer-bytes"];
  if (text === undefined) return undefined;
  const bytes = Number(text);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new PackagingError(`--max-layer-bytes must be a positive whole number of bytes (got "${text}")`, {
      hint: `e.g. --max-layer-bytes ${512 * 1024 * 1024} for 512 MiB (default ${ISTIO_MAX_WASM_BYTES}, Istio's)`,
    });
  }
  return bytes;
}

/** Writes a file the user named with --out; a missing folder or a folder in the way is a one-line error. */
async function writeOutput(path: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (cause) {
    throw new PackagingError(`cannot write --out ${path}: ${describeFsError(cause)}`, {
      hint:
        (cause as NodeJS.ErrnoException).code === "EISDIR"
          ? "--out names the file to write, not a folder: add a file name (e.g. --out <folder>/plugin.yaml)"
          : (cause as NodeJS.ErrnoException).code === "ENOENT"
            ? `create the folder first (mkdir -p ${dirname(path)}) or pass a path in an existing folder`
            : "pass a path you can write to",
      cause,
    });
  }
}

/** "no such file or directory" rather than Node's "ENOENT: no such file or directory, open '…'". */
function describeFsError(cause: unknown): string {
  const error = cause as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOENT: "no such file or folder",
    EISDIR: "it is a folder",
    ENOTDIR: "a part of the path is a file, not a folder",
    EEXIST: "a file is in the way",
    EACCES: "permission denied",
  };
  return (error.code && reasons[error.code]) ?? error.message;
}

async function packageCommand([wasmPath]: string[], values: Values, print: (t: string) => void): Promise<number> {
  if (!values.out) throw new PackagingError("package needs --out <dir> (the OCI layout directory to write)");
  const image = packageWasm(await readWasm(wasmPath!), await imageOptions(values, wasmPath!));
  if ((await stat(values.out).catch(() => undefined))?.isFile()) {
    throw new PackagingError(`--out ${values.out} is a file, but an OCI image layout is a folder`, {
      hint: "pass a folder path for --out (new, or an OCI layout to add the tag to)",
    });
  }
  try {
    await writeOciLayout(image, values.out, values.tag ?? "latest");
  } catch (cause) {
    throw new PackagingError(`cannot write the OCI layout to --out ${values.out}: ${describeFsError(cause)}`, {
      hint: "--out names a folder (new, or an OCI layout to add the tag to), not a file: pass a folder path",
      cause,
    });
  }
  print(`wrote ${image.format} image ${image.digest} to ${values.out} (tag ${values.tag ?? "latest"})`);
  print(`sha256 for the WasmPlugin: ${image.digest.slice(7)}`);
  return 0;
}

async function pushCommand(
  [wasmPath, reference]: string[],
  values: Values,
  print: (t: string) => void,
): Promise<number> {
  const options = await imageOptions(values, wasmPath!);
  const image = packageWasm(await readWasm(wasmPath!), options);
  const result = await pushImage(image, reference!, registryOptions(values));
  print(
    `pushed ${image.format} image to ${reference} (${result.uploaded} blob(s) uploaded, ${result.skipped} already there)`,
  );
  const d = options.description ?? {};
  print(`annotated: ${[d.title, d.version].filter(Boolean).join(" ")}, created ${d.created} (+ module facts)`);
  print(`digest: ${result.digest}`);
  print(`pinned: ${result.pinned}`);
  print(`sha256 for the WasmPlugin: ${result.digest.slice(7)}`);
  return 0;
}

async function checkCommand([reference]: string[], values: Values, print: (t: string) => void): Promise<number> {
  const version = pinnedIstioVersion(values["istio-version"]);
  const pulled = await pullWasmLikeIstio(reference!, {
    ...registryOptions(values),
    sha256: values.sha256,
    istioVersion: version,
    maxLayerBytes: maxLayerBytes(values),
  });
  print(
    `Istio ${describeVersion(version)} accepts ${reference}: ${pulled.variant} image, manifest ${pulled.digest}, module ${pulled.wasm.length} bytes`,
  );
  if (pulled.plainHttpFallback)
    print("note: the registry answered HTTPS in plain HTTP; istio-agent falls back to plain HTTP the same way");
  if (values.out) {
    await writeOutput(values.out, pulled.wasm);
    print(`module written to ${values.out}`);
  }
  return 0;
}

async function wasmPluginCommand(values: Values, print: (t: string) => void): Promise<number> {
  const metadata = await metadataFrom(values);
  const kind = values.kind ?? "WasmPlugin";
  if (!["WasmPlugin", "TrafficExtension", "both"].includes(kind))
    throw new PackagingError(`--kind must be WasmPlugin, TrafficExtension or both (got "${kind}")`);
  const target = { istioVersion: values["istio-version"] ?? DEFAULT_ISTIO_VERSION };
  const resources = [
    ...(kind !== "TrafficExtension" ? [buildWasmPlugin(metadata, target)] : []),
    ...(kind !== "WasmPlugin" ? [buildTrafficExtension(metadata, target)] : []),
  ];
  const yaml = resourcesToYaml(resources);
  if (values.out) {
    await writeOutput(values.out, yaml);
    print(`wrote ${resources.map((r) => r.kind).join(" and ")} to ${values.out}`);
  } else print(yaml.trimEnd());
  return 0;
}

async function envoyCommand([file]: string[], values: Values, print: (t: string) => void): Promise<number> {
  let text: string;
  try {
    text = await readFile(file!, "utf8");
  } catch (cause) {
    throw new PackagingError(`cannot read ${file}: ${describeFsError(cause)}`, {
      hint: "pass the WasmPlugin YAML written by `npx proxy-wasm-as istio wasmplugin --out <file.yaml>`",
      cause,
    });
  }
  const stage = values.stage ?? "agent";
  if (stage !== "agent" && stage !== "istiod")
    throw new PackagingError(`--stage must be agent or istiod (got "${stage}")`);
  const istioVersion = values["istio-version"] ?? DEFAULT_ISTIO_VERSION;
  const options: RenderIstioOptions = {
    stage,
    localWasmPath: values["wasm-path"],
    resourceVersion: values["resource-version"],
    istioVersion,
  };
  const filters = orderLikeIstio(
    parseResourcesYaml(text, file, { istioVersion }).map((r) => renderIstioFilter(r, options)),
  ).map((f) => f.filter);
  print(stringify(filters, { lineWidth: 0 }).trimEnd());
  return 0;
}

async function metadataFrom(values: Values): Promise<PluginMetadata> {
  let base: Partial<PluginMetadata> = {};
  if (values.metadata) {
    try {
      base = parseYaml(await readFile(values.metadata, "utf8"), {
        maxAliasCount: MAX_YAML_ALIASES,
      }) as Partial<PluginMetadata>;
    } catch (cause) {
      throw new PackagingError(
        `cannot read metadata file ${values.metadata}: ${(cause as Error).message.split("\n")[0]}`,
        { hint: "pass a JSON or YAML file with PluginMetadata fields (see --help)", cause },
      );
    }
  }
  const m: Record<string, unknown> = { ...base };
  const set = (key: keyof PluginMetadata, value: unknown) => {
    if (value !== undefined) m[key] = value;
  };
  set("name", values.name);
  set("namespace", values.namespace);
  set("url", values.url);
  set("sha256", values.sha256);
  set("pluginName", values["plugin-name"]);
  set("phase", values.phase);
  set("failStrategy", values["fail-strategy"]);
  set("type", values.type);
  set("imagePullPolicy", values["pull-policy"]);
  set("imagePullSecret", values["pull-secret"]);
  if (values.priority !== undefined) {
    const priority = Number(values.priority);
    if (!Number.isInteger(priority))
      throw new PackagingError(`--priority must be an integer (got "${values.priority}")`);
    m.priority = priority;
  }
  if (values.config !== undefined) m.pluginConfig = await jsonObject(values.config);
  if (values.selector) m.selector = pairs(values.selector, "--selector");
  if (values.env) m.env = pairs(values.env, "--env");
  if (values["host-env"]) m.hostEnv = values["host-env"];
  if (values["target-ref"]) m.targetRefs = values["target-ref"].map(targetRef);
  if (values["match-mode"] || values.port) {
    const ports = (values.port ?? []).map((p) => ({ number: Number(p) }));
    m.match = [{ ...(values["match-mode"] ? { mode: values["match-mode"] } : {}), ...(ports.length ? { ports } : {}) }];
  }
  return m as unknown as PluginMetadata;
}

async function jsonObject(text: string): Promise<Record<string, unknown>> {
  let source = text;
  if (text.startsWith("@")) {
    try {
      source = await readFile(text.slice(1), "utf8");
    } catch (cause) {
      throw new PackagingError(`cannot read --config file ${text.slice(1)}: ${describeFsError(cause)}`, {
        hint: `check the path after @ (relative to ${process.cwd()}), or pass the JSON itself: --config '{"header":"x-hello"}'`,
        cause,
      });
    }
  }
  try {
    return JSON.parse(source) as Record<string, unknown>;
  } catch (cause) {
    throw new PackagingError(`--config is not valid JSON: ${(cause as Error).message}`, {
      hint: `pass a JSON object, e.g. --config '{"header":"x-hello"}' or --config @config.json`,
      cause,
    });
  }
}

function pairs(items: string[], flag: string): Record<string, string> {
  return Object.fromEntries(
    items.map((item) => {
      const at = item.indexOf("=");
      if (at <= 0)
        throw new PackagingError(`${flag} "${item}" is not key=value`, { hint: `write it as ${flag} key=value` });
      return [item.slice(0, at), item.slice(at + 1)];
    }),
  );
}

function targetRef(text: string) {
  const parts = text.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === "")) {
    throw new PackagingError(`--target-ref "${text}" is not [group/]Kind/name`, {
      hint: "e.g. --target-ref gateway.networking.k8s.io/Gateway/ingress or --target-ref Service/reviews",
    });
  }
  return parts.length === 3
    ? { group: parts[0], kind: parts[1]!, name: parts[2]! }
    : { kind: parts[0]!, name: parts[1]! };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runCli(process.argv.slice(2));
}
