// AssemblyScript's internal names and source paths, as a user reads them. The compiler names every function
// `<file without .ts>/<element>` (`assembly/index/MyFilter#onRequestHeaders`, `~lib/array/Array<i32>#push`,
// `start:assembly/index`), and its source maps and name section use those names and `~lib/` paths. Hand-written:
// no library knows AssemblyScript's mangling (it is defined by the compiler's `Element.internalName`).

/**
 * Where a frame's code comes from: the user's own files, the proxy-wasm-as SDK, a library (AssemblyScript's std or
 * another package), or unknown (a function without name or source position).
 */
export type FrameKind = "user" | "sdk" | "library" | "unknown";

/** AssemblyScript's prefix of library files (its standard library and packages from node_modules). */
export const LIBRARY_PREFIX = "~lib/";
/** How the SDK's files appear in AssemblyScript paths. */
export const SDK_LIBRARY_PATH = "~lib/@proxy-wasm-as/sdk/";

/** The kind of code in `file` (a source path as the compiler writes it). */
export function fileKind(file: string): FrameKind {
  if (file.startsWith(SDK_LIBRARY_PATH)) return "sdk";
  if (file.startsWith(LIBRARY_PREFIX)) return "library";
  return "user";
}

/**
 * The path a user recognises for `file`: their own files relative to their project (as asc saw them), packages
 * under `node_modules/` (`~lib/@proxy-wasm-as/sdk/assembly/api/context.ts` → `node_modules/@proxy-wasm-as/sdk/…`),
 * AssemblyScript's standard library as `~lib/…` (its own notation).
 */
export function displayPath(file: string): string {
  if (file.startsWith(`${LIBRARY_PREFIX}@`)) return `node_modules/${file.slice(LIBRARY_PREFIX.length)}`;
  return file;
}

/** Index of the last `/` of `name` outside type arguments (`<…>`, where `=>` does not close). */
function lastPathSlash(name: string): number {
  let depth = 0;
  let last = -1;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === "<") depth++;
    else if (c === ">" && name[i - 1] !== "=") depth = Math.max(0, depth - 1);
    else if (c === "/" && depth === 0) last = i;
  }
  return last;
}

/** The file part (`assembly/index`, `~lib/array`) and the element part of an internal name. */
export function splitInternalName(name: string): { readonly file: string | undefined; readonly element: string } {
  if (name.startsWith("start:")) return { file: name.slice("start:".length), element: "" };
  const slash = lastPathSlash(name);
  if (slash < 0) return { file: undefined, element: name };
  return { file: name.slice(0, slash), element: name.slice(slash + 1) };
}

/**
 * The name a user recognises for an internal function name: `assembly/index/MyFilter#onRequestHeaders` →
 * `MyFilter.onRequestHeaders`, `~lib/map/Map<~lib/string/String,i32>#get:size` → `Map<String,i32>.get size`,
 * `…/HttpContext#onRequestHeaders@virtual` → `HttpContext.onRequestHeaders`, `start:assembly/index` →
 * `top-level code of assembly/index.ts`, `assembly/index/f~anonymous|0` → `f.<anonymous>`.
 */
export function demangle(internalName: string): string {
  const { file, element } = splitInternalName(internalName);
  if (internalName.startsWith("start:")) return `top-level code of ${displayPath(`${file}.ts`)}`;
  return (
    element
      .replace(/@\w+$/, "") // @virtual, @override stubs
      .replace(/~anonymous\|\d+/g, ".<anonymous>")
      .replace(/#(get|set):/g, ".$1 ")
      .replace(/#/g, ".")
      // Paths inside type arguments: Map<~lib/string/String,i32> → Map<String,i32>
      .replace(/(?<=[<,(|]\s*)[^<>,()|\s]*\//g, "") || internalName
  );
}

/** AssemblyScript's stubs dispatching a virtual method call (`…#method@virtual`, `…#method@override` since 0.28). */
const DISPATCH_STUB = /@(virtual|override)$/;

/** True for a function the compiler generated to dispatch a virtual call: it has no source of its own. */
export function isDispatchStub(internalName: string | undefined): boolean {
  return internalName !== undefined && DISPATCH_STUB.test(internalName);
}
