// Bad input to `proxy-wasm-as istio …` ends in one error line plus its "Fix:" line, exit code 1, never a stack trace
// (issue #24 item 5): each case runs the real CLI (harness/src/cli/main.ts) as a subprocess, the way a user runs it,
// against files in a temp folder and a loopback server posing as a registry.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as mt from "./media-types.ts";
import { type FakeAnswer, sampleWasm, startFakeRegistry } from "./test-support.ts";

const MAIN = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pwas-istio-cli-errors-"));
const wasmFile = join(dir, "filter.wasm");
const aFile = join(dir, "a-file");
const aliasBomb = join(dir, "bomb.yaml");
writeFileSync(wasmFile, sampleWasm(1024));
writeFileSync(aFile, "not a folder");
mkdirSync(join(dir, "a-folder"));
// "Billion laughs": 9 levels of 9 aliases each would expand to 9^9 strings.
writeFileSync(
  aliasBomb,
  [
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...["b", "c", "d", "e", "f", "g", "h", "i"].map(
      (name, i) => `${name}: &${name} [${Array(9).fill(`*${"abcdefgh"[i]}`).join(",")}]`,
    ),
    "kind: WasmPlugin",
  ].join("\n"),
);

/** A manifest route whose body is `text` (served as an OCI manifest, whatever it holds). */
const manifest = (text: string): FakeAnswer => ({ body: text, contentType: mt.OCI_MANIFEST });
const routes: Record<string, FakeAnswer> = {
  "bad-json/manifests/v1": manifest('{"schemaVersion": 2, "layers": ['),
  "null/manifests/v1": manifest("null"),
  "null-layer/manifests/v1": manifest(JSON.stringify({ schemaVersion: 2, mediaType: mt.OCI_MANIFEST, layers: [null] })),
  "string-layers/manifests/v1": manifest(JSON.stringify({ schemaVersion: 2, mediaType: mt.OCI_MANIFEST, layers: "x" })),
  "dead/manifests/v1": "hang",
};
let registry: Awaited<ReturnType<typeof startFakeRegistry>>;
beforeAll(async () => {
  registry = await startFakeRegistry(routes);
});
afterAll(async () => {
  await registry?.[Symbol.asyncDispose]();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `proxy-wasm-as istio <args>`; resolves with its exit code and everything it printed (stdout then stderr). */
function istio(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, "istio", ...args], { encoding: "utf8", timeout: 80_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

const plugin = ["wasmplugin", "--name", "headers", "--url", "oci://127.0.0.1:5000/headers:v1"];
const cases: [what: string, args: () => string[], message: RegExp][] = [
  [
    "wasmplugin --config @missing",
    () => [...plugin, "--config", `@${join(dir, "missing.json")}`],
    /^error: cannot read --config file .*missing\.json: no such file or folder$/,
  ],
  [
    "wasmplugin --out into a missing folder",
    () => [...plugin, "--out", join(dir, "no-such-folder", "plugin.yaml")],
    /^error: cannot write --out .*no-such-folder\/plugin\.yaml: no such file or folder$/,
  ],
  [
    "wasmplugin --out onto a folder",
    () => [...plugin, "--out", join(dir, "a-folder")],
    /^error: cannot write --out .*a-folder: it is a folder$/,
  ],
  [
    "package --out onto a file",
    () => ["package", wasmFile, "--out", aFile],
    /^error: --out .*a-file is a file, but an OCI image layout is a folder$/,
  ],
  [
    "check on a manifest that is bad JSON",
    () => ["check", `${registry.host}/bad-json:v1`],
    /^error: manifest sha256:[0-9a-f]{64} is not valid JSON \(.*\), so Istio cannot read the image$/,
  ],
  [
    "check on a manifest that is null",
    () => ["check", `${registry.host}/null:v1`],
    /^error: manifest sha256:[0-9a-f]{64} is null, not a JSON object, so Istio cannot read the image$/,
  ],
  [
    "check on a manifest with [null] layers",
    () => ["check", `${registry.host}/null-layer:v1`],
    /^error: manifest sha256:[0-9a-f]{64} has layers\[0\] that is null, not a descriptor/,
  ],
  [
    "check on a manifest whose layers is a string",
    () => ["check", `${registry.host}/string-layers:v1`],
    /^error: manifest sha256:[0-9a-f]{64} has "layers" that is a string, not a list/,
  ],
  [
    "check on a registry that never answers, with --timeout 0.5",
    () => ["check", `${registry.host}/dead:v1`, "--timeout", "0.5"],
    /^error: registry 127\.0\.0\.1:\d+ did not answer GET http:\/\/127\.0\.0\.1:\d+\/v2\/dead\/manifests\/v1 within 0\.5 s$/,
  ],
  [
    "check with a --timeout that is not a number",
    () => ["check", `${registry.host}/dead:v1`, "--timeout", "soon"],
    /^error: --timeout must be a positive number of seconds \(got "soon"\)$/,
  ],
  [
    "check with a --max-layer-bytes that is not a whole number",
    () => ["check", `${registry.host}/dead:v1`, "--max-layer-bytes", "1.5"],
    /^error: --max-layer-bytes must be a positive whole number of bytes \(got "1\.5"\)$/,
  ],
  [
    "envoy on a YAML alias bomb",
    () => ["envoy", aliasBomb],
    /^error: .*bomb\.yaml cannot be read: Excessive alias count .* \(it expands more than 100 YAML aliases\)$/,
  ],
];

describe("istio commands: one error line with a hint, no stack trace", () => {
  test.concurrent.each(cases)(
    "%s",
    async (_what, args, message) => {
      const { code, out } = await istio(...args());
      const lines = out.trimEnd().split("\n");
      expect(out).not.toMatch(/^ {4}at /m);
      expect(lines, out).toHaveLength(2);
      expect(lines[0]).toMatch(message);
      expect(lines[1]).toMatch(/^Fix: \S/);
      expect(code).toBe(1);
    },
    90_000,
  );
});
