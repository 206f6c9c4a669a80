// The one thing Envoy needs to know about an upstream a test started: where it listens and what it speaks.

/** A loopback endpoint Envoy can route to. Every upstream of this folder is one. */
export interface UpstreamEndpoint {
  /** Always a loopback address (tests may only send traffic to loopback). */
  readonly host: string;
  readonly port: number;
  /** "http1" and "h2c" are HTTP upstreams (h2c also suits gRPC), "tcp" a raw byte stream. */
  readonly protocol: "http1" | "h2c" | "tcp";
}

/** Header maps as received: lower-case name → every value, in arrival order (repeated headers keep all values). */
export type HeaderValues = Record<string, string[]>;

/** Turns Node's flat `rawHeaders` ([name, value, name, value…]) into {@link HeaderValues}; drops HTTP/2 pseudo-headers. */
export function headerValuesFromRaw(raw: readonly string[]): HeaderValues {
  const out: HeaderValues = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name.startsWith(":")) continue;
    const values = out[name] ?? [];
    values.push(raw[i + 1]!);
    out[name] = values;
  }
  return out;
}

/** A server listening on 127.0.0.1: its port, and a close that also destroys open connections (idempotent). */
export interface LoopbackListener {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts `server` on 127.0.0.1 with an ephemeral port and tracks its connections, so that closing it never
 * waits for keep-alive clients (Envoy keeps upstream connections open). Used by every upstream of this folder.
 */
export async function listenOnLoopback(server: import("node:net").Server): Promise<LoopbackListener> {
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (socket: import("node:net").Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => ok());
  });
  const port = (server.address() as import("node:net").AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((ok) => {
      server.close(() => ok());
      for (const socket of sockets) socket.destroy();
    }));
  return { port, close };
}
