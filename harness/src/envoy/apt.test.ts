// The decision of ensureDebianTools: which tools are missing from a given PATH, and install vs. how-to.
// Real commands on a real PATH: an empty folder has none of them, a folder with an executable has that one.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { type DebianTool, ensureDebianTools, hasCommand, planDebianTools } from "./apt.ts";
import { EnvoyHarnessError } from "./errors.ts";

const TOOLS: DebianTool[] = [
  { command: "docker-registry", package: "docker-registry" },
  { command: "skopeo", package: "skopeo" },
  { command: "openssl", package: "openssl" },
];
const emptyDir = mkdtempSync(join(tmpdir(), "apt-empty-"));
const oneToolDir = mkdtempSync(join(tmpdir(), "apt-one-"));
writeFileSync(join(oneToolDir, "skopeo"), "#!/bin/sh\nexit 0\n");
chmodSync(join(oneToolDir, "skopeo"), 0o755);
afterAll(() => {
  rmSync(emptyDir, { recursive: true, force: true });
  rmSync(oneToolDir, { recursive: true, force: true });
});

describe("planDebianTools", () => {
  test("a PATH without the tools: all missing; not root → the one apt-get command to run", () => {
    const plan = planDebianTools(TOOLS, { path: emptyDir, canInstall: false, hasApt: true });
    expect(plan.action).toBe("instructions");
    if (plan.action !== "instructions") return;
    expect(plan.missing.map((t) => t.command)).toEqual(["docker-registry", "skopeo", "openssl"]);
    expect(plan.howTo).toBe("run `sudo apt-get install -y --no-install-recommends docker-registry skopeo openssl`");
  });

  test("only what is missing from PATH is asked for", () => {
    const plan = planDebianTools(TOOLS, { path: oneToolDir, canInstall: false, hasApt: true });
    expect(plan.action === "instructions" && plan.missing.map((t) => t.command)).toEqual([
      "docker-registry",
      "openssl",
    ]);
  });

  test("root with apt-get → install, each package once", () => {
    const plan = planDebianTools(
      [...TOOLS, { command: "h2load", package: "nghttp2-client" }, { command: "nghttpx", package: "nghttp2-client" }],
      {
        path: emptyDir,
        canInstall: true,
      },
    );
    expect(plan).toMatchObject({
      action: "install",
      packages: ["docker-registry", "skopeo", "openssl", "nghttp2-client"],
    });
  });

  test("no apt-get → names the packages for another package manager", () => {
    const plan = planDebianTools(TOOLS.slice(1), { path: emptyDir, canInstall: false, hasApt: false });
    expect(plan.action === "instructions" && plan.howTo).toBe(
      "install skopeo, openssl with your system's package manager (Debian/Ubuntu package names)",
    );
  });

  test("everything on PATH → nothing to do (sh is on every PATH here)", () => {
    expect(hasCommand("sh")).toBe(true);
    expect(planDebianTools([{ command: "sh", package: "dash" }])).toEqual({ action: "none" });
  });
});

describe("ensureDebianTools", () => {
  test("not root and a tool missing: an EnvoyHarnessError whose hint is the command", () => {
    let error: unknown;
    try {
      ensureDebianTools(TOOLS, "the packaging tests", { path: oneToolDir, canInstall: false, hasApt: true });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvoyHarnessError);
    expect((error as EnvoyHarnessError).message.split("\n")[0]).toBe(
      "the packaging tests need docker-registry, openssl, which are not installed",
    );
    expect((error as EnvoyHarnessError).hint).toBe(
      "run `sudo apt-get install -y --no-install-recommends docker-registry openssl`",
    );
  });

  test("nothing missing: returns without touching apt", () => {
    expect(() =>
      ensureDebianTools([{ command: "skopeo", package: "skopeo" }], "x", { path: oneToolDir, canInstall: false }),
    ).not.toThrow();
  });
});
