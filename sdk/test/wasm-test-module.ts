// For tests of SDK parts that are plain AssemblyScript (crypto, protobuf, the id table): compiles a small test
// entry in memory with asc's JS API, next to the code it imports, and instantiates it; plus the marshalling of
// bytes and strings in and out of the module's managed objects. The repository's filter asconfig (SDK exports,
// proxy_log abort) is deliberately not applied: these modules import nothing but `env.abort`.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/** A pointer into the test module's linear memory (a managed object's data). */
export type Pointer = number;

/** What a test entry must export for the marshalling helpers. */
export interface ManagedMemoryExports {
  memory: WebAssembly.Memory;
  /** `export function newBuffer(length: i32): ArrayBuffer { return new ArrayBuffer(length); }` */
  newBuffer(length: number): Pointer;
  /** `export function newString(units: i32): string { return changetype<string>(__new(<usize>units << 1, idof<string>())); }` */
  newString(units: number): Pointer;
}

/** The two exports the marshalling helpers need, as AssemblyScript source to paste into a test entry. */
export const MANAGED_MEMORY_EXPORTS = `
export function newBuffer(length: i32): ArrayBuffer { return new ArrayBuffer(length); }
export function newString(units: i32): string { return changetype<string>(__new(<usize>units << 1, idof<string>())); }
`;

/**
 * Compiles `source` as if it were the file `name` in folder `dir` (so its relative imports resolve there) with
 * the stub runtime, -O3 and `extraArgs`, and instantiates it; an `abort` becomes a JS exception.
 */
export async function compileTestModule<T>(
  dir: string,
  name: string,
  source: string,
  extraArgs: string[] = [],
): Promise<T> {
  const asc = await import("assemblyscript/asc");
  const entry = resolve(dir, `${name}-test-entry.ts`);
  const emptyConfig = resolve(dir, `${name}-test-asconfig.json`);
  let binary: Uint8Array | undefined;
  const { error, stderr } = await asc.main(
    [
      entry,
      "--config",
      emptyConfig,
      "--outFile",
      `${name}.wasm`,
      "--runtime",
      "stub",
      "--optimizeLevel",
      "3",
      "--initialMemory",
      "40",
      ...extraArgs,
    ],
    {
      readFile: (file: string, baseDir: string) => {
        const path = resolve(baseDir, file);
        if (path === entry) return source;
        if (path === emptyConfig) return "{}";
        try {
          return readFileSync(path, "utf8");
        } catch {
          return null;
        }
      },
      writeFile: (file: string, contents: string | Uint8Array) => {
        if (file.endsWith(".wasm") && contents instanceof Uint8Array) binary = contents;
      },
      listFiles: () => [],
    },
  );
  if (error || !binary)
    throw new Error(`compiling the ${name} test module failed: ${error?.message}\n${stderr.toString()}`);
  const { instance } = await WebAssembly.instantiate(binary as Uint8Array<ArrayBuffer>, {
    env: {
      abort: () => {
        throw new Error("AssemblyScript abort");
      },
    },
  });
  return instance.exports as unknown as T;
}

/** Copies bytes and strings into and out of a test module's managed objects. */
export class ManagedMemory {
  private readonly wasm: ManagedMemoryExports;
  constructor(wasm: ManagedMemoryExports) {
    this.wasm = wasm;
  }

  /** Byte length of a managed object (AssemblyScript keeps it in the header word just before the data). */
  size(pointer: Pointer): number {
    return new Uint32Array(this.wasm.memory.buffer, pointer - 4, 1)[0]!;
  }

  /** A new ArrayBuffer in the module holding `bytes`. */
  bytesIn(bytes: Uint8Array): Pointer {
    const pointer = this.wasm.newBuffer(bytes.length);
    new Uint8Array(this.wasm.memory.buffer, pointer, bytes.length).set(bytes);
    return pointer;
  }

  /** A copy of the module's ArrayBuffer at `pointer`. */
  bytesOut(pointer: Pointer): Buffer {
    return Buffer.from(new Uint8Array(this.wasm.memory.buffer, pointer, this.size(pointer)));
  }

  /** A new string in the module holding `text` (UTF-16 units as they are). */
  stringIn(text: string): Pointer {
    const pointer = this.wasm.newString(text.length);
    const units = new Uint16Array(this.wasm.memory.buffer, pointer, text.length);
    for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
    return pointer;
  }

  /** The module's string at `pointer`. */
  stringOut(pointer: Pointer): string {
    const units = new Uint16Array(this.wasm.memory.buffer, pointer, this.size(pointer) / 2);
    let out = "";
    for (let i = 0; i < units.length; i += 4096) out += String.fromCharCode(...units.subarray(i, i + 4096));
    return out;
  }
}
