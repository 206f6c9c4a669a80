// Tests the AssemblyScript crypto utilities compiled to Wasm (asc's JS API, in memory) against official
// vectors (FIPS 180-2/180-4 examples, RFC 4231, RFC 4648 §10) and against node:crypto on random inputs.
import { describe, expect, it, beforeAll } from "vitest";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { compileTestModule, ManagedMemory, MANAGED_MEMORY_EXPORTS, type ManagedMemoryExports, type Pointer } from "../../test/wasm-test-module.ts";

const here = dirname(fileURLToPath(import.meta.url));

// The test module: thin exports over the public crypto API, taking and returning managed objects by pointer.
const ENTRY_SOURCE = MANAGED_MEMORY_EXPORTS + `
import { sha256, Sha256, hmacSha256, HmacSha256, constantTimeEqual, base64Encode, base64UrlEncode, base64Decode, base64UrlDecode, base64UrlDecodeInto, base64UrlDecodedLength, hexEncode } from "./index";
export function sha256Of(data: ArrayBuffer): ArrayBuffer { return sha256(data); }
export function sha256InChunks(data: ArrayBuffer, chunk: i32): ArrayBuffer {
  const hasher = new Sha256();
  for (let offset = 0; offset < data.byteLength; offset += chunk) hasher.update(data.slice(offset, min(offset + chunk, data.byteLength)));
  return hasher.digest();
}
export function hmacOf(key: ArrayBuffer, message: ArrayBuffer): ArrayBuffer { return hmacSha256(key, message); }
let prepared: HmacSha256 | null = null;
export function prepareKey(key: ArrayBuffer): void { prepared = new HmacSha256(key); }
export function preparedMac(message: ArrayBuffer, start: i32, end: i32): ArrayBuffer { return prepared!.mac(message, start, end); }
export function preparedMacInto(message: ArrayBuffer, out: ArrayBuffer, offset: i32): void { prepared!.macInto(message, 0, message.byteLength, out, offset); }
export function digestInto(data: ArrayBuffer, out: ArrayBuffer, offset: i32): void { new Sha256().update(data).digestInto(out, offset); }
export function decodeUrlInto(input: ArrayBuffer, start: i32, end: i32, out: ArrayBuffer, offset: i32): i32 { return base64UrlDecodeInto(input, start, end, out, offset); }
export function decodedLength(length: i32): i32 { return base64UrlDecodedLength(length); }
export function equal(candidate: ArrayBuffer, expected: ArrayBuffer): bool { return constantTimeEqual(candidate, expected); }
export function encodeStandard(data: ArrayBuffer): string { return base64Encode(data); }
export function encodeUrl(data: ArrayBuffer): string { return base64UrlEncode(data); }
export function decodeStandard(text: string): ArrayBuffer | null { return base64Decode(text); }
export function decodeUrl(text: string): ArrayBuffer | null { return base64UrlDecode(text); }
export function hexOf(data: ArrayBuffer): string { return hexEncode(data); }
`;

interface CryptoExports extends ManagedMemoryExports {
  sha256Of(data: Pointer): Pointer;
  sha256InChunks(data: Pointer, chunk: number): Pointer;
  hmacOf(key: Pointer, message: Pointer): Pointer;
  prepareKey(key: Pointer): void;
  preparedMac(message: Pointer, start: number, end: number): Pointer;
  preparedMacInto(message: Pointer, out: Pointer, offset: number): void;
  digestInto(data: Pointer, out: Pointer, offset: number): void;
  decodeUrlInto(input: Pointer, start: number, end: number, out: Pointer, offset: number): number;
  decodedLength(length: number): number;
  equal(candidate: Pointer, expected: Pointer): number;
  encodeStandard(data: Pointer): Pointer;
  encodeUrl(data: Pointer): Pointer;
  decodeStandard(text: Pointer): Pointer;
  decodeUrl(text: Pointer): Pointer;
  hexOf(data: Pointer): Pointer;
}

