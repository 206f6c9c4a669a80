// Vitest global setup: build every AssemblyScript module (filters and test fixtures) and the emulator's raw-ABI
// probe once before any test, so no test pays (or times out on) a compile.
// The build itself is scripts/build.ts.
// Also makes sure the system tools the packaging tests drive are installed (Debian packages, installed when root;
// otherwise the run stops at once with the one command to run), so that `npm test` works on a fresh machine.
import { existsSync } from "node:fs";
import { type DebianTool, ensureDebianTools } from "@proxy-wasm-as/harness/envoy";

/** Tools the tests run: a real registry (docker-registry), skopeo to read images, openssl for the token server's key. */
const TEST_TOOLS: DebianTool[] = [
  ...(process.env.REGISTRY_BINARY ? [] : [{ command: "docker-registry", package: "docker-registry" }]),
  { command: "skopeo", package: "skopeo" },
  { command: "openssl", package: "openssl" },
];

/** The part of vitest's TestProject this setup reads: is coverage on (`vitest run --coverage`, as `npm test` runs)? */
interface ProjectLike {
  readonly globalConfig?: { readonly coverage?: { readonly enabled?: boolean } };
}

export default async function setup(project?: ProjectLike): Promise<void> {
  ensureDebianTools(TEST_TOOLS, "the packaging tests");
  if (!existsSync(new URL("../scripts/build.ts", import.meta.url))) return;
  const { buildAll } = await import("../scripts/build.ts");
  // With coverage on, the sample filters' coverage builds too (build/coverage/<name>.wasm), which the emulator
  // measures in place of the optimized modules; real Envoy keeps running the optimized ones.
  await buildAll({ quiet: true, coverage: project?.globalConfig?.coverage?.enabled === true });
  const { buildProbe } = await import("../harness/src/emulator/test-support/build-probe.ts");
  await buildProbe();
}
