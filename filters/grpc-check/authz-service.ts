// The test authorization service for grpc-check (emulator and real-Envoy tests): authz.v1.Check/Allow from
// authz.proto, decoded and encoded with protobufjs (an implementation independent of the filter's SDK codec).
import { resolve } from "node:path";
import protobuf from "protobufjs";

const root = protobuf.loadSync(resolve(import.meta.dirname, "authz.proto"));
const AllowRequestType = root.lookupType("authz.v1.AllowRequest");
const AllowResponseType = root.lookupType("authz.v1.AllowResponse");

/** The gRPC method path the filter calls by default. */
export const ALLOW_METHOD = "/authz.v1.Check/Allow";

/** authz.v1.Header. */
export interface AuthzHeader {
  name: string;
  value: string;
}

/** authz.v1.AllowRequest as the service received it (absent fields are empty). */
export interface AllowRequest {
  method: string;
  path: string;
  headers: AuthzHeader[];
  clientId: string;
}

/** authz.v1.AllowResponse. */
export interface AllowResponse {
  allowed?: boolean;
  statusCode?: number;
  reason?: string;
  headers?: AuthzHeader[];
}

/** Decodes the filter's AllowRequest. */
export function decodeAllowRequest(message: Uint8Array): AllowRequest {
  const decoded = AllowRequestType.toObject(AllowRequestType.decode(message), {
    defaults: true,
    arrays: true,
  }) as AllowRequest;
  return {
    method: decoded.method,
    path: decoded.path,
    headers: decoded.headers.map(({ name, value }) => ({ name, value })),
    clientId: decoded.clientId,
  };
}

/** Encodes an AllowResponse for the filter. */
export function encodeAllowResponse(response: AllowResponse): Uint8Array {
  return AllowResponseType.encode(AllowResponseType.fromObject(response)).finish();
}

/** What the test service does with one request: answer with a decision, fail with a gRPC status, or send garbage. */
export type Verdict =
  | { readonly kind: "answer"; readonly response: AllowResponse }
  | { readonly kind: "error"; readonly status: number; readonly message: string }
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  | { readonly kind: "slow"; readonly response: AllowResponse };

/** The header value the test policy looks at. */
export function headerOf(request: AllowRequest, name: string): string | undefined {
  return request.headers.find((header) => header.name === name)?.value;
}

/**
 * The tests' policy, by the forwarded authorization header:
 *   "Bearer alice"  allowed, with x-auth-user, x-auth-roles (and x-unlisted, which the filter must ignore);
 *   "Bearer bob"    denied with 401 and a reason;
 *   "Bearer slow"   allowed, but only after the test's delay (longer than the filter's timeout);
 *   "Bearer broken" gRPC error 13 INTERNAL;
 *   "Bearer garbage" a reply that is not protobuf (a truncated varint);
 *   anything else   denied without a status or reason (the filter answers 403 "access denied").
 */
export function decide(request: AllowRequest): Verdict {
  switch (headerOf(request, "authorization")) {
    case "Bearer alice":
      return {
        kind: "answer",
        response: {
          allowed: true,
          headers: [
            { name: "x-auth-user", value: "alice" },
            { name: "x-auth-roles", value: "reader" },
            { name: "x-unlisted", value: "1" },
          ],
        },
      };
    case "Bearer bob":
      return {
        kind: "answer",
        response: { allowed: false, statusCode: 401, reason: `${request.method} ${request.path}: bob is suspended` },
      };
    case "Bearer slow":
      return { kind: "slow", response: { allowed: true, headers: [{ name: "x-auth-user", value: "late" }] } };
    case "Bearer broken":
      return { kind: "error", status: 13, message: "policy store unreachable" };
    case "Bearer garbage":
      return { kind: "bytes", bytes: Uint8Array.from([0x08, 0x96]) };
    default:
      return { kind: "answer", response: { allowed: false } };
  }
}
