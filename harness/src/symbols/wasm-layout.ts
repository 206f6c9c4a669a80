// What symbolication needs from a Wasm binary: where each function body lies (so a byte offset names its
// function), the name section's function names, and custom sections to strip or add (the build keeps the names
// and the source map beside a release module, and the harness gives Envoy the names back).
import { WasmBinaryError } from "../abi/errors.ts";
import { WasmBinaryReader, WasmBinaryWriter, encodeName, encodeU32 } from "../abi/wasm-codec.ts";

const CUSTOM_SECTION = 0;
const IMPORT_SECTION = 2;
const CODE_SECTION = 10;
const FUNCTION_KIND = 0;
/** Subsection 1 of the "name" custom section: function names. */
const FUNCTION_NAMES = 1;
/** Custom section holding function (and local) names. */
export const NAME_SECTION = "name";
/** Custom section Binaryen writes to point at the source map. */
export const SOURCE_MAPPING_URL_SECTION = "sourceMappingURL";

/** One section of a binary: id, custom name ("" for standard sections), and its bytes [start, end) including the header. */
export interface SectionSpan {
  readonly id: number;
  readonly name: string;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/** A defined function's body: its index in the function index space and its byte range in the module. */
export interface FunctionBody {
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

/** The layout of one module. */
export interface WasmLayout {
  readonly sections: readonly SectionSpan[];
  /** Defined functions in order (bodies ascend by offset). */
  readonly bodies: readonly FunctionBody[];
  /** Function names from the name section, by function index (empty without one). */
  readonly functionNames: ReadonlyMap<number, string>;
  /** The URL in the sourceMappingURL section, if any. */
  readonly sourceMappingUrl: string | undefined;
}

/** Splits `bytes` into sections (throws WasmBinaryError on a truncated binary). */
export function splitSections(bytes: Uint8Array): SectionSpan[] {
  const r = new WasmBinaryReader(bytes, 8);
  const spans: SectionSpan[] = [];
  while (!r.atEnd()) {
    const start = r.offset;
    const id = r.byte();
    const size = r.u32();
    const contentStart = r.offset;
    const end = contentStart + size;
    if (end > bytes.length) throw new WasmBinaryError(`section ${id} at byte ${start} runs past the end of the binary`);
    const name = id === CUSTOM_SECTION ? r.name() : "";
    spans.push({ id, name, start, contentStart, end });
    r.offset = end;
  }
  return spans;
}

/** Reads the layout of `bytes`: function bodies, names and the source map URL. */
export function readWasmLayout(bytes: Uint8Array): WasmLayout {
  const sections = splitSections(bytes);
  let importedFunctions = 0;
  const bodies: FunctionBody[] = [];
  let functionNames = new Map<number, string>();
  let sourceMappingUrl: string | undefined;
  for (const s of sections) {
    const r = new WasmBinaryReader(bytes.subarray(0, s.end), s.contentStart);
    if (s.id === IMPORT_SECTION) {
      for (let n = r.u32(); n > 0; n--) {
        r.skipName();
        r.skipName();
        const kind = r.byte();
        if (kind === FUNCTION_KIND) importedFunctions++;
        r.skipExternType(kind);
      }
    } else if (s.id === CODE_SECTION) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const size = r.u32();
        bodies.push({ index: importedFunctions + i, start: r.offset, end: r.offset + size });
        r.offset += size;
      }
    } else if (s.name === NAME_SECTION) {
      r.skipName();
      functionNames = readFunctionNames(r, s.end);
    } else if (s.name === SOURCE_MAPPING_URL_SECTION) {
      r.skipName();
      sourceMappingUrl = r.name();
    }
  }
  return { sections, bodies, functionNames, sourceMappingUrl };
}

function readFunctionNames(r: WasmBinaryReader, end: number): Map<number, string> {
  const names = new Map<number, string>();
  while (r.offset < end) {
    const id = r.byte();
    const size = r.u32();
    const next = r.offset + size;
    if (id === FUNCTION_NAMES) {
      for (let n = r.u32(); n > 0; n--) {
        const index = r.u32();
        names.set(index, r.name());
      }
    }
    r.offset = next;
  }
  return names;
}

/** The body holding byte `offset` (binary search), or undefined. */
export function bodyAt(bodies: readonly FunctionBody[], offset: number): FunctionBody | undefined {
  let lo = 0;
  let hi = bodies.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const body = bodies[mid]!;
    if (offset < body.start) hi = mid - 1;
    else if (offset >= body.end) lo = mid + 1;
    else return body;
  }
  return undefined;
}

/** `bytes` without the custom sections named in `names`. Sections before them keep their offsets when they trail the code. */
export function withoutCustomSections(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  const kept = splitSections(bytes).filter((s) => !(s.id === CUSTOM_SECTION && names.includes(s.name)));
  const out = new WasmBinaryWriter();
  out.bytes(bytes.subarray(0, 8));
  for (const s of kept) out.bytes(bytes.subarray(s.start, s.end));
  return out.finish();
}

/**
 * `bytes` with a name section holding `names` appended at the end (after every other section, so no byte offset
 * of the code changes). Envoy prints its in-VM backtrace only for modules with function names.
 */
export function withFunctionNames(bytes: Uint8Array, names: ReadonlyMap<number, string>): Uint8Array {
  const entries = [...names].sort(([a], [b]) => a - b);
  const sub = new WasmBinaryWriter();
  sub.u32(entries.length);
  for (const [index, name] of entries) {
    sub.u32(index);
    sub.bytes(encodeName(name));
  }
  const subsection = sub.finish();
  const content = new WasmBinaryWriter();
  content.bytes(encodeName(NAME_SECTION));
  content.byte(FUNCTION_NAMES);
  content.bytes(encodeU32(subsection.length));
  content.bytes(subsection);
  const out = new WasmBinaryWriter();
  out.bytes(withoutCustomSections(bytes, [NAME_SECTION]));
  out.section(CUSTOM_SECTION, content.finish());
  return out.finish();
}
