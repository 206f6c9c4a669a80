// Helpers shared by the authentication filters (api-key-auth, jwt-auth), in AssemblyScript.
import { HttpContext, Header, GrpcStatus, HeaderMap, decodeUtf8Strict } from "@proxy-wasm-as/sdk";

/**
 * A credential header read as the exact bytes Envoy holds. `present` false: the header is absent.
 * `text` null while present: the value is not valid UTF-8 and must be refused (never decoded lossily).
 */
export class CredentialHeader {
  constructor(public readonly present: bool, public readonly text: string | null) {}
}

/** Reads header `name` for a credential check (see CredentialHeader). */
export function readCredentialHeader(headers: HeaderMap, name: string): CredentialHeader {
  const bytes = headers.getBytes(name);
  if (bytes == null) return new CredentialHeader(false, null);
  return new CredentialHeader(true, decodeUtf8Strict(bytes));
}

/**
 * "Bearer <token>" (scheme case-insensitive, RFC 6750 §2.1: one or more spaces after it) → the token exactly as
 * sent, nothing trimmed (Envoy already strips the value's outer whitespace); null for anything else.
 */
export function bearerToken(authorization: string): string | null {
  if (authorization.length <= 7 || authorization.substring(0, 7).toLowerCase() != "bearer ") return null;
  let start = 7;
  while (start < authorization.length && authorization.charCodeAt(start) == 0x20) start++;
  return start < authorization.length ? authorization.substring(start) : null;
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
