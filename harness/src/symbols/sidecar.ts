// The build side of symbols: from what asc wrote for a module compiled with names and a source map, the .wasm to
// ship and the map to keep beside it. A release module loses its name section and sourceMappingURL (both trail
// the code, so no code offset moves and the bytes are those of a build without symbols); its function names go
// into the map, where the harness finds them for a trap.
import {
  SYMBOLS_FIELD,
  SYMBOLS_VERSION,
  type FunctionRange,
  type SymbolsExtension,
  type WasmSourceMap,
} from "./source-map.ts";
import { wasmSha256 } from "./module-symbols.ts";
import { NAME_SECTION, readWasmLayout, SOURCE_MAPPING_URL_SECTION, withoutCustomSections } from "./wasm-layout.ts";

/** Options of {@link splitModuleSymbols}. */
export interface SplitSymbolsOptions {
  /**
   * True for what is shipped: the name section and sourceMappingURL are removed from the module and the names kept
   * in the map. False (debug builds) keeps the module as asc wrote it.
   */
  readonly strip: boolean;
  /** Source ranges of the program's functions (see FunctionRange). */
  readonly functions: readonly FunctionRange[];
  /** `sourceRoot` of the map: from the map's folder to the project root, so tools find the user's files. */
  readonly sourceRoot: string;
}

/** The module to write and its map, with the harness's extension (names, function ranges, the module's hash). */
export function splitModuleSymbols(
  binary: Uint8Array,
  map: WasmSourceMap,
  options: SplitSymbolsOptions,
): { wasm: Uint8Array; map: WasmSourceMap } {
  const wasm = options.strip ? withoutCustomSections(binary, [NAME_SECTION, SOURCE_MAPPING_URL_SECTION]) : binary;
  const names = options.strip ? Object.fromEntries(readWasmLayout(binary).functionNames) : undefined;
  const extension: SymbolsExtension = {
    version: SYMBOLS_VERSION,
    wasmSha256: wasmSha256(wasm),
    ...(names ? { functionNames: names } : {}),
    functions: options.functions,
  };
  return { wasm, map: { ...map, sourceRoot: options.sourceRoot, [SYMBOLS_FIELD]: extension } };
}
