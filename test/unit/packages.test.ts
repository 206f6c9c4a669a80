// The published packages pass publint and @arethetypeswrong/cli (scripts/lint-packages.ts packs them as
// `npm publish` would and lints the tarballs). A package.json, exports or declaration mistake fails this test.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

test("npm run lint:packages: publint (harness, sdk, create-proxy-wasm-as), attw and the API reports (harness) report no problem", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ["scripts/lint-packages.ts"], {
    cwd: ROOT,
    maxBuffer: 16 << 20,
  }).catch((error: { stdout: string; stderr: string }) => {
    throw new Error(`lint:packages failed:\n${error.stdout.slice(-4000)}\n${error.stderr.slice(-2000)}`);
  });
  expect(stdout).toContain("packages: publint, attw and the API reports pass");
  expect(stdout.match(/All good!/g)).toHaveLength(3); // one "All good!" per publinted package
}, 300_000);
