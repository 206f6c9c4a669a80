// Prints the compatibility table of the last differential run over every suite (scenario × Envoy version →
// pass / diverged-known / diverged), from the results each *.envoy.test.ts file saved in build/differential/.
//   node test/differential/table.ts
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const dir = resolve("build/differential");
if (!existsSync(dir)) {
  console.error("no results yet: run `npx vitest run --project envoy test/differential` first");
  process.exit(1);
}
interface Row {
  scenario: string;
  version: string;
  verdict: string;
  known: string[];
}
const rows: Row[] = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .flatMap((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Row[]);
const versions = [...new Set(rows.map((r) => r.version))].sort();
const scenarios = [...new Set(rows.map((r) => r.scenario))].sort();
const width = Math.max(...scenarios.map((s) => s.length)) + 2;
console.log(`${"scenario".padEnd(width)}${versions.map((v) => v.padEnd(16)).join("")}known divergence`);
for (const scenario of scenarios) {
  const cells = versions.map((v) => rows.find((r) => r.scenario === scenario && r.version === v));
  const known = [...new Set(cells.flatMap((c) => c?.known ?? []))].join(", ");
  console.log(`${scenario.padEnd(width)}${cells.map((c) => (c?.verdict ?? "-").padEnd(16)).join("")}${known}`);
}
for (const v of versions) {
  const mine = rows.filter((r) => r.version === v);
  const count = (verdict: string) => mine.filter((r) => r.verdict === verdict).length;
  console.log(
    `Envoy ${v}: ${mine.length} scenarios, ${count("pass")} pass, ${count("diverged-known")} diverged-known, ${count("diverged")} diverged`,
  );
}
