// Helpers shared by the authentication filters (api-key-auth, jwt-auth), in AssemblyScript.
import { HttpContext, Header, GrpcStatus } from "@proxy-wasm-as/sdk";

/** "Bearer <token>" (scheme case-insensitive, RFC 6750 §2.1) → the token; null for anything else. */
export function bearerToken(authorization: string): string | null {
  if (authorization.length <= 7 || authorization.substring(0, 7).toLowerCase() != "bearer ") return null;
  const token = authorization.substring(7).trim();
  return token.length > 0 ? token : null;
}

/**
 * Ends the request with a local reply `status`, a JSON body {"error": error, "message": message} and, when
 * `challenge` is not empty, a WWW-Authenticate header. Call from onRequestHeaders and return its result
 * (Action.Pause; Envoy stops the request either way). `details` becomes Envoy's response code details
 * (%RESPONSE_CODE_DETAILS% in access logs; no spaces).
 */
export function replyWithError(context: HttpContext, status: u32, error: string, message: string, challenge: string, details: string): void {
  const headers: Header[] = [new Header("content-type", "application/json")];
  if (challenge.length > 0) headers.push(new Header("www-authenticate", challenge));
  const body = "{\"error\":\"" + error + "\",\"message\":\"" + message + "\"}\n";
  context.sendLocalResponse(status, body, headers, GrpcStatus.None, details);
}
