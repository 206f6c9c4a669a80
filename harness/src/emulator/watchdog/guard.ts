// Instruments a module for the watchdog once per distinct binary (tests load the same file many times).
import { createHash } from "node:crypto";
import { instrumentModule } from "./instrument.ts";
import type { OffsetMap } from "./offset-map.ts";
import { FUEL_SLICE } from "./watchdog.ts";

/** The binary to compile, and how its code offsets map back to the original's (none when it is the original). */
export interface GuardedModule {
  readonly bytes: Uint8Array;
  readonly offsets: OffsetMap | undefined;
}

/** Instrumented binaries by the SHA-256 of the original; bounded, oldest evicted first. */
const cache = new Map<string, GuardedModule>();
const CACHE_ENTRIES = 32;
const warned = new Set<string>();

/**
 * Returns the binary to compile: `bytes` with the watchdog's fuel checks and guarded memory.grow, or `bytes`
 * unchanged (with a process warning, once per module) when the module uses instructions the rewriter does not
 * decode; such a module then runs without a memory ceiling, its deadline checked only at host calls.
 */
export function guardedModule(bytes: Uint8Array, label: string): GuardedModule {
  const key = createHash("sha256").update(bytes).digest("hex");
  const hit = cache.get(key);
  if (hit) return hit;
  const result = instrumentModule(bytes, FUEL_SLICE);
  if (!result.ok) {
    if (!warned.has(key)) {
      warned.add(key);
      process.emitWarning(
        `${label}: runs without the emulator's memory ceiling and with its deadline checked only at host calls (a loop that makes none is not stopped): ${result.reason}`,
        "EmulatorWatchdogWarning",
      );
    }
    return { bytes, offsets: undefined };
  }
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  const guarded = { bytes: result.bytes, offsets: result.offsets };
  cache.set(key, guarded);
  return guarded;
}
