// Public API of harness/src/abi (re-exported by harness/src/index.ts).
// What Envoy provides (imports) and expects (exports) for proxy-wasm ABI 0.2.1, and a conformance checker.
import "../node-check.ts";
export { sig, formatSignature, sameSignature, type WasmSignature, type WasmValueType } from "./signature.ts";
export {
  ENVOY_IMPORTS, WASI_MODULES, envoyImportsFor, importKey, proxyHostcallNames,
  type AbiVersion, type HostImport,
} from "./envoy-imports.ts";
export { ABI_MARKERS, ALLOCATOR_EXPORTS, envoyExportsFor } from "./envoy-exports.ts";
export { readModuleInterface, type ExternKind, type ModuleExport, type ModuleImport, type ModuleInterface } from "./wasm-binary.ts";
export { checkModule, formatModuleReport, type ExportMismatch, type ImportCheck, type ModuleReport } from "./check-module.ts";
