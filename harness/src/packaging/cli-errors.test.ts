// Bad input to `proxy-wasm-as istio …` (and `inspect`, `list`) ends in one error line plus its "Fix:" line, exit code 1, never a stack trace
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
  // inspect / list: what a hostile or unusual registry serves.
  "notes/manifests/v1": manifest(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mt.OCI_MANIFEST,
      layers: [{ mediaType: "text/plain", digest: `sha256:${"a".repeat(64)}`, size: 1 }],
    }),
  ),
  "_catalog?n=100": {
    status: 401,
    body: '{"errors":[{"code":"UNAUTHORIZED"}]}',
    headers: { "www-authenticate": 'Basic realm="registry"' },
  },
  "away/tags/list?n=100": {
    body: JSON.stringify({ name: "away", tags: ["a"] }),
    contentType: "application/json",
    headers: { link: '<http://169.254.169.254/v2/away/tags/list?n=100&last=a>; rel="next"' },
  },
  "huge/tags/list?n=100": {
    body: JSON.stringify({ tags: Array(200_000).fill("latest") }),
    contentType: "application/json",
  },
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
  return proxyWasmAs("istio", ...args);
}

/** Runs `proxy-wasm-as <args>` (see {@link istio}). */
function proxyWasmAs(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: "utf8", timeout: 80_000 }, (err, stdout, stderr) =>
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

// `inspect` and `list`: registry trouble is one error line and a Fix line (exit 1); bad flags a hint (exit 2).
const registryCases: [what: string, args: () => string[], message: RegExp, fix: RegExp, code: number][] = [
  [
    "list on an unreachable registry",
    () => ["list", "127.0.0.1:1"],
    /^error: cannot reach registry 127\.0\.0\.1:1 \(GET http:\/\/127\.0\.0\.1:1\/v2\/_catalog\?n=100\): /,
    /^Fix: check the registry address and that it is running/,
    1,
  ],
  [
    "list on a registry that wants credentials",
    () => ["list", registry.host],
    /^error: registry 127\.0\.0\.1:\d+ refused access to its catalog: it requires credentials$/,
    /^Fix: pass --username and --password/,
    1,
  ],
  [
    "inspect on an image that is not a proxy-wasm image",
    () => ["inspect", `${registry.host}/notes:v1`],
    /^error: 127\.0\.0\.1:\d+\/notes:v1 is not a proxy-wasm image \(no module facts; layers: text\/plain\)$/,
    /^Fix: push filters with `proxy-wasm-as istio push <file\.wasm> <reference>`.*--verify reads the module/,
    1,
  ],
  [
    "inspect on a missing tag",
    () => ["inspect", `${registry.host}/nothing:v9`],
    /^error: manifest 127\.0\.0\.1:\d+\/nothing:v9 not found$/,
    /^Fix: check the repository and tag/,
    1,
  ],
  [
    "inspect on a registry that never answers, with --timeout 0.5",
    () => ["inspect", `${registry.host}/dead:v1`, "--timeout", "0.5"],
    /^error: registry 127\.0\.0\.1:\d+ did not answer GET .*\/v2\/dead\/manifests\/v1 within 0\.5 s$/,
    /^Fix: check that the registry is up/,
    1,
  ],
  [
    "list whose next page points at another host",
    () => ["list", `${registry.host}/away`],
    /^error: registry 127\.0\.0\.1:\d+ sent a next-page link to another origin \(http:\/\/169\.254\.169\.254\)$/,
    /^Fix: a registry's pages stay on the registry/,
    1,
  ],
  [
    "list whose tags page is over the size limit",
    () => ["list", `${registry.host}/huge`],
    /^error: the tags list from 127\.0\.0\.1:\d+ is \d+ bytes, over the limit of 1048576 bytes$/,
    /^Fix: the registry ignored the page size \(n=100\)/,
    1,
  ],
  [
    "list with an address that is not a registry",
    () => ["list", "filters"],
    /^error: "filters" is not a registry address$/,
    /^Fix: write it as host\[:port\] or host\[:port\]\/prefix/,
    1,
  ],
  [
    "list with --max-tags 0",
    () => ["list", registry.host, "--max-tags", "0"],
    /^error: --max-tags must be a whole number from 1 to 10000 \(got "0"\)$/,
    /^hint: e\.g\. --max-tags 20$/,
    2,
  ],
];

describe("inspect and list: one error line with a hint, no stack trace", () => {
  test.concurrent.each(registryCases)(
    "%s",
    async (_what, args, message, fix, exitCode) => {
      const { code, out } = await proxyWasmAs(...args());
      // `list` shows progress ("reading <repository> (1/1)") before the error.
      const lines = out
        .trimEnd()
        .split("\n")
        .filter((line) => !line.startsWith("reading "));
      expect(out).not.toMatch(/^ {4}at /m);
      expect(lines, out).toHaveLength(2);
      expect(lines[0]).toMatch(message);
      expect(lines[1]).toMatch(fix);
      expect(code).toBe(exitCode);
    },
    90_000,
  );
});
