// One AssemblyScript compile through asc's JS API, and the check that its output is loadable by Envoy.
import asc from "assemblyscript/asc";
import { relative } from "node:path";
import { BuildError } from "./errors.ts";

/** The exports Envoy requires of every proxy-wasm module (the SDK's asconfig adds them). */
export const REQUIRED_ENVOY_EXPORTS = ["proxy_abi_version_0_2_1", "malloc", "_initialize"] as const;

/** Options of {@link compileModule}. */
export interface CompileOptions {
  /** asc target of the asconfig: "release" (default) or "debug" (adds a source map). */
  readonly target?: "release" | "debug";
  /** The asconfig.json to use (it should extend `@proxy-wasm-as/sdk/asconfig.json`). */
  readonly config: string;
  /** Folder asc resolves paths and `node_modules` from: the project root. */
  readonly baseDir: string;
  /**
   * Skip Binaryen's optimizations (optimize and shrink level 0): the same code and behaviour, larger output,
   * compiled several times faster. For watch-mode rebuilds; never for what gets measured or shipped.
   */
  readonly fast?: boolean;
  /**
   * The coverage build (see emulator/coverage/coverage-build.ts): no Binaryen optimizations, a source map and the
   * name section, so every line and branch keeps its own code. For the release target.
   */
  readonly coverage?: boolean;
}

/**
 * Compiles one AssemblyScript entry into `outFile`. Throws {@link BuildError} carrying asc's diagnostics
 * (file:line:column) when compilation fails. May be called concurrently (asc keeps no global state per call).
 */
export async function compileModule(entry: string, outFile: string, options: CompileOptions): Promise<void> {
  const target = options.target ?? "release";
  const base = options.baseDir;
  const args = [
    relative(base, entry),
    "--config",
    relative(base, options.config),
    "--target",
    target,
    "--outFile",
    relative(base, outFile),
  ];
  if (target === "debug" || options.coverage) args.push("--sourceMap");
  if (options.fast || options.coverage) args.push("--optimizeLevel", "0", "--shrinkLevel", "0");
  if (options.coverage) args.push("--debug");
  let stderrText = "";
  const { error } = await asc.main(args, {
    stdout: { write: () => true } as never,
    stderr: {
      write: (chunk: string | Uint8Array) => {
        stderrText += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
        return true;
      },
    } as never,
    baseDir: base,
  } as never);
  // asc prints warnings (e.g. "Last converge was suboptimal") to stderr even on success; only errors fail.
  if (error) {
    throw new BuildError(
      `AssemblyScript compile of ${relative(base, entry)} (${target}) failed:\n${stderrText.trim() || error.message}`,
    );
  }
}

/** Throws {@link BuildError} when `bytes` lacks what Envoy needs to load it (e.g. built without the SDK's asconfig). */
export function requireEnvoyExports(entryLabel: string, bytes: Uint8Array<ArrayBuffer>): void {
  const exports = new Set(WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name));
  const missing = REQUIRED_ENVOY_EXPORTS.filter((name) => !exports.has(name));
  if (missing.length) {
    throw new BuildError(`${entryLabel} built without ${missing.join(", ")}, so Envoy would refuse to load it.`, {
      hint: 'build with an asconfig.json that extends the SDK\'s (`"extends": "./node_modules/@proxy-wasm-as/sdk/asconfig.json"`) or add `export * from "@proxy-wasm-as/sdk/exports";` to the entry file',
    });
  }
}
