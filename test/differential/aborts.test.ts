// Envoy's fatal conditions against their recorded traces (test/differential/traces/<version>/h1-grpc-abort.json):
// real Envoy 1.36.4 and 1.40.0 abort the whole process ("panic: unset oneof") when a module makes a gRPC call to a
// cluster whose name parses as a targetless GrpcService protobuf; the emulator must throw EnvoyWouldAbortError from
// that very host call (so a test cannot pass quietly), and the scenario API must mark the scenario "envoy-aborts".
import { describe, expect, test } from "vitest";
import { Emulator, EnvoyWouldAbortError } from "@proxy-wasm-as/harness";
import { probeConfig, readTraces, replayTrace, type Scenario } from "@proxy-wasm-as/harness/scenario";
import { aborts } from "./aborts.scenarios.ts";
import { DIFF_VERSIONS, PROBE_WASM, TRACES_DIR } from "./settings.ts";

const scenario: Scenario = aborts.find((s) => s.id === "h1-grpc-abort")!;

describe.each(DIFF_VERSIONS)("Envoy %s aborts where the emulator throws EnvoyWouldAbortError", (version) => {
  const trace = readTraces(TRACES_DIR, version).find((t) => t.scenario === scenario.id)!;

  test("the recorded trace: the module's on_request_headers ran, then Envoy panicked and the client got no answer", () => {
    expect(trace.observation.abort?.panic).toBe("panic: unset oneof");
    expect(trace.observation.exchanges[0]!.client).toBeNull();
    expect(trace.observation.exchanges[0]!.events).toEqual([
      "on_request_headers headers=6 eos=1",
      "envoy critical: panic: unset oneof",
    ]);
  });

  test("emu.request() rejects with EnvoyWouldAbortError naming Envoy's panic, the host call and the module's line", async () => {
    const emu = await Emulator.load(PROBE_WASM, {
      pluginName: scenario.id,
      vmId: scenario.id,
      pluginConfig: probeConfig(scenario),
      grpcServices: { "answering-grpc": () => ({ message: "never" }) },
    });
    const error = await emu.request({ path: "/abort" }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EnvoyWouldAbortError);
    const abort = error as EnvoyWouldAbortError;
    expect(abort.envoyPanic).toBe(trace.observation.abort!.panic);
    expect(abort.hostCall).toBe("proxy_grpc_call");
    expect(abort.message).toMatch(/^proxy_grpc_call from proxy_on_request_headers \(context 1, .*index\.ts:\d+/);
    expect(abort.message).toContain('"answering-grpc"');
    expect(abort.frames.some((f) => f.kind === "user" && f.file?.endsWith("diff-probe/index.ts"))).toBe(true);
    // Envoy is gone, so is every later request.
    await expect(emu.request({ path: "/next" })).rejects.toBe(abort);
  });

  test("the scenario API marks the scenario envoy-aborts and says why", async () => {
    const result = await replayTrace(trace, scenario, { wasm: PROBE_WASM });
    expect(result.verdict).toBe("envoy-aborts");
    expect(result.report).toContain(`Envoy ${version} aborts during exchange #0 ("panic: unset oneof")`);
    expect(result.report).toContain("proxy_grpc_call");
  });
});
