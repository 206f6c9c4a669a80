// A trap in real Envoy, told in the filter's own source lines (test/fixtures/traps, release build + the map the
// build keeps beside it): Envoy's in-VM backtrace (printed because the harness gives Envoy the names kept in the
// map) mapped to file:line:column and function, on Envoy 1.40 and 1.36, in what a test sees (the response's
// `wasmTraps`, a matcher's failure message, the error of stop()) and in `proxy-wasm-as run`'s output.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { httpWasm, startEnvoy, type RunnerKind } from "@proxy-wasm-as/harness";
import { DEFAULT_ENVOY_VERSION, formatEnvoyTrap } from "@proxy-wasm-as/harness/envoy";
import { httpRequest } from "@proxy-wasm-as/harness/traffic";
import { filterMatchers } from "@proxy-wasm-as/harness/vitest";
import { RUNNERS } from "./support.ts";

expect.extend(filterMatchers);

const TRAPS = "build/traps.wasm";
const built = existsSync(TRAPS) && existsSync(`${TRAPS}.map`);

/** Each kind of trap, the frame a user sees first, and its source line with the caret under the column. */
const CASES = [
  {
    kind: "unreachable",
    reason: "Uncaught RuntimeError: unreachable",
    frame: "at test/fixtures/traps/index.ts:22:32 in TrapOnRequest.onRequestHeaders",
    source: ['  22 |     if (kind == "unreachable") unreachable();', "     |                                ^"],
  },
  {
    kind: "abort",
    reason: "Uncaught RuntimeError: unreachable",
    frame: "at test/fixtures/traps/index.ts:20:42 in TrapOnRequest.onRequestHeaders",
    source: [
      '  20 |     if (kind == "abort") throw new Error("trap requested by x-trap: abort");',
      "     |                                          ^",
    ],
  },
  {
    kind: "abort-call",
    reason: "Uncaught RuntimeError: unreachable",
    frame: "at test/fixtures/traps/index.ts:26:31 in TrapOnRequest.onRequestHeaders",
    source: [
      '  26 |     if (kind == "abort-call") abort("abort() called for x-trap: abort-call");',
      "     |                               ^",
    ],
  },
  {
    kind: "bounds",
    reason: "Uncaught RuntimeError: memory access out of bounds",
    frame: "at test/fixtures/traps/memory.ts:6:10 in readPastMemory",
    source: ["  6 |   return <Action>load<u32>(<usize>0xffff_fff0 + <usize>offset);", "    |          ^"],
  },
] as const;

/**
 * Process runner on both provisioned versions, every case; the container runner (if tested) on the default version,
 * one case (it proves the copy with names reaches the container too).
 */
const TARGETS: { runner: RunnerKind; version: string; cases: readonly (typeof CASES)[number][] }[] = [
  { runner: "process", version: "1.40.0", cases: CASES },
  { runner: "process", version: "1.36.4", cases: CASES },
  ...(RUNNERS.includes("container")
    ? [{ runner: "container" as const, version: DEFAULT_ENVOY_VERSION, cases: CASES.slice(0, 1) }]
    : []),
];

describe.skipIf(!built).each(TARGETS)("a trap in Envoy $version ($runner runner)", ({ runner, version, cases }) => {
  test.each(cases)("$kind: the response tells the trap in source lines", async ({ kind, reason, frame, source }) => {
    await using envoy = await startEnvoy({
      runner,
      version,
      filters: [httpWasm(TRAPS)],
      allowWasmErrors: true,
    });
    const res = await envoy.request("/", { headers: { "x-trap": kind } });
    expect(res.status).toBe(503);
    expect(res.wasmTraps).toHaveLength(1);
    const trap = res.wasmTraps[0]!;
    // Envoy's own words, with the backtrace it prints for a module with names.
    expect(trap.raw).toMatch(
      new RegExp(
        `Function: proxy_on_request_headers failed: ${reason}\\nProxy-Wasm plugin in-VM backtrace:\\n  0:  0x[0-9a-f]+ - \\S+`,
      ),
    );
    const told = formatEnvoyTrap(trap);
    expect(told.slice(0, 2 + source.length)).toEqual([
      `Function: proxy_on_request_headers failed: ${reason} (${TRAPS})`,
      `  ${frame}`,
      ...source.map((line) => `  ${line}`),
    ]);
    // then, at most, the SDK's dispatch (the callback that called the filter's method)
    for (const line of told.slice(2 + source.length)) expect(line).toMatch(/ \(proxy-wasm-as SDK\)$/);
    expect(() => expect(res).toHaveStatus(200)).toThrow(
      [
        "expected status 200, got 503",
        "The filter trapped:",
        `  Function: proxy_on_request_headers failed: ${reason}`,
        `    ${frame}`,
      ].join("\n"),
    );
  });
});

describe.skipIf(!built)("a trap in Envoy: what else a user sees", () => {
  test("stop() of an Envoy whose filter trapped lists the trap in source lines", async () => {
    const envoy = await startEnvoy({ runner: "process", filters: [httpWasm(TRAPS)] });
    await envoy.request("/", { headers: { "x-trap": "unreachable" } });
    await expect(envoy.stop()).rejects.toThrow(
      [
        "Envoy logged 1 Wasm error/critical line(s):",
        `Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable (${TRAPS})`,
        "  at test/fixtures/traps/index.ts:22:32 in TrapOnRequest.onRequestHeaders",
      ].join("\n"),
    );
  });

  test("symbols: false gives Envoy the module as it is: no backtrace, and the trap says so", async () => {
    await using envoy = await startEnvoy({
      runner: "process",
      filters: [httpWasm(TRAPS)],
      allowWasmErrors: true,
      symbols: false,
    });
    const res = await envoy.request("/", { headers: { "x-trap": "unreachable" } });
    const trap = res.wasmTraps[0]!;
    expect(trap.frames).toEqual([]);
    expect(trap.raw).not.toContain("in-VM backtrace");
    expect(formatEnvoyTrap(trap)[1]).toMatch(
      /^ {2}\(no source lines: Envoy printed no in-VM backtrace: it prints one only for modules with function names/,
    );
  });

  test("proxy-wasm-as run prints the trap with its source frame while it streams", async () => {
    const child = spawn(process.execPath, ["harness/src/cli/main.ts", "run", TRAPS, "--runner", "process"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.on("exit", done));
    try {
      const until = async (pattern: RegExp) => {
        for (const deadline = Date.now() + 50_000; !pattern.test(out); ) {
          if (Date.now() > deadline) throw new Error(`no ${pattern} in run's output:\n${out}\n${err}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        return pattern.exec(out)!;
      };
      const origin = (await until(/^listening on (http:\/\/\S+)$/m))[1]!;
      const res = await httpRequest(origin, "/", { headers: { "x-trap": "bounds" } });
      expect(res.status).toBe(503);
      await until(/\[trap\][^\n]*\n(?:[^\n]*\n){3}/);
      const trap = out.slice(out.indexOf("[trap]")).split("\n").slice(0, 4);
      expect(trap).toEqual([
        `[trap] Function: proxy_on_request_headers failed: Uncaught RuntimeError: memory access out of bounds (${TRAPS})`,
        "       at test/fixtures/traps/memory.ts:6:10 in readPastMemory",
        "         6 |   return <Action>load<u32>(<usize>0xffff_fff0 + <usize>offset);",
        "           |          ^",
      ]);
    } finally {
      child.kill("SIGINT");
      await exited;
    }
  });
});
