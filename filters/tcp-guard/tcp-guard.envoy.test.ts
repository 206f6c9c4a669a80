// tcp-guard in real Envoy: a TCP proxy that closes connections starting with a denied prefix.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { networkWasm, startEnvoy, startTcpUpstream, type Envoy, type TcpUpstream } from "@proxy-wasm-as/harness";
import {
  ENVOY_RUNNER,
  customCounter,
  expectEnvoyRejects,
  filterWasm,
  validateShippedConfig,
} from "../test-support/helpers.ts";

describe("tcp-guard (real Envoy)", () => {
  let upstream: TcpUpstream;
  let envoy: Envoy;
  beforeAll(async () => {
    upstream = await startTcpUpstream(); // echoes what it receives
    envoy = await startEnvoy({
      runner: ENVOY_RUNNER,
      filters: [networkWasm(filterWasm("tcp-guard"), { config: { denyPrefixes: ["GET /admin", "SSH-"] } })],
      upstream,
    });
  });
  afterAll(async () => {
    await envoy?.stop();
    await upstream?.close();
  });

  test("ordinary traffic is proxied and counted", async () => {
    const before = await envoy.stats();
    const echoed = await envoy.tcp("PING hello\r\n");
    expect(echoed.toString()).toBe("PING hello\r\n");
    const after = await envoy.stats();
    expect(customCounter(after, "tcp_guard.accepted") - customCounter(before, "tcp_guard.accepted")).toBe(1);
    expect(
      customCounter(after, "tcp_guard.downstream_bytes") - customCounter(before, "tcp_guard.downstream_bytes"),
    ).toBe(12);
  });

  test("a connection starting with a denied prefix is closed; the upstream receives nothing", async () => {
    const connectionsBefore = upstream.connections.map((c) => c.received.length);
    await expect(envoy.tcp("SSH-2.0-OpenSSH_9.6\r\n")).rejects.toThrow(/connection closed after 0 of/);
    const connectionsAfter = upstream.connections.slice(connectionsBefore.length).map((c) => c.received.length);
    expect(connectionsAfter.every((bytes) => bytes === 0)).toBe(true);
    expect(customCounter(await envoy.stats(), "tcp_guard.denied")).toBe(1);
  });

  test("Envoy refuses a configuration without denyPrefixes, with the filter's reason", async () => {
    await expectEnvoyRejects(
      "tcp-guard",
      {},
      /invalid plugin configuration: denyPrefixes: missing \(required\)/,
      "network",
    );
  });

  test("the shipped envoy-configs/tcp-guard.yaml passes envoy --mode validate", async () => {
    await validateShippedConfig("tcp-guard");
  });
});
