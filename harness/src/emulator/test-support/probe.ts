// Loads the probe module (probe.as) with a callback script, for emulator tests.
import { readFileSync } from "node:fs";
import { Emulator, type EmulatorOptions } from "../emulator.ts";
import { buildProbe } from "./build-probe.ts";

let bytes: Uint8Array | undefined;

/** Probe module bytes (built once per process). */
export async function probeBytes(): Promise<Uint8Array> {
  bytes ??= readFileSync(await buildProbe());
  return bytes;
}

/** Loads the probe with `script` lines (`<callback>: <cmd>; <cmd>`) as its plugin configuration. */
export async function loadProbe(script: readonly string[], options: EmulatorOptions = {}): Promise<Emulator> {
  return Emulator.fromBytes(await probeBytes(), { label: "probe", ...options, pluginConfig: script.join("\n") });
}

/** Log lines produced by the probe's commands (`<callback> <cmd> -> <status> [value]`) that start with `prefix`. */
export function results(emu: Emulator, prefix: string): string[] {
  return emu.logMessages().filter((m) => m.startsWith(prefix) && m.includes(" -> "));
}
