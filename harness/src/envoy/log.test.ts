// Unit tests of the log parser and small pure helpers (no Envoy needed).
import { describe, expect, test } from "vitest";
import { diffStats } from "./admin.ts";
import { versionFromImageTag } from "./container-runner.ts";
import { EnvoyLog, isFailureLine, parseEnvoyLogLine } from "./log.ts";

const line = (level: string, logger: string, message: string) =>
  `[2026-11-22 13:10:43.801][6358][${level}][${logger}] [source/extensions/common/wasm/x.cc:1] ${message}`;

describe("EnvoyLog", () => {
  test("reassembles lines split across chunks and joins continuation lines", () => {
    const log = new EnvoyLog();
    const text = `${line("info", "wasm", "wasm log go rid vid: hello")}\n${line("critical", "main", "error `x` initializing config '")}\n  /etc/envoy/envoy.yaml'\n`;
    for (let i = 0; i < text.length; i += 7) log.write(text.slice(i, i + 7));
    log.end();
    expect(log.lines).toHaveLength(2);
    expect(log.lines[1]!.raw).toMatch(/initializing config '\n {2}\/etc\/envoy\/envoy.yaml'$/);
    expect(log.wasmLines()).toEqual([
      { level: "info", prefix: ["go", "rid", "vid"], message: "hello", raw: log.lines[0]!.raw },
    ]);
  });

  test("failure lines: critical anywhere, host errors of the wasm logger, but not a module's own error logs", () => {
    expect(
      isFailureLine(parseEnvoyLogLine(line("error", "wasm", "Wasm VM failed Failed to initialize Wasm code"))),
    ).toBe(true);
    expect(isFailureLine(parseEnvoyLogLine(line("critical", "main", "error initializing configuration")))).toBe(true);
    expect(isFailureLine(parseEnvoyLogLine(line("error", "wasm", "wasm log: my own error")))).toBe(false);
    expect(isFailureLine(parseEnvoyLogLine(line("error", "upstream", "something else")))).toBe(false);
    const log = new EnvoyLog();
    log.write(`${line("error", "wasm", "wasm log: my own error")}\n`);
    expect(log.wasmErrors()).toHaveLength(1); // still counted by the default no-Wasm-errors check
  });

  test("a module's own critical line is not a failure: Envoy serves it when on_configure returns true (trace h1-configure-critical-log)", () => {
    // The exact line Envoy 1.40.0 printed for the scenario (its start-up used to be rejected by startEnvoy).
    const own = parseEnvoyLogLine(
      line(
        "critical",
        "wasm",
        "wasm log h1-configure-critical-log: h1-configure-critical-log   critical configured anyway",
      ),
    );
    expect(isFailureLine(own)).toBe(false);
    expect(
      isFailureLine(parseEnvoyLogLine(line("critical", "wasm", "Plugin configured to fail closed failed to load"))),
    ).toBe(true);
  });

  test("a message's trailing newline is kept; Envoy ends each entry with one more (trace h1-log-warning-newline)", () => {
    const log = new EnvoyLog();
    const text = `${line("info", "wasm", "wasm log p vid: kept")}\n\n${line("warning", "wasm", "wasm log p vid: careful")}\n${line("info", "wasm", "wasm log p vid: a")}\n\nb\n`;
    for (let i = 0; i < text.length; i += 5) log.write(text.slice(i, i + 5));
    log.end();
    expect(log.wasmLines().map((l) => [l.level, l.message])).toEqual([
      ["info", "kept\n"],
      ["warning", "careful"],
      ["info", "a\n\nb"],
    ]);
  });
});

test("versions from image tags", () => {
  expect(versionFromImageTag("proxy-wasm-as/envoy:1.40.0")).toBe("1.40.0");
  expect(versionFromImageTag("envoyproxy/envoy:v1.36-latest")).toBe("1.36");
  expect(versionFromImageTag("istio/proxyv2:1.28.0")).toBe("1.28.0");
  expect(versionFromImageTag("envoyproxy/envoy-dev:latest")).toBeUndefined();
});

test("stats diffs keep only what changed", () => {
  const diff = diffStats(
    new Map([
      ["a", 1],
      ["b", 2],
    ]),
    new Map([
      ["a", 1],
      ["b", 5],
      ["c", 1],
    ]),
  );
  expect([...diff]).toEqual([
    ["b", 3],
    ["c", 1],
  ]);
});
