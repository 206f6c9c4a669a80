// The CLI's dispatcher and its in-process commands: overview, unknown commands, usage errors, check, init.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { runProxyWasmAs } from "./index.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { print: (t: string) => void out.push(t), info: (t: string) => void err.push(t) }, out, err };
}

describe("proxy-wasm-as", () => {
  test("--help lists every command; no command is a usage error", async () => {
    const { io, out } = capture();
    expect(await runProxyWasmAs(["--help"], io)).toBe(0);
    for (const command of ["init", "build", "run", "check", "bench", "envoy", "istio", "inspect", "list"])
      expect(out.join("\n")).toMatch(new RegExp(`^  ${command} `, "m"));
    expect(await runProxyWasmAs([], capture().io)).toBe(2);
  });

  // Loads every command module (Envoy, Docker, asc and registry code): seconds on a loaded machine.
  test("every command has --help", { timeout: 60_000 }, async () => {
    for (const command of ["init", "build", "run", "check", "bench", "envoy", "istio", "inspect", "list"]) {
      const { io, out } = capture();
      expect(await runProxyWasmAs([command, "--help"], io), command).toBe(0);
      expect(out.join("\n"), command).toMatch(/Usage:/);
    }
  });

  test("an unknown command or option is one line with a hint, exit 2", async () => {
    const { io, err } = capture();
    expect(await runProxyWasmAs(["deploy"], io)).toBe(2);
    expect(err.join("\n")).toBe(
      'error: unknown command "deploy"\nhint: commands: init, build, run, check, bench, envoy, istio, inspect, list, gateway (see `proxy-wasm-as --help`)',
    );
    const second = capture();
    expect(await runProxyWasmAs(["run", "x.wasm", "--bogus"], second.io)).toBe(2);
    expect(second.err.join("\n")).toMatch(/^error: Unknown option '--bogus'.*\nhint: see `proxy-wasm-as run --help`$/s);
  });

  test("check reports a built module as loadable and a missing file with what to do", async () => {
    const { io, out, err } = capture();
    expect(await runProxyWasmAs(["check", resolve("build/quickstart.wasm"), "missing.wasm"], io)).toBe(1);
    expect(out.join("\n")).toContain("quickstart.wasm: loads and starts in Envoy");
    expect(err.join("\n")).toMatch(/missing\.wasm: cannot read it .*`npx proxy-wasm-as build`/);
  });

  test("init writes the project from the templates and refuses a non-empty folder", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "pwas-init-")), "my-filter");
    const { io, out } = capture();
    expect(await runProxyWasmAs(["init", dir, "--no-install"], io)).toBe(0);
    expect(out.join("\n")).toMatch(/next:/);
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(manifest.name).toBe("my-filter");
    expect(manifest.devDependencies["@proxy-wasm-as/harness"]).toMatch(/^\^\d+\.\d+\.\d+/);
    expect(manifest.devDependencies.node).toMatch(/^22\./);
    expect(JSON.parse(readFileSync(join(dir, "asconfig.json"), "utf8")).extends).toBe(
      "./node_modules/@proxy-wasm-as/sdk/asconfig.json",
    );
    expect(readFileSync(join(dir, "test/filter.test.ts"), "utf8")).toContain('"build/my-filter.wasm"');
    expect(existsSync(join(dir, ".gitignore"))).toBe(true);
    expect(readFileSync(join(dir, "assembly/index.ts"), "utf8")).not.toMatch(/\{\{/);

    writeFileSync(join(dir, "assembly/index.ts"), "// mine\n");
    const again = capture();
    expect(await runProxyWasmAs(["init", dir, "--no-install"], again.io)).toBe(2);
    expect(again.err.join("\n")).toMatch(/is not empty\nhint: .*--force/);
    expect(await runProxyWasmAs(["init", dir, "--no-install", "--force"], capture().io)).toBe(0);
    expect(readFileSync(join(dir, "assembly/index.ts"), "utf8")).toBe("// mine\n");
    expect(await runProxyWasmAs(["init", join(dir, "..", "Bad Name"), "--no-install"], again.io)).toBe(2);
  });

  test("init --from takes the SDK and harness from a folder of tarballs, copied into vendor/", async () => {
    const base = mkdtempSync(join(tmpdir(), "pwas-from-"));
    const packs = join(base, "packs");
    mkdirSync(packs);
    const version = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
    writeFileSync(join(packs, `proxy-wasm-as-sdk-${version}.tgz`), "sdk tarball");
    const missing = capture();
    expect(await runProxyWasmAs(["init", join(base, "p1"), "--no-install", "--from", packs], missing.io)).toBe(2);
    expect(missing.err.join("\n")).toMatch(
      new RegExp(
        `has no proxy-wasm-as-harness-${version}\\.tgz \\(it holds: proxy-wasm-as-sdk-${version}\\.tgz\\)\nhint: .*packs/`,
      ),
    );
    writeFileSync(join(packs, `proxy-wasm-as-harness-${version}.tgz`), "harness tarball");
    const { io, out } = capture();
    expect(await runProxyWasmAs(["init", join(base, "p2"), "--no-install", "--from", packs], io)).toBe(0);
    expect(out.join("\n")).toContain("come from vendor/");
    const manifest = JSON.parse(readFileSync(join(base, "p2", "package.json"), "utf8"));
    expect(manifest.devDependencies["@proxy-wasm-as/sdk"]).toBe(`file:vendor/proxy-wasm-as-sdk-${version}.tgz`);
    expect(manifest.devDependencies["@proxy-wasm-as/harness"]).toBe(`file:vendor/proxy-wasm-as-harness-${version}.tgz`);
    expect(manifest.devDependencies.vitest).toMatch(/^\^/);
    expect(readFileSync(join(base, "p2", "vendor", `proxy-wasm-as-harness-${version}.tgz`), "utf8")).toBe(
      "harness tarball",
    );
  });

  test("build outside a filter project says where the filter should be", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pwas-empty-"));
    writeFileSync(join(dir, "package.json"), "{}");
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const { io, err } = capture();
      expect(await runProxyWasmAs(["build"], io)).toBe(1);
      expect(err.join("\n")).toMatch(/no filter found in assembly\nFix: put your filter in assembly\/index\.ts/);
    } finally {
      process.chdir(cwd);
    }
  });
});
