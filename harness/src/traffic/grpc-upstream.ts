// A loopback gRPC upstream on node:http2 (h2c) for gRPC callouts: unary handlers receive and return raw
// protobuf bytes (encode/decode with any protobuf library, or by hand for tiny messages).
import { createServer, constants as h2, type ServerHttp2Stream } from "node:http2";
import { type HeaderValues, headerValuesFromRaw, listenOnLoopback, type UpstreamEndpoint } from "./endpoint.ts";

/** One gRPC call as the upstream received it. */
export interface RecordedGrpcCall {
  /** "/package.Service/Method". */
  method: string;
  /** Request metadata (headers), lower-case names. */
  metadata: HeaderValues;
  /** The request message (protobuf bytes, frame prefix removed). */
  message: Buffer;
}

/** A handler's answer: the reply message bytes, or a gRPC error status. */
export type GrpcUpstreamReply = Uint8Array | { status: number; message?: string };

/** A unary handler. */
export type GrpcHandler = (call: RecordedGrpcCall) => GrpcUpstreamReply | Promise<GrpcUpstreamReply>;

/** A running gRPC upstream; its endpoint speaks h2c (point an http2 cluster at it). */
export interface GrpcUpstream extends UpstreamEndpoint, AsyncDisposable {
  readonly protocol: "h2c";
  /** Every call received, in order. */
  readonly calls: readonly RecordedGrpcCall[];
  /** Calls the peer reset before the exchange finished: method and Node's error (a reset is not a server error). */
  readonly resets: readonly { method: string; error: string }[];
  close(): Promise<void>;
}

/** The key of a handler that serves every method (of every service) without a handler of its own. */
export const ANY_GRPC_METHOD = "*";

/** Frames one gRPC message: 1 byte compressed flag (0) + 4 bytes big-endian length + message. */
export function encodeGrpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** Reads the first gRPC message out of a length-prefixed body (empty buffer for an empty body). */
export function decodeGrpcFrame(body: Buffer): Buffer {
  if (body.length < 5) return Buffer.alloc(0);
  return body.subarray(5, 5 + body.readUInt32BE(1));
}

/**
 * Encodes a status message for the grpc-message trailer as the gRPC HTTP/2 protocol says: UTF-8, with every byte
 * outside printable ASCII (0x20-0x7E), and "%" itself, written as %XX. Envoy passes the value on undecoded.
 */
export function percentEncodeGrpcMessage(message: string): string {
  let out = "";
  for (const byte of Buffer.from(message, "utf8")) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * Starts a gRPC server on 127.0.0.1 (kernel-chosen port) serving `handlers` keyed by "/package.Service/Method"
 * ({@link ANY_GRPC_METHOD} serves every method without a handler of its own). Unknown methods answer
 * UNIMPLEMENTED (12); a throwing handler answers INTERNAL (13) with its message.
 */
export async function startGrpcUpstream(handlers: Record<string, GrpcHandler>): Promise<GrpcUpstream> {
  const calls: RecordedGrpcCall[] = [];
  const resets: { method: string; error: string }[] = [];
  const server = createServer();
  // A session torn down by its peer is not a server failure either.
  server.on("sessionError", () => undefined);
  server.on("stream", (stream: ServerHttp2Stream, headers, _flags, rawHeaders: string[]) => {
    const method = String(headers[h2.HTTP2_HEADER_PATH]);
    let responded = false;
    const recordReset = (err: unknown) => resets.push({ method, error: String((err as Error)?.message ?? err) });
    // A client may reset a call it no longer waits for (Envoy does on a callout timeout): not a server error.
    stream.on("error", recordReset);
    // Closed before we answered: the peer reset it (Node may deliver the end of the request first).
    stream.on("close", () => {
      if (!responded) recordReset(new Error(`stream closed before the response (RST_STREAM code ${stream.rstCode})`));
    });
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => answer().catch(recordReset));
    const answer = async () => {
      const call: RecordedGrpcCall = {
        method: String(headers[h2.HTTP2_HEADER_PATH]),
        metadata: headerValuesFromRaw(rawHeaders),
        message: decodeGrpcFrame(Buffer.concat(chunks)),
      };
      calls.push(call);
      let reply: GrpcUpstreamReply;
      const handler = handlers[call.method] ?? handlers[ANY_GRPC_METHOD];
      try {
        reply = handler ? await handler(call) : { status: 12, message: `unknown method ${call.method}` };
      } catch (err) {
        reply = { status: 13, message: (err as Error).message };
      }
      if (stream.destroyed) return;
      responded = true;
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => {
        const trailers: Record<string, string> = {
          "grpc-status": reply instanceof Uint8Array ? "0" : String(reply.status),
        };
        if (!(reply instanceof Uint8Array) && reply.message)
          trailers["grpc-message"] = percentEncodeGrpcMessage(reply.message);
        stream.sendTrailers(trailers);
      });
      stream.end(reply instanceof Uint8Array ? encodeGrpcFrame(reply) : undefined);
    };
  });
  const { port, close } = await listenOnLoopback(server);
  return { host: "127.0.0.1", port, protocol: "h2c", calls, resets, close, [Symbol.asyncDispose]: close };
}
