// Helpers shared by the packaging tests (not part of the public API): sample modules and real CLI clients.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
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

/** How a {@link startFakeRegistry} answers one path: bytes (with an optional content type, status, headers), or "hang". */
export type FakeAnswer =
  | { body: Uint8Array | string; contentType?: string; status?: number; headers?: Record<string, string> }
  | "hang"
  | "hang-after-headers";

/**
 * A loopback HTTP server posing as a registry: `/v2/` answers 200, `/v2/<path>` answers `routes[path]` (404 for the rest; `path` includes the query, e.g. `_catalog?n=100`).
 * "hang" never answers; "hang-after-headers" sends headers and part of a body, then stalls. For tests of what
 * the client does with hostile or dead registries, which a real registry cannot be made to serve.
 */
export async function startFakeRegistry(
  routes: Record<string, FakeAnswer>,
): Promise<{ host: string; requests: string[] } & AsyncDisposable> {
  const requests: string[] = [];
  const stalled = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const path = (req.url ?? "").replace(/^\/v2\//, "");
    requests.push(`${req.method} ${req.url}`);
    if (req.url === "/v2/") return void res.writeHead(200).end("{}");
    const answer = routes[path];
    if (answer === undefined) return void res.writeHead(404, { "content-type": "application/json" }).end("{}");
    if (answer === "hang") return void stalled.add(res);
    if (answer === "hang-after-headers") {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "1000000" });
      res.write(Buffer.alloc(1000));
      return void stalled.add(res);
    }
    const body = Buffer.from(answer.body);
    res.writeHead(answer.status ?? 200, {
      ...answer.headers,
      "content-type": answer.contentType ?? "application/octet-stream",
      "content-length": body.length,
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async [Symbol.asyncDispose]() {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
