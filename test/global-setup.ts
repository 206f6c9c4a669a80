// Vitest global setup: build every AssemblyScript module (filters and test fixtures) once before any test.
// Owned by the SDK/build room; see scripts/build.ts.
import { existsSync } from "node:fs";

export default async function setup(): Promise<void> {
  if (!existsSync(new URL("../scripts/build.ts", import.meta.url))) return;
  const { buildAll } = await import("../scripts/build.ts");
  await buildAll({ quiet: true });
}
