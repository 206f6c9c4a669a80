// Traps of Wasm modules in real Envoy, told in the filter's own source lines. Envoy (1.36 and 1.40 alike) logs
//   [error][wasm] Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable
//   Proxy-Wasm plugin in-VM backtrace:
//     0:  0x185c - ~lib/@proxy-wasm-as/sdk/assembly/dispatch/exports/proxy_on_request_headers
// and prints the backtrace only for modules with a name section. A release module ships without one, so the
// harness gives Envoy a copy with the names the build kept in its map (appended after the code: Envoy runs the
// same code bytes), and maps each frame's offset through the module's source map (harness/src/symbols).
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  envoyBacktraceFrames,
  formatTrap,
  ModuleSymbols,
  readWasmLayout,
  withFunctionNames,
  type SourceFrame,
  type WasmFrame,
} from "../symbols/index.ts";
import { makeEnvoyTempDir } from "./cleanup.ts";
import type { EnvoyConfigSpec } from "./config.ts";
import type { EnvoyLogLine } from "./log.ts";

/** A trap of a Wasm module in Envoy, in the filter's own source terms. */
export interface EnvoyTrap {
  /** The export that trapped, e.g. "proxy_on_request_headers". */
  readonly exportName: string;
  /** Envoy's words for the trap, e.g. "Uncaught RuntimeError: unreachable". */
  readonly reason: string;
  /** The module that trapped (the path the test gave), when it could be told. */
  readonly wasm: string | undefined;
  /** The in-VM backtrace, innermost first, with source lines where the module's map has them. */
  readonly frames: readonly SourceFrame[];
  /** Why the frames are missing or lack source lines, when they do. */
  readonly note: string | undefined;
  /** Envoy's log entry (the failure line and its backtrace). */
  readonly raw: string;
}

const FAILED = /^Function: (\S+) failed: ([^\n]*)/;

/** The export, reason and backtrace of an Envoy "Function: … failed: …" entry, or undefined for any other line. */
export function parseWasmFailure(
  line: EnvoyLogLine,
): { exportName: string; reason: string; frames: WasmFrame[] } | undefined {
  if (line.logger !== "wasm") return undefined;
  const m = FAILED.exec(line.message);
  if (!m) return undefined;
  return { exportName: m[1]!, reason: m[2]!.trim(), frames: envoyBacktraceFrames(line.message) };
}

/** The traps among `lines`, symbolicated with the maps of `modules` (the .wasm paths the test gave). */
export function envoyTraps(lines: readonly EnvoyLogLine[], modules: readonly string[]): EnvoyTrap[] {
  const traps: EnvoyTrap[] = [];
  for (const line of lines) {
    const failure = parseWasmFailure(line);
    if (failure) traps.push(symbolicate(failure, modules, line.raw));
  }
  return traps;
}

function symbolicate(
  failure: { exportName: string; reason: string; frames: WasmFrame[] },
  modules: readonly string[],
  raw: string,
): EnvoyTrap {
  const base = { exportName: failure.exportName, reason: failure.reason, raw };
  if (failure.frames.length === 0) {
    const note =
      "Envoy printed no in-VM backtrace: it prints one only for modules with function names (build with `proxy-wasm-as build`, which keeps them in build/<name>.wasm.map, and keep startEnvoy's `symbols` on)";
    return { ...base, wasm: modules.length === 1 ? modules[0] : undefined, frames: [], note };
  }
  const candidates = modules.flatMap((path) => {
    try {
      return existsSync(path) ? [{ path, symbols: ModuleSymbols.forFile(path) }] : [];
    } catch {
      return [];
    }
  });
  // Several modules: the one whose names at those offsets are the names Envoy printed.
  const owner =
    candidates.length === 1
      ? candidates[0]
      : candidates.find(({ symbols }) =>
          failure.frames.every((f) => {
            const body = symbols.functionAt(f.offset);
            return body !== undefined && (!f.functionName || symbols.functionName(body.index) === f.functionName);
          }),
        );
  if (!owner) {
    const frames = failure.frames.map(
      (f): SourceFrame => ({
        offset: f.offset,
        functionIndex: f.functionIndex,
        wasmFunction: f.functionName,
        function: f.functionName ?? `wasm-function[${f.functionIndex ?? "?"}]`,
        file: undefined,
        line: undefined,
        column: undefined,
        kind: "unknown",
        sourceLine: undefined,
      }),
    );
    return { ...base, wasm: undefined, frames, note: "none of the modules given to Envoy has these functions" };
  }
  return {
    ...base,
    wasm: owner.path,
    frames: owner.symbols.frames(failure.frames),
    note: owner.symbols.missingMapReason,
  };
}

/** A trap as lines: Envoy's headline, then the frames in source lines (and why they lack them, if they do). */
export function formatEnvoyTrap(trap: EnvoyTrap, indent = "  "): string[] {
  const headline = `Function: ${trap.exportName} failed: ${trap.reason}${trap.wasm ? ` (${trap.wasm})` : ""}`;
  return formatTrap(headline, trap.frames, trap.note, { indent });
}

/**
 * The spec Envoy should load: modules without a name section but with names in their map (release builds of
 * `proxy-wasm-as build`) are replaced by a copy with the names appended, in a temporary folder under the same file
 * name (so plugin names are unchanged). Call `cleanup` once Envoy has stopped.
 */
export async function withFunctionNamesForEnvoy(
  spec: EnvoyConfigSpec,
): Promise<{ spec: EnvoyConfigSpec; cleanup: () => Promise<void> }> {
  const copies = new Map<string, string>();
  let dir: string | undefined;
  const files = new Set([
    ...spec.listeners.flatMap((l) => l.filters.map((f) => f.wasm)),
    ...(spec.services ?? []).map((s) => s.wasm),
  ]);
  for (const file of files) {
    const bytes = await readFile(file);
    if (readWasmLayout(bytes).functionNames.size > 0) continue;
    let symbols: ModuleSymbols;
    try {
      symbols = ModuleSymbols.cached(bytes, { wasmPath: file });
    } catch {
      continue; // not a binary we can read: Envoy will say what is wrong with it
    }
    if (symbols.functionNames.size === 0) continue;
    dir ??= makeEnvoyTempDir(); // owned by this process: a killed run's copies are removed by the next start
    const sub = join(dir, String(copies.size));
    const copy = join(sub, basename(file));
    await mkdir(sub, { recursive: true });
    await writeFile(copy, withFunctionNames(bytes, symbols.functionNames));
    copies.set(file, copy);
  }
  const swap = <T extends { wasm: string }>(p: T): T => (copies.has(p.wasm) ? { ...p, wasm: copies.get(p.wasm)! } : p);
  return {
    spec: {
      ...spec,
      listeners: spec.listeners.map((l) => ({ ...l, filters: l.filters.map(swap) })),
      services: spec.services?.map(swap),
    },
    cleanup: async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
