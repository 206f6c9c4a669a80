// Public API of harness/src/symbols (exported as @proxy-wasm-as/harness/symbols): a trap told in the filter's own
// source lines. Lowest layer of the harness next to abi/: the builder writes symbols, the emulator, the Envoy
// layer, the vitest matchers and the CLI read them.
//   ModuleSymbols          a module's names and source map → source frames (`assembly/index.ts:42:7 in MyFilter.onRequestHeaders`)
//   wasmFramesInStack      raw frames of a V8 stack (the emulator's traps)
//   envoyBacktraceFrames   raw frames of Envoy's "Proxy-Wasm plugin in-VM backtrace"
//   formatFrames           frames as lines, the user's own source line under its frame
//   splitModuleSymbols     (build side) the .wasm to ship and the map to keep beside it
export {
  DEFAULT_SHOWN_FRAMES,
  ENVOY_BACKTRACE_HEADER,
  envoyBacktraceFrames,
  formatFrame,
  formatFrames,
  formatTrap,
  frameLocation,
  wasmFramesInStack,
  type SourceFrame,
  type WasmFrame,
} from "./frames.ts";
export { ModuleSymbols, sourceMapPathFor, wasmSha256, type ModuleSymbolsOptions } from "./module-symbols.ts";
export { demangle, displayPath, fileKind, isDispatchStub, splitInternalName, type FrameKind } from "./names.ts";
export { splitModuleSymbols, type SplitSymbolsOptions } from "./sidecar.ts";
export {
  lastAtOrBelow,
  SourceMapIndex,
  SYMBOLS_FIELD,
  SYMBOLS_VERSION,
  type FunctionRange,
  type SourcePosition,
  type SymbolsExtension,
  type WasmSourceMap,
} from "./source-map.ts";
export {
  NAME_SECTION,
  readWasmLayout,
  SOURCE_MAPPING_URL_SECTION,
  withFunctionNames,
  withoutCustomSections,
  type FunctionBody,
  type WasmLayout,
} from "./wasm-layout.ts";
