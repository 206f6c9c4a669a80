// One AssemblyScript compile through asc's JS API, and the check that its output is loadable by Envoy.
import asc from "assemblyscript/asc";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { checkModule } from "../abi/index.ts";
import { sourceMapPathFor, splitModuleSymbols, type WasmSourceMap } from "../symbols/index.ts";
import { BuildError } from "./errors.ts";
import { functionRangeRecorder } from "./function-ranges.ts";

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
   * Keep the module's symbols beside it (default true): `<outFile>.map`, a source map with the function names and
   * where each function is written, so a trap is told in source lines (harness/src/symbols). A release module is
   * compiled with names and a map, then shipped without them: its bytes are those of a build without symbols.
   */
  readonly symbols?: boolean;
}

/**
 * Compiles one AssemblyScript entry into `outFile` (and, unless `symbols: false`, its map `<outFile>.map`). Throws
 * {@link BuildError} carrying asc's diagnostics (file:line:column) when compilation fails. May be called
 * concurrently (asc keeps no global state per call).
 */
export async function compileModule(entry: string, outFile: string, options: CompileOptions): Promise<void> {
  const target = options.target ?? "release";
  const base = options.baseDir;
  const symbols = options.symbols ?? true;
  const args = [
    relative(base, entry),
    "--config",
    relative(base, options.config),
    "--target",
    target,
    "--outFile",
    relative(base, outFile),
  ];
  if (target === "debug" || symbols) args.push("--sourceMap");
  if (symbols) args.push("--debug");
  if (options.fast) args.push("--optimizeLevel", "0", "--shrinkLevel", "0");
  let stderrText = "";
  const recorder = functionRangeRecorder();
  const module = resolve(base, outFile);
  const captured = new Map<string, string | Uint8Array>();
  const { error } = await asc.main(args, {
    // The module and its map are kept in memory and written below, the symbols split off; anything else
    // the asconfig asks for (a text file, bindings) is written as asc would.
    writeFile: (name: string, contents: string | Uint8Array, baseDir: string) => {
      const path = resolve(baseDir, name);
      if (symbols && (path === module || path === sourceMapPathFor(module))) captured.set(path, contents);
      else {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, contents);
      }
      return true;
    },
    transforms: symbols ? [recorder.transform] : [],
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
  if (symbols) writeWithSymbols(module, captured, target === "release", recorder.ranges, base);
  else rmSync(sourceMapPathFor(module), { force: true }); // a map of an earlier build would describe other code
}

function writeWithSymbols(
  module: string,
  captured: ReadonlyMap<string, string | Uint8Array>,
  strip: boolean,
  functions: Parameters<typeof splitModuleSymbols>[2]["functions"],
  projectRoot: string,
): void {
  const binary = captured.get(module);
  const mapText = captured.get(sourceMapPathFor(module));
  if (!(binary instanceof Uint8Array) || mapText === undefined)
    throw new BuildError(`asc wrote no ${binary ? "source map" : "module"} for ${module}`);
  const map = JSON.parse(typeof mapText === "string" ? mapText : Buffer.from(mapText).toString()) as WasmSourceMap;
  const sourceRoot = relative(dirname(module), resolve(projectRoot)).replaceAll("\\", "/");
  const split = splitModuleSymbols(binary, map, { strip, functions, sourceRoot: sourceRoot ? `${sourceRoot}/` : "" });
  mkdirSync(dirname(module), { recursive: true });
  writeFileSync(module, split.wasm);
  writeFileSync(sourceMapPathFor(module), JSON.stringify(split.map));
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

/**
 * Throws {@link BuildError} when `bytes` imports something Envoy does not provide (the link would fail at load time in
 * Envoy): each such import with what to use instead (the conformance checker's words). E.g. a filter built without
 * the SDK's asconfig imports `env.console.log`; one calling WASI file functions imports `path_filestat_get`.
 */
export function requireEnvoyImports(entryLabel: string, bytes: Uint8Array<ArrayBuffer>): void {
  const report = checkModule(bytes);
  const broken = report.problems.filter((problem) => problem.startsWith("import "));
  if (broken.length) {
    throw new BuildError(
      `${entryLabel} imports what Envoy does not provide, so Envoy would refuse to load it:\n${broken.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
}
