// Plain AssemblyScript in a filter (issue 26): test/fixtures/plain-as uses console.log/info/debug/warn/error,
// Date.now, new Date(), performance.now, crypto.getRandomValues, process.env, process.stdout and Math.random, built
// with the SDK's asconfig (WASI through @assemblyscript/wasi-shim). Its console lines are the scenario's events.
import { resolve } from "node:path";
import type { Scenario } from "@proxy-wasm-as/harness/scenario";

/** The fixture (built by `npm run build` / the test setup). */
export const PLAIN_AS_WASM = resolve("build/plain-as.wasm");

/** The lines the fixture logs for a request to `path`, with the level Envoy gives them (fd 1 info, fd 2 error). */
export function plainAsLines(path: string, greeting: string): Array<{ level: string; message: string }> {
  return [
    { level: "info", message: `console.log: request ${path}` },
    { level: "info", message: "console.info: Date.now() is a wall-clock time: yes" },
    { level: "info", message: "console.debug: new Date() is now: yes" },
    { level: "info", message: "performance.now() never goes back: yes" },
    { level: "info", message: "crypto.getRandomValues: two draws of 32 bytes differ: yes" },
    { level: "info", message: "Math.random() in [0, 1): yes" },
    { level: "error", message: `console.warn: process.env.PLAIN_AS_GREETING = ${greeting}` },
    { level: "info", message: "process.stdout.write: one line" },
    { level: "error", message: "console.error: done" },
  ];
}

export const plainAsScenarios: Scenario[] = [
  {
    id: "plain-as-globals",
    title: "console, Date, performance, crypto, process and Math.random in a filter: the same lines on both",
    plugin: {},
    requests: [{ path: "/first" }, { path: "/second", http2: true }],
    expect: {
      responses: [
        { status: 200, headers: { "x-plain-as": "ok" } },
        { status: 200, headers: { "x-plain-as": "ok" } },
      ],
      // Scenarios set no VM environment, so process.env reads "(unset)" on both backends.
      events: [...plainAsLines("/first", "(unset)"), ...plainAsLines("/second", "(unset)")].map((l) => l.message),
    },
  },
];
