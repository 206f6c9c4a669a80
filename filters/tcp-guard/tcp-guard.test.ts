// tcp-guard on the emulator: connections are held until their first bytes are decided, denied ones are closed
// before reaching the upstream, byte counters.
import { describe, expect, it } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { expectEmulatorRejects, filterWasm } from "../test-support/helpers.ts";

const CONFIG = { denyPrefixes: ["GET /admin", "SSH-"] };

async function load(config: object = CONFIG) {
  return Emulator.load(filterWasm("tcp-guard"), { pluginConfig: config });
}

describe("tcp-guard (emulator)", () => {
  it("closes a connection whose first bytes start with a denied prefix; nothing reaches the upstream", async () => {
    const emu = await load();
    const connection = emu.tcpConnection();
    connection.downstreamData("GET /admin/users HTTP/1.1\r\n");
    expect(connection.closedBy).toBe("filter");
    expect(connection.toUpstream.text).toBe("");
    expect(emu.metric("tcp_guard.denied")).toBe(1);
  });

  it("holds bytes that could still become a denied prefix, then decides on the whole prefix", async () => {
    const emu = await load();
    const denied = emu.tcpConnection();
    expect(denied.downstreamData("GET /ad")).toBe("pause");
    expect(denied.toUpstream.text).toBe("");
    denied.downstreamData("min HTTP/1.1\r\n");
    expect(denied.closedBy).toBe("filter");
    expect(denied.toUpstream.text).toBe("");

    const allowed = emu.tcpConnection();
    expect(allowed.downstreamData("GET /ad")).toBe("pause");
    expect(allowed.downstreamData("s HTTP/1.1\r\n")).toBe("continue");
    expect(allowed.toUpstream.text).toBe("GET /ads HTTP/1.1\r\n"); // the held bytes flow on, in order
    expect(allowed.closedBy).toBeNull();
  });

  it("lets other traffic through at once and counts bytes in both directions", async () => {
    const emu = await load();
    const connection = emu.tcpConnection();
    expect(connection.downstreamData("PING\r\n")).toBe("continue");
    connection.upstreamData("+PONG\r\n");
    connection.downstreamData("QUIT\r\n");
    expect(connection.toUpstream.text).toBe("PING\r\nQUIT\r\n");
    expect(connection.toDownstream.text).toBe("+PONG\r\n");
    expect(emu.metric("tcp_guard.accepted")).toBe(1);
    expect(emu.metric("tcp_guard.downstream_bytes")).toBe(12);
    expect(emu.metric("tcp_guard.upstream_bytes")).toBe(7);
  });

  it("rejects bad configurations with one clear log line", async () => {
    await expectEmulatorRejects("tcp-guard", "denyPrefixes", /invalid plugin configuration/);
    await expectEmulatorRejects("tcp-guard", {}, /^invalid plugin configuration: denyPrefixes: missing \(required\)$/);
    await expectEmulatorRejects(
      "tcp-guard",
      { denyPrefixes: ["a", ""] },
      /^invalid plugin configuration: denyPrefixes\[1\]: must not be empty$/,
    );
  });
});
