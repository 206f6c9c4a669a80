// Issue 13, finding 7: every sample filter refuses unknown (misspelt) configuration keys with a suggestion, and
// caps the size of its configuration, instead of silently ignoring the key or parsing megabytes.
import { describe, expect, it } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { expectEmulatorRejects, filterWasm } from "../test-support/helpers.ts";

/** One valid configuration per sample filter (and root), and a misspelling of one of its keys. */
const FILTERS: ReadonlyArray<{ name: string; rootId?: string; config: Record<string, unknown>; typo: [string, string] }> = [
  { name: "api-key-auth", config: { keys: [{ client: "a", key: "k-1" }] }, typo: ["realm", "relam"] },
  { name: "body-redact", config: { fields: ["password"] }, typo: ["maxDepth", "maxDepht"] },
  { name: "canary-router", config: { percentage: 10 }, typo: ["routingHeader", "routingHeadr"] },
  { name: "config-service", rootId: "config-service", config: { cluster: "config", path: "/deny-list" }, typo: ["pollMs", "polMs"] },
  { name: "config-service", rootId: "deny-list", config: {}, typo: ["failOpen", "failopen"] },
  { name: "ext-authz", config: { cluster: "authz" }, typo: ["timeoutMs", "timeoutMS"] },
  { name: "grpc-check", config: { cluster: "authz" }, typo: ["failOpen", "failOpn"] },
  { name: "headers", config: { request: { set: { "x-a": "1" } } }, typo: ["request", "reqest"] },
  { name: "jwt-auth", config: { secret: "0123456789abcdef0123456789abcdef" }, typo: ["audiences", "audience"] },
  { name: "metrics", config: {}, typo: ["metricPrefix", "metricsPrefix"] },
  { name: "rate-limit", config: { capacity: 5, refillPerSecond: 1 }, typo: ["keyHeader", "keyheader"] },
  { name: "tcp-guard", config: { denyPrefixes: ["SSH-"] }, typo: ["denyPrefixes", "denyPrefix"] },
];

describe("strict configuration in every sample filter (emulator)", () => {
  for (const { name, rootId, config, typo: [right, wrong] } of FILTERS) {
    const label = rootId ? `${name} (${rootId})` : name;
    it(`${label}: loads its valid configuration, refuses \`${wrong}\` suggesting \`${right}\`, and refuses 65 KiB`, async () => {
      const options = rootId ? { rootId } : {};
      const emu = await Emulator.load(filterWasm(name), { ...options, pluginConfig: config });
      expect(emu.failures).toEqual([]);
      const misspelt = { ...config, [wrong]: (config as Record<string, unknown>)[right] ?? "x" };
      const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      await expectEmulatorRejects(name, misspelt, new RegExp(`^invalid plugin configuration: unknown key \`${escaped(wrong)}\` \\(did you mean \`${escaped(right)}\`\\?\\)`), options);
      const huge = { ...config, padding: "x".repeat(65 * 1024) };
      await expectEmulatorRejects(name, huge, /invalid plugin configuration: \d+ bytes, over the limit of 65536 bytes/, options);
    });
  }

  it("nested objects are strict too, with their path in the message", async () => {
    await expectEmulatorRejects("api-key-auth", { keys: [{ client: "a", key: "k-1" }, { clinet: "b", key: "k-2" }] }, /unknown key `keys\[1\]\.clinet` \(did you mean `client`\?\)/);
    await expectEmulatorRejects("headers", { response: { sett: { a: "1" } } }, /unknown key `response\.sett` \(did you mean `set`\?\)/);
    await expectEmulatorRejects("metrics", { routes: [{ name: "a", prefix: "/a", weight: 1 }] }, /unknown key `routes\[0\]\.weight`; known keys: name, prefix/);
  });

  it("a key far from every known key gets no suggestion, only the list of known keys", async () => {
    await expectEmulatorRejects("rate-limit", { capacity: 5, refillPerSecond: 1, burst: 9 }, /^invalid plugin configuration: unknown key `burst`; known keys: capacity, refillPerSecond, keyHeader/);
  });
});
