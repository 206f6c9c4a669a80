// Vitest global setup: build every AssemblyScript module (filters and test fixtures) and the emulator's raw-ABI
// probe once before any test, so no test pays (or times out on) a compile.
// Owned by the SDK/build room; see scripts/build.ts.
import { existsSync } from "node:fs";

export default async function setup(): Promise<void> {
  if (!existsSync(new URL("../scripts/build.ts", import.meta.url))) return;
  const { buildAll } = await import("../scripts/build.ts");
  await buildAll({ quiet: true });
  const { buildProbe } = await import("../harness/src/emulator/test-support/build-probe.ts");
  await buildProbe();
}
