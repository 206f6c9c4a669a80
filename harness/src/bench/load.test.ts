// Which load generator `proxy-wasm-as bench` uses, decided as on a user's machine: wrk when it is on PATH, else
// undici with the reason, the one command that installs wrk, and what measuring with undici means.
import { mkdtempSync, symlinkSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { UNDICI_CAVEAT, chooseLoadTool } from "./load.ts";

/** A PATH with only /bin/sh (what planDebianTools needs to look commands up) and, if asked, a fake wrk. */
function pathWith(commands: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "pwas-path-"));
  for (const command of commands) symlinkSync("/bin/true", join(dir, command));
  return dir;
}

describe("chooseLoadTool", () => {
  test("without wrk and without the right to install it: undici, with the command to run and the caveat", () => {
    const choice = chooseLoadTool("auto", "proxy-wasm-as bench", {
      path: pathWith([]),
      canInstall: false,
      hasApt: true,
    });
    expect(choice.tool).toBe("undici");
    expect(choice.fallback).toBe(
      `wrk is not installed, so the load comes from undici instead. ${UNDICI_CAVEAT} For trustworthy figures, run \`sudo apt-get install -y --no-install-recommends wrk\` and run again.`,
    );
    expect(choice.pinning).toBeUndefined(); // no taskset on that PATH either
  });

  test("--load wrk without wrk is an error with the same command, never a silent fallback", () => {
    expect(() =>
      chooseLoadTool("wrk", "proxy-wasm-as bench", { path: pathWith([]), canInstall: false, hasApt: true }),
    ).toThrow(/proxy-wasm-as bench need wrk, which is not installed/);
  });

  test("wrk on PATH is used; --load undici is honoured and says what it means", () => {
    const wrk = chooseLoadTool("auto", "x", { path: pathWith(["wrk"]), canInstall: false });
    expect(wrk.tool).toBe("wrk");
    expect(wrk.fallback).toBeUndefined();
    const undici = chooseLoadTool("undici", "x", { path: pathWith(["wrk"]) });
    expect(undici.tool).toBe("undici");
    expect(undici.fallback).toContain("(--load undici)");
  });

  test("with taskset on PATH and two or more CPUs, Envoy and wrk get a core each", () => {
    const choice = chooseLoadTool("auto", "x", { path: pathWith(["wrk", "taskset"]) });
    expect(choice.pinning).toEqual(cpus().length >= 2 ? { envoy: "0", load: "1" } : undefined);
  });
});
