// Packs the published packages exactly as `npm publish` would (the harness builds itself through prepack) and lints
// the tarballs: publint (package.json fields, exports, files) for all three (sdk, harness, create-proxy-wasm-as), and @arethetypeswrong/cli for the harness
// (types and JavaScript resolve for every subpath under Node16 ESM and bundlers; it is ESM-only, so the CommonJS
// and node10 resolutions are out of scope). The SDK is AssemblyScript source and create-proxy-wasm-as is only a bin, so attw does not apply to them.
// Then checks that the harness's API reports (harness/api/, scripts/api-report.ts) match what the pack built.
//   npm run lint:packages          (also run by test/unit/packages.test.ts)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const PACKAGES = [
  { workspace: "harness", tarball: "proxy-wasm-as-harness-0.1.0.tgz", attw: true },
  { workspace: "sdk", tarball: "proxy-wasm-as-sdk-0.1.0.tgz", attw: false },
  { workspace: "create-proxy-wasm-as", tarball: "create-proxy-wasm-as-0.1.0.tgz", attw: false },
];

const out = mkdtempSync(join(tmpdir(), "pwas-pack-"));
const failures: string[] = [];
const run = (what: string, command: string, args: string[]) => {
  console.log(`\n$ ${what}`);
  try {
    execFileSync(command, args, { cwd: ROOT, stdio: "inherit" });
  } catch {
    failures.push(what);
  }
};
try {
  execFileSync(
    "npm",
    ["pack", "--silent", "--pack-destination", out, ...PACKAGES.flatMap((p) => ["-w", p.workspace])],
    { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
  );
  for (const pkg of PACKAGES) {
    const tarball = join(out, pkg.tarball);
    run(`publint ${pkg.tarball}`, join(BIN, "publint"), ["run", tarball, "--strict"]);
    if (pkg.attw) run(`attw ${pkg.tarball}`, join(BIN, "attw"), [tarball, "--profile", "esm-only"]);
  }
  // The pack has just built harness/dist (prepack): its public API must match the committed reports.
  run("api-report --check (harness/api/)", process.execPath, [
    join(ROOT, "scripts/api-report.ts"),
    "--check",
    "--no-build",
  ]);
} finally {
  rmSync(out, { recursive: true, force: true });
}
console.log(
  failures.length === 0
    ? "\npackages: publint, attw and the API reports pass"
    : `\npackages: FAILED: ${failures.join("; ")}`,
);
process.exitCode = failures.length === 0 ? 0 : 1;
