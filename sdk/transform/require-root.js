// Build-time transform (asc --transform, wired in by sdk/asconfig.json): warns when a module built with the SDK's
// dispatcher registers no root class. Such a module compiles and passes the ABI check, but Envoy fails its start
// ("Wasm VM failed Failed to start base Wasm"; the SDK logs "no root context registered…" at critical level), so
// the build is the cheapest place to say so. Exact, not a guess from the source text: a `registerRoot<T>()` call
// anywhere in the program compiles one instance of the generic function, and no call compiles none.
// Warns once per content of the entry file: `proxy-wasm-as build` compiles a debug twin of every module in the same
// process, and watch mode warns again after each edit that still registers no root.
import { Transform } from "assemblyscript/transform";

const REGISTER_ROOT = "~lib/@proxy-wasm-as/sdk/assembly/api/context/registerRoot<";
const DISPATCHER_PREFIX = "~lib/@proxy-wasm-as/sdk/assembly/dispatch/";
/** SourceKind.UserEntry of asc's program (a const enum, so not importable at run time). */
const USER_ENTRY = 1;
/** Entry file → the text last warned about (one entry per module; a fixed module's entry is dropped). */
const warnedFor = new Map();

/** The export whose presence says the module uses the SDK's dispatcher (it calls the registered root). */
const ROOT_EXPORT = "proxy_on_vm_start";

/** The warning the build prints for a module without a root class. */
export const NO_ROOT_WARNING =
  'proxy-wasm-as: this module registers no root context, so Envoy will refuse to start it ("no root context registered"): call registerRoot<YourRoot>() at the top level of the entry file';

export default class RequireRoot extends Transform {
  afterCompile(module) {
    const exported = module.getExport(ROOT_EXPORT);
    if (!exported || !this.binaryen.getExportInfo(exported).value.startsWith(DISPATCHER_PREFIX)) return;
    const entry = this.program.sources.find((source) => source.sourceKind === USER_ENTRY);
    const key = entry?.normalizedPath ?? "";
    for (const name of this.program.instancesByName.keys()) {
      if (name.startsWith(REGISTER_ROOT)) {
        warnedFor.delete(key);
        return;
      }
    }
    if (warnedFor.get(key) === entry?.text) return;
    warnedFor.set(key, entry?.text);
    console.warn(NO_ROOT_WARNING);
  }
}
