// Plain AssemblyScript in a filter: `crypto.getRandomValues`, wired in by the shared asconfig
// (`"use": ["crypto=proxy_wasm_as_crypto"]`): WASI random_get, which Envoy provides (its own CSPRNG). Envoy refuses
// more than 65,536 bytes per random_get, exactly the Web Crypto limit per call; above it this throws a RangeError
// that says so (the shim would throw an errno name).
import { random_get } from "@assemblyscript/wasi-shim/assembly/bindings/wasi_snapshot_preview1";

/** Web Crypto's per-call limit, and Envoy's limit for one random_get. */
// @ts-ignore: decorator
@inline const MAX_RANDOM_BYTES: i32 = 65_536;

/** `crypto` for Envoy filters (global; selected with `--use crypto=proxy_wasm_as_crypto`). */
// @ts-ignore: decorator
@global export namespace proxy_wasm_as_crypto {
  /** Fills `array` with cryptographically strong random bytes and returns it (at most 65,536 bytes per call). */
  export function getRandomValues<T extends ArrayBufferView>(array: T): T {
    const size = array.byteLength;
    if (size > MAX_RANDOM_BYTES) throw new RangeError("crypto.getRandomValues: at most 65536 bytes per call");
    if (size > 0) random_get(array.dataStart, <usize>size);
    return array;
  }
}
