// Records the attribute table of every Envoy version of the matrix: `node test/differential/record-attributes.ts`
// (or `… 1.36.4`). Runs the attribute scenarios (attributes.scenarios.ts) in real Envoy and writes
// test/differential/attributes/<version>.json, which attributes.test.ts replays against the emulator.
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { EnvoySuite } from "@proxy-wasm-as/harness/scenario";
import { type AttributeTable, attributeRows } from "./attribute-table.ts";
import { attributeScenarios } from "./attributes.scenarios.ts";
import { DIFF_VERSIONS, PROBE_WASM } from "./settings.ts";

/** Where the tables live. */
export const ATTRIBUTE_TABLES_DIR = resolve("test/differential/attributes");

const versions = process.argv.slice(2).length > 0 ? process.argv.slice(2) : DIFF_VERSIONS;
for (const version of versions) {
  const suite = await EnvoySuite.start(attributeScenarios, { wasm: PROBE_WASM, version });
  try {
    const rows = [];
    for (const scenario of attributeScenarios) {
      const prefix = scenario.kind === "tcp" ? "tcp:" : "http:";
      rows.push(...attributeRows(suite.startupEvents(scenario), prefix));
      const observation = await suite.run(scenario);
      rows.push(
        ...attributeRows(
          observation.exchanges.flatMap((e) => e.events),
          prefix,
        ),
      );
    }
    const unique = new Map(rows.map((r) => [`${r.phase} ${r.attribute}`, r]));
    const table: AttributeTable = { source: `envoy-${suite.envoy.version}`, rows: [...unique.values()] };
    const path = join(ATTRIBUTE_TABLES_DIR, `${suite.envoy.version}.json`);
    writeFileSync(path, `${JSON.stringify(table, null, 1)}\n`);
    const found = table.rows.filter((r) => r.status === 0).length;
    console.log(`Envoy ${suite.envoy.version}: ${table.rows.length} rows (${found} answered) in ${path}`);
  } finally {
    await suite.stop();
  }
}
