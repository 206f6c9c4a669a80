// Nothing survives: a harness process killed with SIGKILL leaves its Envoy behind, and the next start removes it.
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, test } from "vitest";
import { listEnvoyContainers, listEnvoyProcesses } from "@proxy-wasm-as/harness";
import { RUNNERS } from "./support.ts";

const HOLDER = resolve("test/envoy/fixtures/hold-envoy.ts");

/** Runs the holder child and resolves with its pid and first JSON line. */
function runHolder(runner: string, mode: "hold" | "once"): Promise<{ pid: number; line: Record<string, unknown>; exited: Promise<void> }> {
  const child = spawn(process.execPath, [HOLDER, runner, mode], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
  return new Promise((ok, fail) => {
    createInterface({ input: child.stdout }).once("line", (line) => ok({ pid: child.pid!, line: JSON.parse(line), exited }));
    child.once("exit", (code) => fail(new Error(`holder exited with ${code} before reporting`)));
  });
}

describe.each(RUNNERS)("leftovers of a killed run (%s runner)", (runner) => {
  test("are removed by the next start", async () => {
    const killed = await runHolder(runner, "hold");
    expect(killed.line.ready).toBe(true);
    process.kill(killed.pid, "SIGKILL");
    await killed.exited;

    // The killed run left its Envoy behind…
    if (runner === "container") expect(await listEnvoyContainers(killed.pid)).toHaveLength(1);
    else expect(listEnvoyProcesses(killed.pid).map((p) => p.alive)).toEqual([true]);

    // …and the next start (a fresh harness process) removes it, leaving nothing of its own either.
    const next = await runHolder(runner, "once");
    expect(next.line.done).toBe(true);
    await next.exited;
    if (runner === "container") {
      expect(await listEnvoyContainers(killed.pid)).toHaveLength(0);
      expect(await listEnvoyContainers(next.pid)).toHaveLength(0);
    } else {
      expect(listEnvoyProcesses(killed.pid)).toHaveLength(0);
      expect(listEnvoyProcesses(next.pid)).toHaveLength(0);
    }
  });

  test("SIGTERM to a harness process stops its Envoy before it exits", async () => {
    const holder = await runHolder(runner, "hold");
    process.kill(holder.pid, "SIGTERM");
    await holder.exited;
    if (runner === "container") expect(await listEnvoyContainers(holder.pid)).toHaveLength(0);
    else expect(listEnvoyProcesses(holder.pid)).toHaveLength(0);
  });
});
