// Public API of harness/src/builder (exported as @proxy-wasm-as/harness/build): compile AssemblyScript filters with the SDK's asconfig, incrementally.
//   compileModule          one asc compile (release or debug) with asc's diagnostics on failure
//   buildModules           incremental, lock-serialized builds of a set of modules, with sizes
//   readFilterProject      a user's filter project (assembly/ + asconfig.json) → its modules
//   buildFilterProject     builds that project into build/
//   watchBuildInputs       watch mode: the project's inputs, through in-place and rename-style saves
//   rebuildAfterChanges    watch mode: rebuild what a burst of changes made stale
export { BuildError } from "./errors.ts";
export {
  compileModule,
  requireEnvoyExports,
  requireEnvoyImports,
  REQUIRED_ENVOY_EXPORTS,
  type CompileOptions,
} from "./compile.ts";
export {
  buildModules,
  formatSizeTable,
  newestSourceMtime,
  type BuildModulesOptions,
  type BuiltModule,
  type ModuleSource,
} from "./modules.ts";
export {
  buildFilterProject,
  findProjectRoot,
  readFilterProject,
  BUILD_DIR,
  SDK_PACKAGE,
  SOURCE_DIR,
  type BuildProjectOptions,
  type FilterProject,
} from "./project.ts";
export {
  isBuildInput,
  rebuildAfterChanges,
  watchBuildInputs,
  WATCH_DEBOUNCE_MS,
  type BuildInputChange,
  type BuildInputWatcher,
} from "./watch.ts";