let wasm: CryptoExports;
let memory: ManagedMemory;

const toWasmBytes = (bytes: Uint8Array) => memory.bytesIn(bytes);
const fromWasmBytes = (pointer: Pointer) => memory.bytesOut(pointer);
const toWasmString = (text: string) => memory.stringIn(text);
const fromWasmString = (pointer: Pointer) => memory.stringOut(pointer);

const bytes = (text: string) => Buffer.from(text, "utf8");
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");
const sha256Hex = (data: Uint8Array) => fromWasmBytes(wasm.sha256Of(toWasmBytes(data))).toString("hex");
const hmacHex = (key: Uint8Array, message: Uint8Array) => fromWasmBytes(wasm.hmacOf(toWasmBytes(key), toWasmBytes(message))).toString("hex");
const decoded = (pointer: Pointer) => (pointer === 0 ? null : fromWasmBytes(pointer).toString("latin1"));

beforeAll(async () => {
  wasm = await compileTestModule<CryptoExports>(here, "crypto", ENTRY_SOURCE, ["--noAssert"]);
  memory = new ManagedMemory(wasm);
}, 120_000);

describe("SHA-256 (FIPS 180-4)", () => {
  it("matches the NIST example vectors", () => {
    expect(sha256Hex(bytes("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex(bytes(""))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex(bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))
      .toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    expect(sha256Hex(bytes("a".repeat(1_000_000)))).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  });

  it("hashes the same in one piece and in chunks, around every padding boundary", () => {
    for (const length of [55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
      const data = randomBytes(length);
      const expected = createHash("sha256").update(data).digest("hex");
      expect(sha256Hex(data)).toBe(expected);
      for (const chunk of [1, 7, 64]) {
        expect(fromWasmBytes(wasm.sha256InChunks(toWasmBytes(data), chunk)).toString("hex")).toBe(expected);
      }
    }
  });

  it("agrees with node:crypto on random inputs", () => {
    for (let i = 0; i < 200; i++) {
      const data = randomBytes(Math.floor(Math.random() * 300));
      expect(sha256Hex(data)).toBe(createHash("sha256").update(data).digest("hex"));
    }
  });
});

describe("HMAC-SHA256 (RFC 2104, RFC 4231 test cases)", () => {
  it("matches RFC 4231 test cases 1, 2, 3, 4, 6 and 7", () => {
    expect(hmacHex(hex("0b".repeat(20)), bytes("Hi There")))
      .toBe("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    expect(hmacHex(bytes("Jefe"), bytes("what do ya want for nothing?")))
      .toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    expect(hmacHex(hex("aa".repeat(20)), hex("dd".repeat(50))))
      .toBe("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    expect(hmacHex(hex("0102030405060708090a0b0c0d0e0f10111213141516171819"), hex("cd".repeat(50))))
      .toBe("82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    expect(hmacHex(hex("aa".repeat(131)), bytes("Test Using Larger Than Block-Size Key - Hash Key First")))
      .toBe("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    expect(hmacHex(hex("aa".repeat(131)), bytes(
      "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
    ))).toBe("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
  });

  it("matches RFC 4231 test case 5 (output truncated to 128 bits)", () => {
    expect(hmacHex(hex("0c".repeat(20)), bytes("Test With Truncation")).slice(0, 32)).toBe("a3b6167473100ee06e0c796c2955552b");
  });

  it("agrees with node:crypto on random keys (0–200 bytes) and messages", () => {
    for (let i = 0; i < 150; i++) {
      const key = randomBytes(Math.floor(Math.random() * 200));
      const message = randomBytes(Math.floor(Math.random() * 300));
      expect(hmacHex(key, message)).toBe(createHmac("sha256", key).update(message).digest("hex"));
    }
  });
});

describe("HmacSha256 (one key prepared once)", () => {
  it("gives hmacSha256's MAC for every key length and for ranges of a message", () => {
    for (const keyLength of [0, 1, 31, 32, 63, 64, 65, 131]) {
      const key = randomBytes(keyLength);
      wasm.prepareKey(toWasmBytes(key));
      for (let i = 0; i < 20; i++) {
        const message = randomBytes(Math.floor(Math.random() * 300));
        const start = Math.floor(Math.random() * (message.length + 1));
        const end = start + Math.floor(Math.random() * (message.length - start + 1));
        const expected = createHmac("sha256", key).update(message.subarray(start, end)).digest("hex");
        expect(fromWasmBytes(wasm.preparedMac(toWasmBytes(message), start, end)).toString("hex")).toBe(expected);
      }
    }
  });

  it("matches RFC 4231 test case 2 when written into a buffer at an offset", () => {
    wasm.prepareKey(toWasmBytes(bytes("Jefe")));
    const out = toWasmBytes(Buffer.alloc(40));
    wasm.preparedMacInto(toWasmBytes(bytes("what do ya want for nothing?")), out, 5);
    const written = fromWasmBytes(out);
    expect(written.subarray(5, 37).toString("hex")).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    expect(written.subarray(0, 5).equals(Buffer.alloc(5))).toBe(true);
    expect(written.subarray(37).equals(Buffer.alloc(3))).toBe(true);
  });

  it("refuses to write a digest past the end of the buffer", () => {
    expect(() => wasm.digestInto(toWasmBytes(bytes("abc")), toWasmBytes(Buffer.alloc(40)), 9)).toThrow();
    wasm.digestInto(toWasmBytes(bytes("abc")), toWasmBytes(Buffer.alloc(40)), 8); // exactly fits
  });
});

describe("constantTimeEqual", () => {
  const equal = (a: string, b: string) => wasm.equal(toWasmBytes(bytes(a)), toWasmBytes(bytes(b))) === 1;
  it("is true only for identical bytes", () => {
    expect(equal("secret-key", "secret-key")).toBe(true);
    expect(equal("", "")).toBe(true);
    expect(equal("secret-kez", "secret-key")).toBe(false);
    expect(equal("Secret-key", "secret-key")).toBe(false);
    expect(equal("secret", "secret-key")).toBe(false);
    expect(equal("secret-key-longer", "secret-key")).toBe(false);
    expect(equal("", "secret")).toBe(false);
    expect(equal("a", "")).toBe(false);
    expect(equal("\0", "")).toBe(false);
    // a candidate that repeats the secret must not match (the loop wraps over the secret's bytes)
    expect(equal("abab", "ab")).toBe(false);
  });
});

describe("base64 / base64url (RFC 4648)", () => {
  const rfcVectors: Array<[string, string]> = [
    ["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"],
  ];

  it("encodes and decodes the RFC 4648 §10 vectors", () => {
    for (const [plain, encoded] of rfcVectors) {
      expect(fromWasmString(wasm.encodeStandard(toWasmBytes(bytes(plain))))).toBe(encoded);
      expect(decoded(wasm.decodeStandard(toWasmString(encoded)))).toBe(plain);
      const unpadded = encoded.replace(/=+$/, "");
      expect(fromWasmString(wasm.encodeUrl(toWasmBytes(bytes(plain))))).toBe(unpadded);
      expect(decoded(wasm.decodeUrl(toWasmString(unpadded)))).toBe(plain);
    }
  });

  it("uses '-' and '_' in base64url and '+' and '/' in base64", () => {
    const data = Buffer.from([0xfb, 0xff, 0xbf]);
    expect(fromWasmString(wasm.encodeStandard(toWasmBytes(data)))).toBe("+/+/");
    expect(fromWasmString(wasm.encodeUrl(toWasmBytes(data)))).toBe("-_-_");
    expect(decoded(wasm.decodeUrl(toWasmString("-_-_")))).toBe(data.toString("latin1"));
  });

  it("rejects malformed input with null", () => {
    for (const bad of ["Zg=", "Zg", "Z===", "Zm9v!", "Zm9v\n", "Zh==", "Zm8=Zm8=", "-_-_", "Zm 9v", "====", "Zm9=v"]) {
      expect(wasm.decodeStandard(toWasmString(bad)), `base64 "${bad}"`).toBe(0);
    }
    for (const bad of ["Zg==", "Z", "+/+/", "Zh", "Zm9v.", "Zm9vY"]) {
      expect(wasm.decodeUrl(toWasmString(bad)), `base64url "${bad}"`).toBe(0);
    }
  });

  it("decodes a range of bytes into a buffer (base64UrlDecodeInto) exactly as base64UrlDecode decodes the text", () => {
    const decodeRange = (text: string, prefix = "..", suffix = ".") => {
      const input = toWasmBytes(bytes(prefix + text + suffix));
      const out = toWasmBytes(Buffer.alloc(text.length + 4, 0xaa));
      const written = wasm.decodeUrlInto(input, prefix.length, prefix.length + text.length, out, 2);
      return written < 0 ? null : fromWasmBytes(out).subarray(2, 2 + written).toString("latin1");
    };
    for (let i = 0; i < 300; i++) {
      const data = randomBytes(Math.floor(Math.random() * 70));
      const url = data.toString("base64url");
      expect(decodeRange(url)).toBe(data.toString("latin1"));
      expect(wasm.decodedLength(url.length)).toBe(data.length);
      // any single character changed: the same verdict as the string decoder
      const at = Math.floor(Math.random() * Math.max(1, url.length));
      const changed = url.slice(0, at) + String.fromCharCode(Math.floor(Math.random() * 128)) + url.slice(at + 1);
      expect(decodeRange(changed), changed).toBe(decoded(wasm.decodeUrl(toWasmString(changed))));
    }
    for (const bad of ["Zg==", "Z", "+/+/", "Zh", "Zm9v.", "Zm9vY", "Zm9\u00e9"]) expect(decodeRange(bad), bad).toBeNull();
    // no room: refused, nothing written past the buffer
    const out = toWasmBytes(Buffer.alloc(4));
    expect(wasm.decodeUrlInto(toWasmBytes(bytes("Zm9vYmFy")), 0, 8, out, 0)).toBe(-1);
    expect(wasm.decodeUrlInto(toWasmBytes(bytes("Zm9v")), 0, 4, out, 1)).toBe(3);
    expect(wasm.decodeUrlInto(toWasmBytes(bytes("Zm9v")), 0, 4, out, 2)).toBe(-1);
    expect(wasm.decodeUrlInto(toWasmBytes(bytes("Zm9v")), 0, 5, out, 0)).toBe(-1); // range past the input
  });

  it("round-trips random data like node's encoders", () => {
    for (let i = 0; i < 200; i++) {
      const data = randomBytes(Math.floor(Math.random() * 100));
      const standard = fromWasmString(wasm.encodeStandard(toWasmBytes(data)));
      const url = fromWasmString(wasm.encodeUrl(toWasmBytes(data)));
      expect(standard).toBe(data.toString("base64"));
      expect(url).toBe(data.toString("base64url"));
      expect(decoded(wasm.decodeStandard(toWasmString(standard)))).toBe(data.toString("latin1"));
      expect(decoded(wasm.decodeUrl(toWasmString(url)))).toBe(data.toString("latin1"));
    }
  });
});

describe("hexEncode", () => {
  it("writes lower-case hex", () => {
    expect(fromWasmString(wasm.hexOf(toWasmBytes(hex("00ff10abcdef"))))).toBe("00ff10abcdef");
    expect(fromWasmString(wasm.hexOf(toWasmBytes(Buffer.alloc(0))))).toBe("");
  });
});
