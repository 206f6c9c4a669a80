// Hand-encoded modules for the tests of the emulator's execution limits (emulator-limits.test.ts,
// watchdog/deadline.test.ts): a proxy_on_request_headers body of raw instructions, and the opcodes they use.
import { sig } from "../../abi/index.ts";
import { op, type TinyModuleSpec, tinyModule } from "./tiny-wasm.ts";

/** `loop` (no result), `br 0`, `end`. */
export const LOOP = [0x03, 0x40];
export const BR_0 = [0x0c, 0x00];
export const END = [0x0b];
/** memory.grow on memory 0: [pages] → [old size in pages, or -1]. */
export const MEMORY_GROW = [0x40, 0x00];
export const I32_EQ = 0x46;
/** `if` (no result). */
export const IF_VOID = [0x04, 0x40];

/** A module whose proxy_on_request_headers runs `body` (with `imports` as functions 0…); everything else returns the default. */
export function moduleWithRequestHeaders(body: number[], imports: TinyModuleSpec["imports"] = []): Uint8Array {
  return tinyModule({
    imports,
    functions: [
      { signature: sig("->"), export: "proxy_abi_version_0_2_1" },
      { signature: sig("i32 -> i32"), export: "malloc", body: op.i32Const(1024) },
      { signature: sig("i32 i32 ->"), export: "proxy_on_context_create" },
      { signature: sig("i32 i32 i32 -> i32"), export: "proxy_on_request_headers", body },
    ],
  });
}

/** Grows by 16 pages until memory.grow fails, then traps, as an allocator does when it runs out of memory. */
export const growForever = moduleWithRequestHeaders([
  ...LOOP,
  ...op.i32Const(16),
  ...MEMORY_GROW,
  ...op.i32Const(-1),
  I32_EQ,
  ...IF_VOID,
  ...op.unreachable,
  ...END,
  ...BR_0,
  ...END,
  ...op.i32Const(0),
]);
