// Raw TCP: an echo upstream that records the bytes each connection sent, and a client exchange helper.
import { connect, createServer } from "node:net";
import { listenOnLoopback, type UpstreamEndpoint } from "./endpoint.ts";

/** A running TCP echo upstream; also an {@link UpstreamEndpoint} (protocol "tcp"). */
export interface TcpUpstream extends UpstreamEndpoint, AsyncDisposable {
  readonly protocol: "tcp";
  /** Bytes received, one entry per accepted connection, in accept order (grows while connections are open). */
  readonly connections: readonly TcpConnectionRecord[];
  /** All bytes received on all connections, concatenated. */
  received(): Buffer;
  /** Stops listening and destroys open connections. */
  close(): Promise<void>;
}

/** One accepted connection: the bytes it sent, and the error that ended it if its peer reset it. */
export interface TcpConnectionRecord {
  received: Buffer;
  /** Set when the peer reset the connection (e.g. "read ECONNRESET"): recorded, never raised. */
  resetError?: string;
}

/** Options of {@link startTcpUpstream}. */
export interface TcpUpstreamOptions {
  /** What to write back for each received chunk; default echoes it. */
  reply?: (chunk: Buffer) => Buffer | string;
}

/** Starts a recording TCP echo server on 127.0.0.1 with a kernel-chosen port. */
export async function startTcpUpstream(options: TcpUpstreamOptions = {}): Promise<TcpUpstream> {
  const connections: TcpConnectionRecord[] = [];
  const server = createServer((socket) => {
    const record: TcpConnectionRecord = { received: Buffer.alloc(0) };
    connections.push(record);
    socket.on("data", (data) => {
      const chunk = asBuffer(data);
      record.received = Buffer.concat([record.received, chunk]);
      if (socket.writable) socket.write(options.reply ? options.reply(chunk) : chunk);
    });
    socket.on("end", () => socket.end());
    socket.on("error", (err) => (record.resetError = err.message));
  });
  const { port, close } = await listenOnLoopback(server);
  return {
    host: "127.0.0.1",
    port,
    protocol: "tcp",
    connections,
    received: () => Buffer.concat(connections.map((c) => c.received)),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Options of {@link tcpExchange}. */
export interface TcpExchangeOptions {
  /** Resolve once this many bytes came back (default: the number of bytes sent); the connection is then closed. */
  expectBytes?: number;
  /** Give up after this long; default 5 s. Resolves with what arrived so far only if `partialOnTimeout`. */
  timeoutMs?: number;
  /** On timeout resolve with the bytes received instead of rejecting. */
  partialOnTimeout?: boolean;
}

/** Connects to 127.0.0.1:`port`, writes `data`, and resolves with the bytes read back. */
export function tcpExchange(
  port: number,
  data: string | Uint8Array,
  options: TcpExchangeOptions = {},
): Promise<Buffer> {
  const payload = typeof data === "string" ? Buffer.from(data) : Buffer.from(data);
  const want = options.expectBytes ?? payload.length;
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(payload));
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(received);
    };
    const timer = setTimeout(() => {
      if (options.partialOnTimeout) finish();
      else
        finish(
          new Error(
            `tcpExchange: got ${received.length} of ${want} bytes from 127.0.0.1:${port} within ${timeoutMs} ms: ${JSON.stringify(received.toString())}`,
          ),
        );
    }, timeoutMs);
    socket.on("data", (data) => {
      received = Buffer.concat([received, asBuffer(data)]);
      if (received.length >= want) finish();
    });
    socket.on("end", () =>
      finish(
        received.length >= want
          ? undefined
          : new Error(
              `tcpExchange: connection closed after ${received.length} of ${want} bytes: ${JSON.stringify(received.toString())}`,
            ),
      ),
    );
    socket.on("error", (err) => finish(err));
  });
}

/** A socket's "data" chunk as bytes: sockets without setEncoding() emit Buffers; @types/node also allows strings. */
function asBuffer(data: string | Buffer): Buffer {
  return typeof data === "string" ? Buffer.from(data) : data;
}
