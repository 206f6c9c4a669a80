// Conformance checker: does this module (from any SDK) load in Envoy? Compares its imports and exports with
// Envoy's tables and reports each difference with what to do about it.
import { ABI_MARKERS, ALLOCATOR_EXPORTS, envoyExportsFor } from "./envoy-exports.ts";
import { envoyImportsFor, importKey, type AbiVersion } from "./envoy-imports.ts";
import { missingImportHint } from "./import-hints.ts";
import { formatSignature, sameSignature, type WasmSignature } from "./signature.ts";
import { readModuleInterface, type ExternKind, type ModuleInterface } from "./wasm-binary.ts";

/** Verdict for one import: provided by Envoy, unknown to Envoy (link fails), or a signature mismatch. */
export interface ImportCheck {
  readonly module: string;
  readonly name: string;
  readonly kind: ExternKind;
  readonly status: "ok" | "unknown-to-envoy" | "wrong-signature" | "not-a-function";
  readonly signature?: WasmSignature;
  readonly expected?: WasmSignature;
}

/** An export Envoy looks up whose signature differs from what Envoy wants (fails the load). */
export interface ExportMismatch {
  readonly name: string;
  readonly signature?: WasmSignature;
  readonly expected: WasmSignature;
}

/** Result of {@link checkModule}. `ok` is true when Envoy would load the module. */
export interface ModuleReport {
  readonly ok: boolean;
  /** From the first ABI marker export; null when none is exported. */
  readonly abiVersion: AbiVersion | null;
  /** Allocator Envoy would use (`malloc` first), or null. */
  readonly allocator: "malloc" | "proxy_on_memory_allocate" | null;
  /** `_initialize` (reactor, plus `main`/`__main_void` when exported), `_start` (command), or null. */
  readonly entryPoint: "_initialize" | "_start" | null;
  readonly imports: readonly ImportCheck[];
  readonly badExports: readonly ExportMismatch[];
  /** Every reason the load would fail, each with the fix. Empty when ok. */
  readonly problems: readonly string[];
  /** The module's interface as read from the binary (null if the binary could not be read). */
  readonly moduleInterface: ModuleInterface | null;
}

/** Checks `bytes` against Envoy's import/export tables without instantiating it. Never throws for bad input. */
export function checkModule(bytes: Uint8Array): ModuleReport {
  let iface: ModuleInterface;
  try {
    iface = readModuleInterface(bytes);
  } catch (e) {
    const problem = `cannot read the module: ${(e as Error).message}. Pass the compiled .wasm file, not source or a text (.wat) file.`;
    return {
      ok: false,
      abiVersion: null,
      allocator: null,
      entryPoint: null,
      imports: [],
      badExports: [],
      problems: [problem],
      moduleInterface: null,
    };
  }
  const problems: string[] = [];
  const funcExports = new Map(iface.exports.filter((e) => e.kind === "function").map((e) => [e.name, e]));

  const marker = iface.exports.find((e) => e.kind === "function" && e.name in ABI_MARKERS);
  const abiVersion = marker ? ABI_MARKERS[marker.name]! : null;
  if (!abiVersion) {
    problems.push(
      'missing ABI version marker: Envoy fails with "Missing or unknown Proxy-Wasm ABI version". Export an empty function named proxy_abi_version_0_2_1.',
    );
  }
  const version: AbiVersion = abiVersion ?? "0.2.1";

  const table = envoyImportsFor(version);
  const imports: ImportCheck[] = iface.imports.map((imp) => {
    const host = table.get(importKey(imp.module, imp.name));
    if (!host) {
      problems.push(
        `import ${imp.module}.${imp.name} is not provided by Envoy for ABI ${version}: the link fails with "missing import". ${missingImportHint(imp.module, imp.name, version)}`,
      );
      return {
        module: imp.module,
        name: imp.name,
        kind: imp.kind,
        status: "unknown-to-envoy",
        signature: imp.signature,
      };
    }
    if (imp.kind !== "function") {
      problems.push(`import ${imp.module}.${imp.name} is a ${imp.kind}, but Envoy provides a function.`);
      return { module: imp.module, name: imp.name, kind: imp.kind, status: "not-a-function", expected: host.signature };
    }
    if (!imp.signature || !sameSignature(imp.signature, host.signature)) {
      problems.push(
        `import ${imp.module}.${imp.name} has signature ${imp.signature ? formatSignature(imp.signature) : "?"}, Envoy provides ${formatSignature(host.signature)}: the link fails with "import type mismatch". Fix the declaration.`,
      );
      return {
        module: imp.module,
        name: imp.name,
        kind: imp.kind,
        status: "wrong-signature",
        signature: imp.signature,
        expected: host.signature,
      };
    }
    return { module: imp.module, name: imp.name, kind: imp.kind, status: "ok", signature: imp.signature };
  });

  const expectedExports = envoyExportsFor(version);
  const badExports: ExportMismatch[] = [];
  for (const [name, expected] of Object.entries(expectedExports)) {
    const exp = funcExports.get(name);
    if (!exp) continue;
    if (name === "main" && !funcExports.has("_initialize")) continue; // main is looked up only with _initialize
    if (!exp.signature || !sameSignature(exp.signature, expected)) {
      badExports.push({ name, signature: exp.signature, expected });
      problems.push(
        `export ${name} has signature ${exp.signature ? formatSignature(exp.signature) : "?"}, Envoy wants ${formatSignature(expected)}: "Bad function signature for: ${name}" fails the load. Fix or rename it.`,
      );
    }
  }

  const allocator = ALLOCATOR_EXPORTS.find((n) => funcExports.has(n)) ?? null;
  if (!allocator)
    problems.push(
      'no allocator: export malloc or proxy_on_memory_allocate ((i32) -> i32); Envoy fails with "Wasm module is missing malloc function."',
    );
  if (!iface.exports.some((e) => e.kind === "memory" && e.name === "memory")) {
    problems.push(
      'no exported memory named "memory": the host cannot read or write guest data. Export the module memory.',
    );
  }
  const entryPoint = funcExports.has("_initialize") ? "_initialize" : funcExports.has("_start") ? "_start" : null;

  return {
    ok: problems.length === 0,
    abiVersion,
    allocator,
    entryPoint,
    imports,
    badExports,
    problems,
    moduleInterface: iface,
  };
}

/** A readable multi-line summary of a report, for logs and error messages. */
export function formatModuleReport(report: ModuleReport, label = "module"): string {
  const head = report.ok
    ? `${label}: loads in Envoy`
    : `${label}: Envoy would REJECT it (${report.problems.length} problem(s))`;
  const facts = `ABI ${report.abiVersion ?? "none"}, allocator ${report.allocator ?? "none"}, entry ${report.entryPoint ?? "none"}, ${report.imports.length} imports`;
  return [head, `  ${facts}`, ...report.problems.map((p) => `  - ${p}`)].join("\n");
}
