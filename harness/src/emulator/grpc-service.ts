// What the callout engine (callouts.ts) reads from the gRPC service bytes a module passes: whether they parse as a
// target-less envoy.config.core.v3.GrpcService protobuf (Envoy aborts on those), and the cluster name they name;
// and the proxy_get_status message Envoy gives after an upstream closed a gRPC call or stream.

/**
 * The proxy_get_status message Envoy gives after the upstream closed a gRPC call or stream: the grpc-message with
 * the response code details appended, "<message>{via_upstream}", or just "via_upstream" without a message (traces
 * h2-grpc-error and h1-grpc-stream-answered, Envoy 1.36 and 1.40).
 */
export function upstreamStatusMessage(message: string | undefined): string {
  return message ? `${message}{via_upstream}` : "via_upstream";
}

/**
 * True when `bytes` is valid protobuf wire format carrying neither `envoy_grpc` (1) nor `google_grpc` (2): Envoy's
 * GrpcService parse succeeds (unknown fields are kept) and the service has no target. Empty input is not judged.
 */
export function parsesAsTargetlessGrpcService(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  const fields = protobufFieldNumbers(bytes);
  return fields !== null && !fields.has(1) && !fields.has(2);
}

/** Top-level field numbers of a protobuf wire-format message, or null when `bytes` is not valid wire format. */
function protobufFieldNumbers(bytes: Uint8Array): Set<number> | null {
  const fields = new Set<number>();
  let at = 0;
  const varint = (): number | null => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (at >= bytes.length) return null;
      const b = bytes[at++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    return null;
  };
  const skip = (wireType: number, field: number, depth: number): boolean => {
    switch (wireType) {
      case 0:
        return varint() !== null;
      case 1:
        at += 8;
        return at <= bytes.length;
      case 2: {
        const n = varint();
        if (n === null) return false;
        at += n;
        return at <= bytes.length;
      }
      case 5:
        at += 4;
        return at <= bytes.length;
      case 3: // a group: fields until the matching end-group tag
        for (;;) {
          const key = varint();
          if (key === null || key < 8 || depth > 32) return false;
          if ((key & 7) === 4) return key >>> 3 === field;
          if (!skip(key & 7, Math.floor(key / 8), depth + 1)) return false;
        }
      default:
        return false; // 4 (end group without a start), 6 and 7 (not wire types)
    }
  };
  while (at < bytes.length) {
    const key = varint();
    if (key === null || key < 8) return null;
    const field = Math.floor(key / 8);
    if ((field === 1 || field === 2) && (key & 7) !== 2) return null; // the target fields are messages
    if (!skip(key & 7, field, 0)) return null;
    fields.add(field);
  }
  return fields;
}

/** Cluster name from a serialized GrpcService proto (envoy_grpc.cluster_name), else the bytes as a name. */
export function grpcClusterName(service: Uint8Array): string {
  const text = new TextDecoder().decode(service);
  if (service[0] === 0x0a && service.length > 2) {
    const outerLen = service[1]!;
    const inner = service.subarray(2, 2 + outerLen);
    if (inner.length === outerLen && inner[0] === 0x0a && inner[1]! + 2 <= inner.length) {
      return new TextDecoder().decode(inner.subarray(2, 2 + inner[1]!));
    }
  }
  return text;
}
