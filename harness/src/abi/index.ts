// Public API of harness/src/abi (`@proxy-wasm-as/harness/abi`; the root entry re-exports its everyday names).
// What Envoy provides (imports) and expects (exports) for proxy-wasm ABI 0.2.1, and a conformance checker.
import "../node-check.ts";
export { WasmBinaryError } from "./errors.ts";
export { sig, formatSignature, sameSignature, type WasmSignature, type WasmValueType } from "./signature.ts";
export {
  ENVOY_IMPORTS,
  WASI_MODULES,
  envoyImportsFor,
  importKey,
  proxyHostcallNames,
  type AbiVersion,
  type EnvImportName,
  type HostImport,
  type WasiImportName,
} from "./envoy-imports.ts";
export {
  Action,
  BufferType,
  GrpcStatus,
  LAST_BUFFER_TYPE,
  LAST_MAP_TYPE,
  LAST_STREAM_BUFFER,
  LAST_STREAM_MAP,
  LogLevel,
  MapType,
  MetricType,
  PeerType,
  Status,
  StreamType,
  WasiClock,
  WasiErrno,
  WasiFd,
} from "./enums.ts";
export { ABI_MARKERS, ALLOCATOR_EXPORTS, envoyExportsFor } from "./envoy-exports.ts";
export {
  readModuleInterface,
  type ExternKind,
  type ModuleExport,
  type ModuleImport,
  type ModuleInterface,
} from "./wasm-binary.ts";
export {
  checkModule,
  formatModuleReport,
  type ExportMismatch,
  type ImportCheck,
  type ModuleReport,
} from "./check-module.ts";
