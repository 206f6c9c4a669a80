// Wasm function signatures as plain data, written and read in the compact form "i32 i32 -> i32".
// Lowest layer of abi/: imports only its error.
import { WasmBinaryError } from "./errors.ts";

/** A Wasm value type as it appears in a function signature. */
export type WasmValueType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";

/** A Wasm function type: parameter and result value types. */
export interface WasmSignature {
  readonly params: readonly WasmValueType[];
  readonly results: readonly WasmValueType[];
}

/**
 * Parses the compact form used by the ABI tables, e.g. `"i32 i64 -> i32"` or `"-> "` (no params, no results).
 * Throws on an unknown value type; callable at any time.
 */
export function sig(text: string): WasmSignature {
  const [left, right = ""] = text.split("->");
  const parse = (part: string): WasmValueType[] =>
    part.trim() === ""
      ? []
      : part
          .trim()
          .split(/\s+/)
          .map((t) => {
            if (!["i32", "i64", "f32", "f64", "v128", "funcref", "externref"].includes(t)) {
              throw new WasmBinaryError(`sig(${JSON.stringify(text)}): unknown value type ${JSON.stringify(t)}`, {
                hint: 'value types are i32, i64, f32, f64, v128, funcref and externref, written like sig("i32 i32 -> i32")',
              });
            }
            return t as WasmValueType;
          });
  return { params: parse(left ?? ""), results: parse(right) };
}

/** Formats a signature as `(i32, i32) -> i32` (or `-> ()` for no results), for messages. */
export function formatSignature(s: WasmSignature): string {
  const results = s.results.length === 0 ? "()" : s.results.length === 1 ? s.results[0] : `(${s.results.join(", ")})`;
  return `(${s.params.join(", ")}) -> ${results}`;
}

/** True when both signatures have exactly the same params and results. */
export function sameSignature(a: WasmSignature, b: WasmSignature): boolean {
  return (
    a.params.length === b.params.length &&
    a.results.length === b.results.length &&
    a.params.every((p, i) => p === b.params[i]) &&
    a.results.every((r, i) => r === b.results[i])
  );
}
