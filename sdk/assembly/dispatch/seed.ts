// Dispatch layer: the seed AssemblyScript's Math.random needs, wired in by the shared asconfig
// (`"use": ["seed=proxy_wasm_as_seed"]`) so Math.random does not import env.seed, which Envoy lacks.
// It reads 8 bytes from WASI random_get (Envoy provides it, even during _initialize). Only linked when
// Math.random is used.

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
declare function random_get(buffer: usize, length: usize): u16;

/** Seed for Math.random (global; selected with `--use seed=proxy_wasm_as_seed`). */
// @ts-ignore: decorator
@global export function proxy_wasm_as_seed(): f64 {
  const slot = memory.data(8, 8);
  random_get(slot, 8);
  return <f64>load<u64>(slot); // any value will do: AssemblyScript hashes the seed
}
