// Replays the attribute table recorded from real Envoy (test/differential/attributes/<version>.json, written by
// record-attributes.ts) against the emulator: for every attribute Envoy documents and every phase of a Wasm filter
// (VM start, configure, the HTTP callbacks, the TCP callbacks), the emulator must answer when Envoy answers, with the
// same status when Envoy does not, with Envoy's type and encoding, and with Envoy's bytes where the value does not
// change from run to run (time, ids, ports and addresses are checked by type and encoding only).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { normaliseEvent, probeConfig, runOnEmulator, type Scenario } from "@proxy-wasm-as/harness/scenario";
import { type AttributeRow, type AttributeTable, attributeRows } from "./attribute-table.ts";
import { attributeScenarios } from "./attributes.scenarios.ts";
import { DIFF_VERSIONS, PROBE_WASM } from "./settings.ts";

const TABLES_DIR = "test/differential/attributes";

/** The emulator's rows for `scenario`: start-up (VM start, configure) and every exchange. */
async function emulatorRows(scenario: Scenario): Promise<AttributeRow[]> {
  const prefix = scenario.kind === "tcp" ? "tcp:" : "http:";
  const emu = await Emulator.load(PROBE_WASM, {
    pluginName: scenario.id,
    vmId: scenario.id,
    pluginConfig: probeConfig(scenario),
    vmConfig: scenario.plugin?.vmConfiguration as string | undefined,
    logLevel: "debug",
  });
  const startup = attributeRows(
    emu.logs.map((l) => normaliseEvent(l.message, scenario.id)),
    prefix,
  );
  const observation = await runOnEmulator(scenario, { wasm: PROBE_WASM });
  return [
    ...startup,
    ...attributeRows(
      observation.exchanges.flatMap((e) => e.events),
      prefix,
    ),
  ];
}

/** The Envoy backend names a scenario's clusters "<scenario>.<name>"; the emulator's are "<name>". */
function withoutClusterPrefix(row: AttributeRow): AttributeRow {
  if (row.attribute !== "xds.cluster_name" || row.hex === undefined) return row;
  const name = Buffer.from(row.hex, "hex")
    .toString()
    .replace(/^attr-(http|tcp)\./, "");
  return { ...row, hex: Buffer.from(name).toString("hex") };
}

const emulator = new Map<string, AttributeRow>();
const ready = (async () => {
  for (const scenario of attributeScenarios)
    for (const row of await emulatorRows(scenario)) emulator.set(`${row.phase} ${row.attribute}`, row);
})();

describe.each(DIFF_VERSIONS)("the attribute table of Envoy %s, replayed on the emulator", (version) => {
  const table = JSON.parse(readFileSync(join(TABLES_DIR, `${version}.json`), "utf8")) as AttributeTable;

  test("every attribute in every phase: presence, status, type, encoding, and the value where it is stable", async () => {
    await ready;
    const mismatches: string[] = [];
    let answered = 0;
    let missing = 0;
    for (const recorded of table.rows.map(withoutClusterPrefix)) {
      const mine = emulator.get(`${recorded.phase} ${recorded.attribute}`);
      const where = `${recorded.phase} ${recorded.attribute}`;
      if (!mine) {
        mismatches.push(`${where}: the emulator never ran this phase`);
        continue;
      }
      if (recorded.status === 0) answered++;
      if (recorded.status === 0 && mine.status !== 0) missing++;
      if (mine.status !== recorded.status) {
        mismatches.push(`${where}: status ${mine.status}, Envoy ${recorded.status}`);
        continue;
      }
      if (recorded.status !== 0) continue;
      if (!mine.encodingOk) mismatches.push(`${where}: not a valid ${recorded.type} encoding`);
      if (recorded.hex !== undefined && mine.hex !== recorded.hex)
        mismatches.push(`${where}: value ${mine.hex}, Envoy ${recorded.hex}`);
    }
    console.log(
      `Envoy ${version}: ${table.rows.length} attribute×phase rows, ${answered} answered by Envoy; the emulator matches ${table.rows.length - mismatches.length}; answered by Envoy and not by the emulator: ${missing}`,
    );
    expect(mismatches).toEqual([]);
    expect(missing).toBe(0);
  });
});
