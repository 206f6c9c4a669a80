// The fallback load generator: a closed loop of undici requests over keep-alive connections, inside this Node
// process. Always available, but it spends several times more CPU per request than wrk and runs wherever Node
// runs (not pinned), so on a small machine it is often the bottleneck (load.ts UNDICI_CAVEAT says so to the user).
import { Pool } from "undici";
import type { LoadRequest, LoadSample, LoadSettings } from "./wrk.ts";

/** Latencies kept for percentiles are capped so a long run cannot grow memory without bound. */
const MAX_LATENCY_SAMPLES = 200_000;

/** Sends `request` to `url` over `settings.connections` keep-alive connections for `settings.durationSeconds`. */
export async function runUndiciLoad(
  url: string,
  settings: LoadSettings,
  request: LoadRequest = {},
): Promise<LoadSample> {
  const target = new URL(request.path ?? "", url);
  const pool = new Pool(target.origin, { connections: settings.connections, pipelining: 1 });
  const headers = (request.headers ?? []).flat();
  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + settings.durationSeconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      try {
        const response = await pool.request({
          method: (request.method ?? "GET") as "GET",
          path: target.pathname + target.search,
          headers: headers.length ? headers : undefined,
          body: request.body,
        });
        await response.body.dump();
        if (response.statusCode >= 400) errors++;
      } catch {
        errors++;
      }
      requests++;
      if (latencies.length < MAX_LATENCY_SAMPLES) latencies.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: settings.connections }, worker));
  const elapsedMs = performance.now() - started;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { requests, requestsPerSecond: (requests * 1000) / elapsedMs, p50Ms: at(0.5), p99Ms: at(0.99), errors };
}
