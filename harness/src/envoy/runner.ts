// What both runners (local process, container) provide, so the rest of the harness never cares which one runs Envoy.
import type { EnvoyLog } from "./log.ts";
import type { RunnerKind } from "./settings.ts";

/** Options every runner understands. */
export interface RunnerOptions {
  /** Envoy version to provision (`$ENVOY_VERSION`, default 1.40.0). */
  version?: string;
  /** Container runner: run this image instead of building one (`$ENVOY_IMAGE`). */
  image?: string;
  /** Component log level of the `wasm` logger: "trace" shows every host call; default "debug". */
  wasmLogLevel?: "trace" | "debug" | "info" | "warning" | "error";
  /**
   * Worker threads (`--concurrency`); default 1 so a test sees one Wasm VM. Use 2+ to prove that state shared
   * across workers (shared data, queues) works: each worker runs its own VM instance.
   */
  concurrency?: number;
  /** Extra Envoy command-line arguments (not `--concurrency`: use `concurrency`). */
  extraArgs?: string[];
  /**
   * Process runner only: pin Envoy (all its threads) to these CPUs with `taskset -c`, e.g. "0" or "0,1".
   * Benchmarks use it to keep Envoy and the load generator on separate cores. Needs taskset (util-linux).
   */
  cpus?: string;
}

/** A runner ready to launch Envoy: knows the Envoy version and how Envoy will see .wasm files. */
export interface PreparedRunner {
  readonly kind: RunnerKind;
  /** Version of the Envoy that will run (drives config rendering). */
  readonly envoyVersion: string;
  /** Human-readable origin (binary path or image name). */
  readonly source: string;
  /** Path under which Envoy reads the .wasm file at `hostPath`. */
  wasmPath(hostPath: string): string;
  /** Starts Envoy with `configYaml`, making `wasmFiles` (host paths) available; returns once the process/container runs. */
  launch(configYaml: string, wasmFiles: string[], log: EnvoyLog): Promise<LaunchedEnvoy>;
}

/** A started Envoy process or container (not necessarily ready). */
export interface LaunchedEnvoy {
  /** e.g. "process 1234" or "container 3f2a…". */
  readonly description: string;
  /** Process runner only: Envoy's process id (for /proc/<pid>/status, smaps); undefined for containers. */
  readonly pid?: number;
  /** Resolves with the exit code when Envoy exits (for any reason). */
  readonly exited: Promise<number | null>;
  /** Stops Envoy (SIGTERM, then SIGKILL after a grace period) and releases everything; idempotent. */
  stop(): Promise<void>;
}

/** The command-line arguments every runner passes to Envoy, given the config path Envoy sees. */
export function envoyArgs(configPath: string, options: RunnerOptions): string[] {
  return [
    "-c",
    configPath,
    "--concurrency",
    String(options.concurrency ?? 1),
    "--disable-hot-restart",
    "-l",
    "info",
    "--component-log-level",
    `wasm:${options.wasmLogLevel ?? "debug"}`,
    "--drain-time-s",
    "1",
    ...(options.extraArgs ?? []),
  ];
}
