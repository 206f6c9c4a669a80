// The host-side ABI enums (enums.ts) and the SDK's guest-side enums (sdk/assembly/abi/types.ts) hold the same
// values: a change to one without the other fails here.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  Action,
  BufferType,
  GrpcStatus,
  LogLevel,
  MapType,
  MetricType,
  PeerType,
  Status,
  StreamType,
} from "./enums.ts";

const sdkTypes = readFileSync(new URL("../../../sdk/assembly/abi/types.ts", import.meta.url), "utf8");

/** Members of `export enum Name { A = 0, B = 1 }` in the SDK source (comments stripped). */
function sdkEnum(name: string): Record<string, number> {
  const match = new RegExp(`export enum ${name} \\{([^}]*)\\}`).exec(sdkTypes);
  if (!match) throw new Error(`sdk/assembly/abi/types.ts declares no enum ${name}`);
  const body = match[1]!.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const members: Record<string, number> = {};
  for (const [, key, value] of body.matchAll(/(\w+)\s*=\s*(-?\d+)/g)) members[key!] = Number(value);
  return members;
}

/** Guest-only members the host never produces. */
const GUEST_ONLY: Readonly<Record<string, readonly string[]>> = {
  LogLevel: ["Off"], // only reported by proxy_get_log_level as a threshold, never a level of a line
  GrpcStatus: ["None"], // the SDK's "no grpc-status" marker; the host encodes it as any value above 16
};

describe("host ABI enums match the SDK's", () => {
  const hostEnums: Readonly<Record<string, object>> = {
    Status,
    LogLevel,
    Action,
    BufferType,
    MapType,
    StreamType,
    PeerType,
    MetricType,
    GrpcStatus,
  };
  for (const [name, hostEnum] of Object.entries(hostEnums)) {
    it(name, () => {
      const expected = sdkEnum(name);
      for (const key of GUEST_ONLY[name] ?? []) delete expected[key];
      expect(hostEnum).toEqual(expected);
    });
  }
});
