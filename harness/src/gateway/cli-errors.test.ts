// Bad input to `proxy-wasm-as gateway …` ends in one error line plus its hint line, never a stack trace: each case
// runs the real CLI (harness/src/cli/main.ts) as a subprocess, the way a user runs it, against files in a temp folder.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { sampleWasm } from "../packaging/test-support.ts";

const MAIN = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pwas-gateway-cli-errors-"));
const wasmFile = join(dir, "filter.wasm");
writeFileSync(wasmFile, sampleWasm(1024));
writeFileSync(join(dir, "list.yaml"), "- a\n- b\n");
writeFileSync(join(dir, "broken.yaml"), "name: [\n");
mkdirSync(join(dir, "a-folder"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `proxy-wasm-as gateway <args>`; resolves with its exit code and everything it printed (stdout then stderr). */
function gateway(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, "gateway", ...args],
      { encoding: "utf8", timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

const policy = [
  "policy",
  "--name",
  "headers",
  "--url",
  "https://wasm.example.com/h.wasm",
  "--target-ref",
  "Gateway/eg",
];
/** [what, arguments, first line, exit code]. */
const cases: [what: string, args: () => string[], message: RegExp, code: number][] = [
  ["an unknown gateway command", () => ["deploy"], /^error: unknown gateway command "deploy"$/, 2],
  ["an unknown flag", () => [...policy, "--root", "x"], /^error: Unknown option '--root'/, 2],
  ["a positional argument", () => [...policy, "build/h.wasm"], /^error: unexpected argument "build\/h\.wasm"$/, 2],
  [
    "--target-ref without a name",
    () => [...policy, "--target-ref", "Gateway"],
    /^error: --target-ref "Gateway" is not \[group\/\]Kind\/name\[:sectionName\]$/,
    2,
  ],
  [
    "--code-type OCI",
    () => [...policy, "--code-type", "OCI"],
    /^error: --code-type must be HTTP or Image \(got "OCI"\)$/,
    2,
  ],
  [
    "--wasm that does not exist",
    () => [...policy, "--wasm", join(dir, "missing.wasm")],
    /^error: cannot read --wasm .*missing\.wasm: no such file or folder$/,
    1,
  ],
  [
    "--config that is not JSON",
    () => [...policy, "--config", "{header: x}"],
    /^error: --config is not valid JSON: /,
    1,
  ],
  [
    "--config @missing",
    () => [...policy, "--config", `@${join(dir, "missing.json")}`],
    /^error: cannot read --config file .*missing\.json: /,
    1,
  ],
  [
    "--metadata that is a YAML list",
    () => [...policy, "--metadata", join(dir, "list.yaml")],
    /^error: --metadata .*list\.yaml is not a JSON\/YAML object$/,
    1,
  ],
  [
    "--metadata that is not YAML",
    () => [...policy, "--metadata", join(dir, "broken.yaml")],
    /^error: cannot read --metadata .*broken\.yaml: /,
    1,
  ],
  [
    "--out onto a folder",
    () => [...policy, "--out", join(dir, "a-folder")],
    /^error: cannot write --out .*a-folder: it is a folder$/,
    1,
  ],
  [
    "an image with --wasm",
    () => [
      "policy",
      "--name",
      "h",
      "--url",
      "registry.example.com/f/h:v1",
      "--wasm",
      wasmFile,
      "--target-ref",
      "Gateway/eg",
    ],
    /^error: a module file gives the sha256 of an HTTP code source, not of an image$/,
    1,
  ],
  [
    "--sha256 that is not the module's",
    () => [...policy, "--wasm", wasmFile, "--sha256", "0".repeat(64)],
    /^error: sha256 0{64} is not the module's: its sha256 is [0-9a-f]{64}$/,
    1,
  ],
];

describe("gateway commands: one error line with a hint, no stack trace", () => {
  test.concurrent.each(cases)(
    "%s",
    async (_what, args, message, exitCode) => {
      const { code, out } = await gateway(...args());
      const lines = out.trimEnd().split("\n");
      expect(out).not.toMatch(/^ {4}at /m);
      expect(lines, out).toHaveLength(2);
      expect(lines[0]).toMatch(message);
      expect(lines[1]).toMatch(/^(Fix|hint): \S/);
      expect(code).toBe(exitCode);
    },
    90_000,
  );

  test("a policy the CRD refuses: the error lists each field, then the hint", async () => {
    const { code, out } = await gateway(...policy.slice(0, -1), "Service/web");
    expect(code).toBe(1);
    expect(out.trimEnd().split("\n")).toEqual([
      expect.stringMatching(/^error: invalid EnvoyExtensionPolicy "headers" for Envoy Gateway v\d+\.\d+\.\d+:$/),
      '  - spec: Invalid value: "object": this policy can only have a targetRefs[*].kind of Gateway/ListenerSet/HTTPRoute/GRPCRoute/TCPRoute/UDPRoute/TLSRoute',
      expect.stringMatching(
        /^Fix: fix the listed fields \(checked against the EnvoyExtensionPolicy CRD of github\.com\/envoyproxy\/gateway@v/,
      ),
    ]);
  });

  test("without a subcommand: the usage and exit code 2", async () => {
    const { code, out } = await gateway();
    expect(code).toBe(2);
    expect(out).toContain("policy");
  });
});
