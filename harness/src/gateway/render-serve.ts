// The loopback server that plays Envoy Gateway's Wasm cache for local runs: it serves each module over HTTP/2
// cleartext (the wasm_cluster speaks HTTP/2, as Envoy Gateway's does) under the path the renderer gave it, and
// records every fetch, so the harness can tell that Envoy refused a module (Envoy fetches a module again only after
// it rejected the previous answer) and why (the sha256 of what was served against the one the config pins).
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, constants as h2, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { originalUrlOf, servingPath } from "./render.ts";
import { GatewayError } from "./errors.ts";
import type { RenderPolicy } from "./render-types.ts";

/** One module the server holds. */
export interface ServedModule {
  /** The URL the policy names (as Envoy Gateway completes it). */
  originalUrl: string;
  /** The local .wasm file served. */
  file: string;
  /** sha256 hex of the file. */
  sha256: string;
  /** How many times Envoy fetched it so far. */
  fetches: number;
  /** When Envoy first fetched it (ms since the epoch). */
  firstFetchAt?: number;
}

/** A running module server. Stop it with `close()` or `await using`. */
export interface WasmModuleServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`: give it to renderGatewayEnvoy as `wasmServerUrl`. */
  readonly url: string;
  /** Modules by serving path (`<sha256 of the original URL>.wasm`). */
  readonly modules: ReadonlyMap<string, ServedModule>;
  /** sha256 of each module by original URL (renderGatewayEnvoy's `moduleSha256s`). */
  readonly sha256s: ReadonlyMap<string, string>;
  /** Requests for paths it does not hold (a config pointing at the wrong server). */
  readonly misses: readonly string[];
  close(): Promise<void>;
}

/** The largest module served (Envoy's own remote-fetch limit is far above any filter; this bounds memory). */
export const MAX_SERVED_MODULE_BYTES = 64 * 1024 * 1024;

/**
 * Starts the module server on 127.0.0.1 (`port` 0: the kernel picks one) with `modules`: original URL (as the
 * policy names it) → local .wasm file.
 */
export async function serveWasmModules(modules: ReadonlyMap<string, string>, port = 0): Promise<WasmModuleServer> {
  const served = new Map<string, ServedModule & { bytes: Buffer }>();
  for (const [originalUrl, file] of modules) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (cause) {
      throw new GatewayError(
        `cannot read the module ${file} for ${originalUrl}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
        {
          hint: "build it first (`npx proxy-wasm-as build`) or fix the path",
          cause,
        },
      );
    }
    if (bytes.length > MAX_SERVED_MODULE_BYTES) {
      throw new GatewayError(`${file} is ${bytes.length} bytes, more than the ${MAX_SERVED_MODULE_BYTES} served`, {
        hint: "serve a release build of the filter",
      });
    }
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    served.set(servingPath(originalUrl), { originalUrl, file, sha256, fetches: 0, bytes });
  }
  const misses: string[] = [];
  const server = createServer();
  server.on("stream", (stream: ServerHttp2Stream, headers) => {
    const path = String(headers[h2.HTTP2_HEADER_PATH] ?? "").replace(/^\//, "");
    const module = served.get(path);
    if (!module) {
      if (misses.length < 100) misses.push(path);
      stream.respond({ ":status": 404 });
      stream.end();
      return;
    }
    module.fetches++;
    module.firstFetchAt ??= Date.now();
    stream.respond({ ":status": 200, "content-type": "application/wasm", "content-length": module.bytes.length });
    stream.end(module.bytes);
  });
  server.on("sessionError", () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Envoy keeps its HTTP/2 connection open; close() waits for sessions, so end them.
      setImmediate(() => server.emit("close"));
    });
  return {
    url,
    modules: served,
    sha256s: new Map([...served.values()].map((m) => [m.originalUrl, m.sha256])),
    misses,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** `--module <url>=<file>` pairs, or one bare file for a policy with one module, as original URL → file. */
export function modulesFor(policies: readonly RenderPolicy[], given: readonly string[]): Map<string, string> {
  const urls = [
    ...new Set(
      policies.flatMap((p) => (p.spec.wasm ?? []).map((w, i) => originalUrlOf(w, `${p.metadata.name} wasm[${i}]`))),
    ),
  ];
  const modules = new Map<string, string>();
  for (const entry of given) {
    const eq = entry.lastIndexOf("=");
    if (eq <= 0) {
      if (urls.length !== 1) {
        throw new GatewayError(
          `--module ${entry}: the policies name ${urls.length} modules, so say which URL this file is`,
          {
            hint: `write --module <url>=<file.wasm> with one of: ${urls.join(", ")}`,
          },
        );
      }
      modules.set(urls[0]!, entry);
      continue;
    }
    const url = entry.slice(0, eq);
    const match = urls.find((u) => u === url || u === `oci://${url}` || u === `oci://${url}:latest`);
    if (!match) {
      throw new GatewayError(`--module ${entry}: no extension of the policies fetches ${url}`, {
        hint: `use one of: ${urls.join(", ")}`,
      });
    }
    modules.set(match, entry.slice(eq + 1));
  }
  return modules;
}
