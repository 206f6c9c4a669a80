// Client for Envoy's admin API (loopback only): readiness, listeners, stats snapshots, log levels.
import { request } from "undici";
import { EnvoyHarnessError } from "./errors.ts";

/** A stats snapshot: stat name → value (counters and gauges; histograms are omitted). */
export type StatsSnapshot = Map<string, number>;

/** The admin API of one running Envoy. Valid from the moment its address is known until Envoy stops. */
export class EnvoyAdmin {
  /** Base URL, e.g. http://127.0.0.1:38841. */
  readonly url: string;

  constructor(address: string) {
    this.url = `http://${address}`;
  }

  /** GET `path` and return the body text; throws an {@link EnvoyHarnessError} on non-2xx. */
  async get(path: string): Promise<string> {
    return this.#call("GET", path);
  }

  /** POST `path` (admin mutations must be POST), e.g. `/logging?wasm=trace`, `/reset_counters`. */
  async post(path: string): Promise<string> {
    return this.#call("POST", path);
  }

  /** True when `/ready` answers 200 LIVE. Never throws (false when unreachable). */
  async isLive(): Promise<boolean> {
    try {
      const res = await request(`${this.url}/ready`, { headersTimeout: 1000, bodyTimeout: 1000 });
      const text = await res.body.text();
      return res.statusCode === 200 && text.trim() === "LIVE";
    } catch {
      return false;
    }
  }

  /** Listener name → bound port, from `/listeners?format=json` (how ports chosen by the kernel are found). */
  async listenerPorts(): Promise<Map<string, number>> {
    const json = JSON.parse(await this.get("/listeners?format=json")) as {
      listener_statuses?: { name: string; local_address?: { socket_address?: { port_value?: number } } }[];
    };
    const ports = new Map<string, number>();
    for (const s of json.listener_statuses ?? []) {
      const port = s.local_address?.socket_address?.port_value;
      if (port) ports.set(s.name, port);
    }
    return ports;
  }

  /** Counters and gauges now, from `/stats?format=json`; `filter` is an RE2 regex applied by Envoy. */
  async stats(filter?: string): Promise<StatsSnapshot> {
    const query = filter ? `&filter=${encodeURIComponent(filter)}` : "";
    const json = JSON.parse(await this.get(`/stats?format=json${query}`)) as {
      stats: { name?: string; value?: number }[];
    };
    const snapshot: StatsSnapshot = new Map();
    for (const s of json.stats) if (s.name !== undefined && typeof s.value === "number") snapshot.set(s.name, s.value);
    return snapshot;
  }

  /** The value of one counter or gauge (undefined if Envoy has no such stat). */
  async stat(name: string): Promise<number | undefined> {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return (await this.stats(`^${escaped}$`)).get(name);
  }

  /** Prometheus text from `/stats/prometheus` (custom Wasm metrics appear without the `envoy_` prefix). */
  async prometheus(): Promise<string> {
    return this.get("/stats/prometheus");
  }

  /**
   * Sets Envoy log levels at run time, e.g. `{ wasm: "trace" }` or `{ wasm: "trace", http: "debug" }`. Envoy's
   * /logging takes one `<logger>=<level>` pair, or several as `paths=<logger>:<level>,…`.
   */
  async setLogLevels(levels: Record<string, string>): Promise<void> {
    const entries = Object.entries(levels);
    const query =
      entries.length === 1
        ? `${encodeURIComponent(entries[0]![0])}=${encodeURIComponent(entries[0]![1])}`
        : `paths=${entries.map(([logger, level]) => `${encodeURIComponent(logger)}:${encodeURIComponent(level)}`).join(",")}`;
    await this.post(`/logging?${query}`);
  }

  async #call(method: "GET" | "POST", path: string): Promise<string> {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(`${this.url}${path}`, { method, headersTimeout: 5000, bodyTimeout: 5000 });
    } catch (err) {
      throw new EnvoyHarnessError(`admin ${method} ${path} failed: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw new EnvoyHarnessError(`admin ${method} ${path} answered ${res.statusCode}: ${text.slice(0, 300)}`);
    }
    return text;
  }
}

/** Differences between two snapshots: stat name → after − before, for stats that changed or appeared. */
export function diffStats(before: StatsSnapshot, after: StatsSnapshot): Map<string, number> {
  const diff = new Map<string, number>();
  for (const [name, value] of after) {
    const delta = value - (before.get(name) ?? 0);
    if (delta !== 0) diff.set(name, delta);
  }
  return diff;
}
