// Compiles the emulator's test module (probe.as) with AssemblyScript into build/emulator-probe.wasm,
// reusing the cached output while it is newer than the source. Used by the emulator tests and the benchmark.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
/** Absolute path of the compiled probe module. */
export const PROBE_WASM = resolve(here, "../../../../build/emulator-probe.wasm");
const SOURCE = resolve(here, "probe.as");

/** Builds the probe module if it is missing or older than its source; returns its path. */
export async function buildProbe(): Promise<string> {
  if (existsSync(PROBE_WASM) && statSync(PROBE_WASM).mtimeMs >= statSync(SOURCE).mtimeMs) return PROBE_WASM;
  mkdirSync(dirname(PROBE_WASM), { recursive: true });
  const asc = await import("assemblyscript/asc");
  // The source is named probe.as so the repository's TypeScript check skips it; asc gets it as probe.ts.
  const source = readFileSync(SOURCE, "utf8");
  let binary: Uint8Array | undefined;
  const { error, stderr } = await asc.main(
    [
      // An empty config: the repository's asconfig.json (SDK exports and build transform) is for SDK modules.
      "probe.ts",
      "--config",
      "probe-asconfig.json",
      "--outFile",
      "probe.wasm",
      "--runtime",
      "stub",
      "--use",
      "abort=",
      "--exportStart",
      "_initialize",
      "--optimizeLevel",
      "2",
      "--noAssert",
      "--debug",
    ],
    {
      readFile: (name: string, baseDir: string) => {
        if (baseDir === "." || baseDir === "") {
          if (name === "probe.ts") return source;
          if (name === "probe-asconfig.json") return "{}";
        }
        return readOrNull(resolve(baseDir, name));
      },
      writeFile: (name: string, contents: string | Uint8Array) => {
        if (name.endsWith(".wasm") && contents instanceof Uint8Array) binary = contents;
      },
      listFiles: () => [],
    },
  );
  if (error || !binary)
    throw new Error(`building the emulator probe module failed: ${error?.message}\n${stderr.toString()}`);
  // Write then rename, so parallel test workers never read a half-written module.
  const tmp = `${PROBE_WASM}.${process.pid}.tmp`;
  writeFileSync(tmp, binary);
  renameSync(tmp, PROBE_WASM);
  return PROBE_WASM;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}
