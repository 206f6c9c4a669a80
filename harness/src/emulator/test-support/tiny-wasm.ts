// A tiny Wasm binary encoder for hand-made test modules (bad imports, wrong export signatures, missing markers,
// trapping entry points). Only what those tests need: types, function imports, functions, memory, exports.
import type { WasmSignature, WasmValueType } from "../../abi/index.ts";
import { encodeS32 as sleb, encodeU32 as uleb } from "../../abi/wasm-codec.ts";

const VALTYPE: Record<WasmValueType, number> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
  funcref: 0x70,
  externref: 0x6f,
};

/** A function defined by the module: signature, body instructions (without the final `end`), export name. */
export interface TinyFunction {
  readonly signature: WasmSignature;
  /** Raw instruction bytes; use the {@link op} helpers. Default: returns zero values for the results. */
  readonly body?: readonly number[];
  readonly export?: string;
}

/** Module description for {@link tinyModule}. */
export interface TinyModuleSpec {
  readonly imports?: ReadonlyArray<{ module: string; name: string; signature: WasmSignature }>;
  readonly functions?: readonly TinyFunction[];
  /** Export a 1-page memory as "memory" (default true). */
  readonly memory?: boolean;
}

/** Instruction helpers (bytes). */
export const op = {
  unreachable: [0x00],
  call: (index: number) => [0x10, ...uleb(index)],
  drop: [0x1a],
  i32Const: (v: number) => [0x41, ...sleb(v)],
  i64Const: (v: number) => [0x42, ...sleb(v)],
  localGet: (i: number) => [0x20, ...uleb(i)],
};

const str = (s: string) => {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
};
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

/** Encodes a module. Function indices: imports first (in order), then `functions`. */
export function tinyModule(spec: TinyModuleSpec): Uint8Array {
  const imports = spec.imports ?? [];
  const functions = spec.functions ?? [];
  const sigs = [...imports.map((i) => i.signature), ...functions.map((f) => f.signature)];
  const types = sigs.map((s) => [
    0x60,
    ...vec(s.params.map((p) => [VALTYPE[p]])),
    ...vec(s.results.map((r) => [VALTYPE[r]])),
  ]);
  const zero = (t: WasmValueType) =>
    t === "i64"
      ? op.i64Const(0)
      : t === "i32"
        ? op.i32Const(0)
        : t === "f32"
          ? [0x43, 0, 0, 0, 0]
          : [0x44, 0, 0, 0, 0, 0, 0, 0, 0];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports.map((imp, i) => [...str(imp.module), ...str(imp.name), 0x00, ...uleb(i)]))),
    ...section(3, vec(functions.map((_, i) => uleb(imports.length + i)))),
    ...(spec.memory === false ? [] : section(5, vec([[0x00, 0x01]]))),
    ...section(
      7,
      vec([
        ...(spec.memory === false ? [] : [[...str("memory"), 0x02, 0x00]]),
        ...functions.flatMap((f, i) => (f.export ? [[...str(f.export), 0x00, ...uleb(imports.length + i)]] : [])),
      ]),
    ),
    ...section(
      10,
      vec(
        functions.map((f) => {
          const body = [0x00, ...(f.body ?? f.signature.results.flatMap(zero)), 0x0b];
          return [...uleb(body.length), ...body];
        }),
      ),
    ),
  ];
  return Uint8Array.from(bytes);
}
