// Helpers shared by the packaging tests (not part of the public API): sample modules and real CLI clients.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A valid wasm binary of about `size` bytes: the header plus a custom section of seeded pseudo-random bytes. */
export function sampleWasm(size = 64 * 1024, seed = "sample"): Buffer {
  const payload: Buffer[] = [];
  for (let i = 0, n = 0; n < size; i++, n += 32) payload.push(createHash("sha256").update(`${seed}:${i}`).digest());
  const name = Buffer.from("\u0007payload");
  const body = Buffer.concat([name, ...payload]).subarray(0, size);
  return Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0]), leb128(body.length), body]);
}

function leb128(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    bytes.push(byte);
  } while (n);
  return Buffer.from(bytes);
}

/** Runs a CLI tool asynchronously (the token service lives in this process, so never block the event loop). */
export async function tool(command: string, args: string[]): Promise<string> {
  try {
    return (await run(command, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed: ${e.stderr || e.message}`);
  }
}
