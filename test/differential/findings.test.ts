// The emulator rules behind issue 15's findings and the connection-manager model, each checked against the Envoy
// traces recorded for it on every version of the matrix (test/differential/traces/<version>/<scenario>.json), on
// the emulator only (no Envoy): what the module logged (every header and body chunk, with levels), start-up, and
// emu.request() against the scenario backend.
import { describe, expect, test } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import {
  clientRequestOf,
  normaliseEvent,
  normaliseText,
  probeConfig,
  readTraces,
  runOnEmulator,
  type Scenario,
  type ScenarioTrace,
} from "@proxy-wasm-as/harness/scenario";
import { ALL_SCENARIOS } from "./all.scenarios.ts";
import { DIFF_VERSIONS, PROBE_WASM, TRACES_DIR } from "./settings.ts";

const byId = new Map(ALL_SCENARIOS.map((s) => [s.id, s]));
const scenario = (id: string): Scenario => byId.get(id)!;
const traces = (id: string): ScenarioTrace[] =>
  DIFF_VERSIONS.map((v) => readTraces(TRACES_DIR, v).find((t) => t.scenario === id)!);
const loadProbe = (s: Scenario, extra: Parameters<typeof Emulator.load>[1] = {}) =>
  Emulator.load(PROBE_WASM, {
    pluginName: s.id,
    vmId: s.id,
    pluginConfig: probeConfig(s),
    logLevel: "debug",
    ...extra,
  });

describe.each(DIFF_VERSIONS)("findings against Envoy %s traces", (version) => {
  const trace = (id: string) => readTraces(TRACES_DIR, version).find((t) => t.scenario === id)!;

  test.each(["h1-log-everything", "h2-log-everything", "h1-log-everything-whole", "h2-log-everything-whole"])(
    "%s: emu.request() and the scenario backend hand the module the same request, byte for byte, and Envoy's",
    async (id) => {
      const s = scenario(id);
      const request = s.requests![0]!;
      const viaBackend = (await runOnEmulator(s, { wasm: PROBE_WASM })).exchanges[0]!.events;
      const emu = await loadProbe(s);
      const from = emu.logs.length;
      const r = await emu.request(clientRequestOf(request), () => ({
        ...s.upstream,
        body: s.upstream?.body ?? "upstream-ok",
      }));
      const viaRequest = emu.logs.slice(from).map((l) => normaliseEvent(l.message, s.id));
      expect(viaRequest).toEqual(viaBackend);
      expect(viaRequest).toEqual(trace(id).observation.exchanges[0]!.events);
      expect(r.upstream?.body).toBe(Array.isArray(request.body) ? request.body.join("") : request.body);
    },
  );

  test("finding 2: replacing an existing header removes it and appends the new value (h1, h2, pseudo-header, two values)", async () => {
    for (const id of ["h1-replace-existing-header", "h2-replace-existing-header", "h1-replace-pseudo-and-multi"]) {
      const events = (await runOnEmulator(scenario(id), { wasm: PROBE_WASM })).exchanges[0]!.events;
      expect(events, id).toEqual(trace(id).observation.exchanges[0]!.events);
    }
    expect(trace("h1-replace-existing-header").observation.exchanges[0]!.events).toContain(
      "  pairs -> [:authority: 127.0.0.1:<port>, :path: /replace, :method: GET, :scheme: http, x-b: 2, x-forwarded-proto: http, x-request-id: <uuid>, x-a: new]",
    );
  });

  test("finding 3: start-up runs on_vm_start/on_configure three times (canary, main thread, worker), as every trace shows", async () => {
    for (const id of ["h1-get", "h1-tick-resume", "h1-configure-critical-log"]) {
      const s = scenario(id);
      const emu = await loadProbe(s, { canary: true });
      expect(
        emu.logs.map((l) => normaliseEvent(l.message, s.id)),
        id,
      ).toEqual(trace(id).startup);
    }
  });

  test("finding 4: upstream.* properties from the response on and in on_log, on HTTP/1.1, HTTP/2 and TCP", async () => {
    for (const id of ["h1-upstream-properties", "h2-upstream-properties", "tcp-upstream-properties"]) {
      const events = (await runOnEmulator(scenario(id), { wasm: PROBE_WASM })).exchanges[0]!.events;
      expect(events, id).toEqual(trace(id).observation.exchanges[0]!.events);
      expect(
        events.filter((e) => e.includes("upstream.address ->")),
        id,
      ).toContain('  prop upstream.address -> "127.0.0.1:<port>"');
    }
  });

  test("finding 5: a module that logs at critical level in on_configure and returns true serves traffic", async () => {
    const t = trace("h1-configure-critical-log");
    expect(t.log?.filter((l) => l.level === "critical").map((l) => l.message)).toEqual(
      Array(3).fill("h1-configure-critical-log   critical configured anyway"),
    );
    expect(t.observation.exchanges[0]!.client?.status).toBe(200);
    const observed = await runOnEmulator(scenario("h1-configure-critical-log"), { wasm: PROBE_WASM });
    expect(observed.exchanges[0]!.client?.status).toBe(200);
  });

  test("finding 6: log levels named as Envoy prints them (warning) and a message's trailing newline kept", async () => {
    const s = scenario("h1-log-warning-newline");
    const emu = await loadProbe(s, { canary: true });
    await emu.request(clientRequestOf(s.requests![0]!), () => ({ body: "upstream-ok" }));
    const lines = emu.logs.map((l) => ({ level: l.level, message: normaliseText(l.message) }));
    expect(lines).toEqual(trace(s.id).log);
    expect(lines).toContainEqual({ level: "warning", message: "h1-log-warning-newline   warn careful" });
    expect(lines).toContainEqual({ level: "info", message: "h1-log-warning-newline   newline kept\n" });
    expect(emu.logMessages("warn")).toEqual(emu.logMessages("warning")); // the old name stays an alias
  });
});

describe("finding 3: the canary never ticks", () => {
  test("with a tick period set in on_configure, only the main thread's and the worker's roots tick", async () => {
    const s: Scenario = { id: "tick-count", title: "", probe: { tick: 10, on: { tick: ["log ticked"] } } };
    const emu = await loadProbe(s, { canary: true });
    emu.advance(10);
    expect(emu.logMessages().filter((m) => m.endsWith("log ticked"))).toHaveLength(2);
    const single = await loadProbe(s);
    single.advance(10);
    expect(single.logMessages().filter((m) => m.endsWith("log ticked"))).toHaveLength(1);
  });
});

test("every finding's scenario was recorded on every version of the matrix", () => {
  for (const id of [
    "h1-replace-existing-header",
    "h1-upstream-properties",
    "tcp-upstream-properties",
    "h1-configure-critical-log",
    "h1-log-warning-newline",
    "h1-route-regex",
  ]) {
    expect(traces(id).map((t) => t?.envoyVersion)).toEqual(DIFF_VERSIONS);
  }
});
