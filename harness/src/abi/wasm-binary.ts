// Minimal reader for the parts of a Wasm binary the ABI checks need: function types, imports and exports
// with their signatures. (WebAssembly.Module.imports()/exports() do not report signatures.)
import { WasmBinaryError } from "./errors.ts";
import { WasmBinaryReader } from "./wasm-codec.ts";
import type { WasmSignature, WasmValueType } from "./signature.ts";

/** Kind of an import or export. */
export type ExternKind = "function" | "table" | "memory" | "global" | "tag";

/** One import of a module; `signature` is set for functions. */
export interface ModuleImport {
  readonly module: string;
  readonly name: string;
  readonly kind: ExternKind;
  readonly signature?: WasmSignature;
}

/** One export of a module; `signature` is set for functions. */
export interface ModuleExport {
  readonly name: string;
  readonly kind: ExternKind;
  readonly signature?: WasmSignature;
}

/** Imports and exports of a module in declaration order. */
export interface ModuleInterface {
  readonly imports: readonly ModuleImport[];
  readonly exports: readonly ModuleExport[];
}

const KINDS: ExternKind[] = ["function", "table", "memory", "global", "tag"];
const VALUE_TYPES: Record<number, WasmValueType> = {
  127: "i32",
  126: "i64",
  125: "f32",
  124: "f64",
  123: "v128",
  112: "funcref",
  111: "externref",
};

class Reader extends WasmBinaryReader {
  valueType(): WasmValueType {
    const b = this.byte();
    const t = VALUE_TYPES[b];
    if (!t) throw new WasmBinaryError(`unsupported value type 0x${b.toString(16)} at byte ${this.offset - 1}`);
    return t;
  }
}

/**
 * Reads the imports and exports (with function signatures) of a Wasm binary.
 * Throws WasmBinaryError naming the byte offset when the binary is malformed.
 */
export function readModuleInterface(bytes: Uint8Array): ModuleInterface {
  const r = new Reader(bytes);
  const magic = [0x00, 0x61, 0x73, 0x6d];
  if (bytes.length < 8 || !magic.every((m, i) => bytes[i] === m)) {
    throw new WasmBinaryError("not a WebAssembly binary (missing the \\0asm magic header)");
  }
  r.offset = 8;
  const types: WasmSignature[] = [];
  const funcTypes: number[] = []; // type index of every function, imported first
  const imports: ModuleImport[] = [];
  const rawExports: Array<{ name: string; kind: ExternKind; index: number }> = [];
  while (r.offset < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.offset + size;
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        const form = r.byte();
        if (form !== 0x60)
          throw new WasmBinaryError(
            `unsupported type form 0x${form.toString(16)} (GC proposal) at byte ${r.offset - 1}`,
          );
        const params = Array.from({ length: r.u32() }, () => r.valueType());
        const results = Array.from({ length: r.u32() }, () => r.valueType());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        const module = r.name();
        const name = r.name();
        const kind = KINDS[r.byte()];
        if (kind === "function") {
          const t = r.u32();
          funcTypes.push(t);
          imports.push({ module, name, kind, signature: types[t] });
        } else if (kind === "table") {
          r.byte();
          r.skipLimits();
          imports.push({ module, name, kind });
        } else if (kind === "memory") {
          r.skipLimits();
          imports.push({ module, name, kind });
        } else if (kind === "global") {
          r.valueType();
          r.byte();
          imports.push({ module, name, kind });
        } else if (kind === "tag") {
          r.byte();
          r.u32();
          imports.push({ module, name, kind });
        } else {
          throw new WasmBinaryError(`unknown import kind at byte ${r.offset - 1}`);
        }
      }
    } else if (id === 3) {
      for (let n = r.u32(); n > 0; n--) funcTypes.push(r.u32());
    } else if (id === 7) {
      for (let n = r.u32(); n > 0; n--) {
        const name = r.name();
        const kind = KINDS[r.byte()];
        if (!kind) throw new WasmBinaryError(`unknown export kind at byte ${r.offset - 1}`);
        rawExports.push({ name, kind, index: r.u32() });
      }
    }
    if (end > bytes.length) throw new WasmBinaryError(`section ${id} runs past the end of the binary`);
    r.offset = end;
  }
  const exports = rawExports.map(({ name, kind, index }) =>
    kind === "function" ? { name, kind, signature: types[funcTypes[index] ?? -1] } : { name, kind },
  );
  return { imports, exports };
}
