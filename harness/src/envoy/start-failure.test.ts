// The error of a failed start, built from Envoy's own output (recorded from Envoy 1.40.0 and 1.36.4 with
// test/fixtures/no-root and test/fixtures/item-counter): the module's lines come first, then Envoy's. Before, only
// Envoy's failure lines and `wasm` error/warning lines were kept, so the SDK's critical "no root context
// registered…" line was dropped (test/envoy/first-failures.test.ts shows the same against a live Envoy).
import { describe, expect, test } from "vitest";
import { EnvoyHarnessError } from "./errors.ts";
import { EnvoyLog } from "./log.ts";
import type { LaunchedEnvoy } from "./runner.ts";
import { startFailure } from "./start-failure.ts";

const launched: LaunchedEnvoy = { description: "process 4242", exited: Promise.resolve(1), stop: async () => {} };

function logOf(text: string): EnvoyLog {
  const log = new EnvoyLog();
  log.write(text);
  log.end();
  return log;
}

const NO_ROOT_1_40 = `[2026-12-07 13:33:48.651][19072][debug][wasm] [source/extensions/common/wasm/wasm.cc:83] Base Wasm created 1 now active
[2026-12-07 13:33:48.720][19072][debug][wasm] [source/extensions/common/wasm/wasm.cc:101] Thread-Local Wasm created 2 now active
[2026-12-07 13:33:48.731][19072][critical][wasm] [source/extensions/common/wasm/context.cc:1160] wasm log: no root context registered: call registerRoot<YourRoot>() at top level; import "@proxy-wasm-as/sdk", not a relative path
[2026-12-07 13:33:48.738][19072][critical][wasm] [source/extensions/common/wasm/context.cc:1160] wasm log: no root class for this root context; see the earlier error
[2026-12-07 13:33:48.739][19072][error][wasm] [source/extensions/common/wasm/wasm.cc:104] Wasm VM failed Failed to start base Wasm
[2026-12-07 13:33:48.739][19072][debug][wasm] [source/extensions/common/wasm/wasm.cc:144] ~Wasm 1 remaining active
[2026-12-07 13:33:48.740][19072][critical][wasm] [source/extensions/common/wasm/wasm.cc:626] Plugin no-root failed to load
[2026-12-07 13:33:48.740][19072][critical][wasm] [source/extensions/common/wasm/wasm.cc:479] Plugin configured to fail closed failed to load
[2026-12-07 13:33:48.741][19072][critical][main] [source/server/server.cc:449] error \`Unable to create Wasm plugin no-root\` initializing config '  /tmp/envoy-harness-aQRSAq/envoy.yaml'
`;

const BAD_CONFIG_1_36 = `[2026-12-07 13:37:18.448][23490][debug][wasm] [source/extensions/common/wasm/wasm.cc:82] Base Wasm created 1 now active
[2026-12-07 13:37:18.676][23490][error][wasm] [source/extensions/common/wasm/context.cc:1155] wasm log: invalid plugin configuration: unknown key \`reqest\` (did you mean \`request\`?); known keys: request
[2026-12-07 13:37:18.682][23490][error][wasm] [source/extensions/common/wasm/wasm.cc:103] Wasm VM failed Failed to configure base Wasm plugin
[2026-12-07 13:37:18.684][23490][critical][wasm] [source/extensions/common/wasm/wasm.cc:615] Plugin item-counter failed to load
[2026-12-07 13:37:18.684][23490][critical][wasm] [source/extensions/common/wasm/wasm.cc:466] Plugin configured to fail closed failed to load
[2026-12-07 13:37:18.685][23490][critical][main] [source/server/server.cc:453] error \`Unable to create Wasm plugin item-counter\` initializing config '  /tmp/envoy-harness-7sl4WO/envoy.yaml'
`;

describe("startFailure", () => {
  test("no root: the SDK's critical line is shown before Envoy's, word for word", () => {
    const error = startFailure(launched, logOf(NO_ROOT_1_40), "wasm");
    expect(error).toBeInstanceOf(EnvoyHarnessError);
    const [head, ...rest] = error.message.split("\n");
    expect(head).toBe(
      'Envoy (process 4242) did not start: Wasm plugin "no-root" failed to start (proxy_on_vm_start returned false)',
    );
    expect(rest.slice(0, 4)).toEqual([
      "The module logged:",
      '  [critical] no root context registered: call registerRoot<YourRoot>() at top level; import "@proxy-wasm-as/sdk", not a relative path',
      "  [critical] no root class for this root context; see the earlier error",
      "Envoy said:",
    ]);
    expect(rest[4]).toMatch(/\[error\]\[wasm\] .* Wasm VM failed Failed to start base Wasm$/);
    // The module's lines are not repeated among Envoy's, and Envoy's debug lines are left out.
    expect(error.message.match(/no root context registered/g)).toHaveLength(1);
    expect(error.message).not.toMatch(/Base Wasm created/);
    expect(error.moduleLines.map((l) => `${l.level} ${l.message}`)).toEqual([
      'critical no root context registered: call registerRoot<YourRoot>() at top level; import "@proxy-wasm-as/sdk", not a relative path',
      "critical no root class for this root context; see the earlier error",
    ]);
    // logLines keep every relevant raw line in Envoy's order (module lines included) for matching in tests.
    expect(error.logLines).toHaveLength(6);
    expect(error.logLines[0]).toMatch(/wasm log: no root context registered/);
    expect(error.hint).toMatch(/^the module's own lines above say why/);
  });

  test("a refused configuration: the module's error line and the phase Envoy failed in", () => {
    const error = startFailure(launched, logOf(BAD_CONFIG_1_36), "wasm");
    expect(error.message.split("\n").slice(0, 3)).toEqual([
      'Envoy (process 4242) did not start: Wasm plugin "item-counter" refused its configuration (proxy_on_configure returned false)',
      "The module logged:",
      "  [error] invalid plugin configuration: unknown key `reqest` (did you mean `request`?); known keys: request",
    ]);
  });

  test("a module that logged nothing gets a hint to log its reason", () => {
    const silent = NO_ROOT_1_40.split("\n")
      .filter((l) => !l.includes("wasm log:"))
      .join("\n");
    const error = startFailure(launched, logOf(silent), "wasm");
    expect(error.moduleLines).toEqual([]);
    expect(error.message).not.toMatch(/The module logged/);
    expect(error.hint).toMatch(/the module logged no reason \(log one before returning false/);
  });

  test("a trap during start is named from Envoy's line", () => {
    const trap = `[2026-12-07 13:40:00.000][1][error][wasm] [source/extensions/common/wasm/wasm_vm.cc:38] Function: proxy_on_vm_start failed: Uncaught RuntimeError: unreachable
[2026-12-07 13:40:00.001][1][error][wasm] [source/extensions/common/wasm/wasm.cc:104] Wasm VM failed Failed to start base Wasm
[2026-12-07 13:40:00.002][1][critical][wasm] [source/extensions/common/wasm/wasm.cc:626] Plugin trapper failed to load
`;
    expect(startFailure(launched, logOf(trap), "wasm").message.split("\n")[0]).toBe(
      'Envoy (process 4242) did not start: Wasm plugin "trapper" trapped in proxy_on_vm_start: Uncaught RuntimeError: unreachable',
    );
  });
});
