// Coverage checked against a hand count: test/fixtures/coverage-count/index.ts gets one request to "/" on the
// emulator, and its lcov record must be exactly what reading the source says (counted below, line by line).
// The emulator measures build/coverage/coverage-count.wasm (the coverage build scripts/build.ts always makes
// for this fixture) in place of build/coverage-count.wasm.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { coverageTable, takeCoverage, toLcov, type CoverageData } from "@proxy-wasm-as/harness/coverage";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WASM = `${ROOT}build/coverage-count.wasm`;
const SOURCE = "test/fixtures/coverage-count/index.ts";

/** The fixture's own record of `data` (other measured modules of this worker left out), counters left running. */
function fixtureOnly(data: CoverageData): CoverageData {
  return Object.fromEntries(Object.entries(data).filter(([path]) => path.endsWith(SOURCE)));
}

function lcovRecord(): string {
  return toLcov(fixtureOnly(takeCoverage({ reset: false })), { root: ROOT });
}

// The hand count for one request to "/" (line numbers of the fixture):
//   7  newHttpContext declared; 8 `return new Count()` runs once (one stream)
//   13 onRequestHeaders declared; 14 reads :path, 15 the `if`: run once each
//   16, 17 the "/blocked" branch: never run; the if's "taken" direction 0, "not taken" 1
//   19, 20 run once (x-seen set, Continue)
//   23 onRequestBody declared; 24, 25 never run (the request has no body): the function's count is 0
//   29 tag declared; 30 runs once: `count > 100` is false for a handful of headers, so the ?: takes "few"
//      (taken 0, not taken 1)
//   33 registerRoot: runs once, when the VM starts
// The constructors AssemblyScript generates carry no source location: no line, function or branch of theirs.
const EXPECTED_AFTER_ONE_REQUEST = `TN:
SF:${SOURCE}
FN:7,CountRoot.newHttpContext
FN:13,Count.onRequestHeaders
FN:23,Count.onRequestBody
FN:29,tag
FNF:4
FNH:3
FNDA:1,CountRoot.newHttpContext
FNDA:1,Count.onRequestHeaders
FNDA:0,Count.onRequestBody
FNDA:1,tag
DA:8,1
DA:14,1
DA:15,1
DA:16,0
DA:17,0
DA:19,1
DA:20,1
DA:24,0
DA:25,0
DA:30,1
DA:33,1
LF:11
LH:7
BRDA:15,0,0,0
BRDA:15,0,1,1
BRDA:30,1,0,0
BRDA:30,1,1,1
BRF:4
BRH:2
end_of_record
`;

describe("coverage of test/fixtures/coverage-count against the hand count", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await Emulator.load(WASM, { coverage: true });
  });

  it("one request to /: a branch never taken is uncovered, a line run once is covered (exact lcov record)", async () => {
    const result = await emulator.request({ path: "/" }, () => ({ status: 200 }));
    expect(result.upstream?.headers.get("x-seen")).toBe("few");
    expect(lcovRecord()).toBe(EXPECTED_AFTER_ONE_REQUEST);
    // the same lines in the fixture's source, so a shifted fixture fails here with the reason
    const lines = readFileSync(`${ROOT}${SOURCE}`, "utf8").split("\n");
    expect(lines[14]).toContain('if (path == "/blocked")');
    expect(lines[15]).toContain("sendLocalResponse(403");
    expect(lines[29]).toContain('count > 100 ? "many" : "few"');
  });

  it("a request to /blocked then takes the other direction and runs the blocked lines once", async () => {
    const result = await emulator.request({ path: "/blocked" }, () => ({ status: 200 }));
    expect(result.status).toBe(403);
    const record = lcovRecord();
    expect(record).toContain("BRDA:15,0,0,1\nBRDA:15,0,1,1\n");
    expect(record).toContain("DA:16,1\nDA:17,1\nDA:19,1\n"); // 19 still once: the blocked request returned first
    expect(record).toContain("DA:14,2\n");
    expect(record).toContain("LH:9\n");
    expect(record).toContain("BRDA:30,1,0,0\nBRDA:30,1,1,1\n"); // tag not called again
  });

  it("prints the text table with the uncovered lines", () => {
    const table = coverageTable(fixtureOnly(takeCoverage({ reset: false })), { root: ROOT });
    const row = table.split("\n").find((l) => l.includes("index.ts"));
    // 9 of 11 lines, 3 of 4 branches, 3 of 4 functions; lines 24-25 (onRequestBody) never ran
    expect(row?.split("|").map((c) => c.trim())).toEqual(["index.ts", "81.81", "75", "75", "81.81", "24-25"]);
  });
});
