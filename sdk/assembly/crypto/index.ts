// Crypto utilities for filter authors, in plain AssemblyScript (no host calls, usable from any callback):
//   sha256 / Sha256         FIPS 180-4 SHA-256, one-shot or incremental
//   hmacSha256 / HmacSha256 RFC 2104 HMAC-SHA256 (e.g. HS256 JWT signatures, signed cookies); the class prepares
//                           one key once, for many MACs without allocation
//   constantTimeEqual       compare secrets (API keys, MACs) without timing leaks
//   base64* / base64Url*    RFC 4648 encoders and strict decoders (null on bad input); base64UrlDecodeInto
//                           decodes a range of bytes into a buffer, without allocating
//   hexEncode               lower-case hex for logs
// Import with:  import { hmacSha256, base64UrlDecode } from "@proxy-wasm-as/sdk/assembly/crypto";
export { Sha256, sha256, sha256String, SHA256_DIGEST_BYTES, SHA256_BLOCK_BYTES } from "./sha256";
export { hmacSha256, hmacSha256String, HmacSha256 } from "./hmac";
export { constantTimeEqual, constantTimeEqualString } from "./compare";
export {
  base64Encode, base64EncodeString, base64Decode, base64UrlEncode, base64UrlDecode, base64UrlDecodeInto, base64UrlDecodedLength,
} from "./base64";
export { hexEncode } from "./hex";
