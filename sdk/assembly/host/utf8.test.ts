// The SDK's UTF-8 decoder (utf8.ts) compiled to Wasm and checked against Node's TextDecoder, which follows the
// same WHATWG rule: the lossy decoder must equal TextDecoder("utf-8"), the strict one TextDecoder(fatal) (null
// where it throws). Issue 13, finding 2: AssemblyScript's decoder dropped "\xc3" at the end of "<key>\xc3".
import { beforeAll, describe, expect, it } from "vitest";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { compileTestModule, ManagedMemory, MANAGED_MEMORY_EXPORTS, type ManagedMemoryExports, type Pointer } from "../../test/wasm-test-module.ts";

const ENTRY_SOURCE = MANAGED_MEMORY_EXPORTS + `
import { decodeUtf8Lossy, decodeUtf8Strict, isValidUtf8 } from "./utf8";
export function lossy(bytes: ArrayBuffer): string { return decodeUtf8Lossy(changetype<usize>(bytes), bytes.byteLength); }
export function strict(bytes: ArrayBuffer): string | null { return decodeUtf8Strict(bytes); }
export function valid(bytes: ArrayBuffer): bool { return isValidUtf8(bytes); }
export function validRange(bytes: ArrayBuffer, start: i32, end: i32): bool { return isValidUtf8(bytes, start, end); }
`;

interface Utf8Exports extends ManagedMemoryExports {
  lossy(bytes: Pointer): Pointer;
  strict(bytes: Pointer): Pointer;
  valid(bytes: Pointer): number;
  validRange(bytes: Pointer, start: number, end: number): number;
}

let wasm: Utf8Exports;
let memory: ManagedMemory;
const lossyDecoder = new TextDecoder("utf-8", { ignoreBOM: true }); // header bytes are exact: a BOM is kept
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function expectLikeTextDecoder(bytes: Uint8Array): void {
  const label = Buffer.from(bytes).toString("hex");
  expect(memory.stringOut(wasm.lossy(memory.bytesIn(bytes))), label).toBe(lossyDecoder.decode(bytes));
  let expected: string | null;
  try { expected = strictDecoder.decode(bytes); } catch { expected = null; }
  const strictPointer = wasm.strict(memory.bytesIn(bytes));
  expect(strictPointer === 0 ? null : memory.stringOut(strictPointer), label).toBe(expected);
  expect(wasm.valid(memory.bytesIn(bytes)) === 1, label).toBe(expected !== null);
}

beforeAll(async () => {
  wasm = await compileTestModule<Utf8Exports>(dirname(fileURLToPath(import.meta.url)), "utf8", ENTRY_SOURCE, ["--noAssert"]);
  memory = new ManagedMemory(wasm);
}, 120_000);

describe("UTF-8 decoding (host/utf8.ts)", () => {
  it("never drops an incomplete sequence at the end: <key>\\xc3 is not <key>", () => {
    const key = Buffer.from("k-ci-7f3a");
    for (const tail of [[0xc3], [0xff], [0xe2, 0x82], [0xf0, 0x9f, 0x98]]) {
      const bytes = Buffer.concat([key, Buffer.from(tail)]);
      expect(memory.stringOut(wasm.lossy(memory.bytesIn(bytes)))).toBe("k-ci-7f3a\ufffd");
      expect(wasm.strict(memory.bytesIn(bytes))).toBe(0);
    }
  });

  it("matches TextDecoder on valid text, overlong forms, surrogates, values above U+10FFFF and stray bytes", () => {
    const cases = [
      "", "plain ascii", "héllo wörld", "€ 100", "😀 emoji 𝄞", "\u0000nul",
      [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
      [0xf0, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xff], [0xfe, 0xff], [0x80],
      [0xbf, 0x80, 0x41], [0xe2, 0x28, 0xa1], [0xf0, 0x28, 0x8c, 0x28], [0x41, 0xe2, 0x82, 0x41], [0xef, 0xbb, 0xbf, 0x41],
    ];
    for (const item of cases) expectLikeTextDecoder(typeof item === "string" ? Buffer.from(item) : Uint8Array.from(item));
  });

  it("matches TextDecoder on 5,000 random byte strings biased towards UTF-8 lead and continuation bytes", () => {
    let state = 0x9e3779b9;
    const next = () => { state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0; return state; };
    const interesting = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff];
    for (let run = 0; run < 5_000; run++) {
      const bytes = Uint8Array.from({ length: next() % 12 }, () => (next() & 1 ? interesting[next() % interesting.length]! : next() & 0xff));
      expectLikeTextDecoder(bytes);
    }
  }, 60_000);

  it("checks long ASCII runs eight bytes at a time without missing a bad byte anywhere in them", () => {
    for (let length = 0; length < 40; length++) {
      const ascii = Buffer.alloc(length, 0x61);
      expectLikeTextDecoder(ascii);
      for (let at = 0; at < length; at++) {
        for (const bad of [0x80, 0xc3, 0xff]) {
          const bytes = Buffer.from(ascii);
          bytes[at] = bad;
          expectLikeTextDecoder(bytes);
        }
      }
    }
  });

  it("checks only the asked range with isValidUtf8(bytes, start, end), clamped to the buffer", () => {
    const bytes = memory.bytesIn(Buffer.concat([Buffer.from([0xff]), Buffer.from("abcdefghij-é"), Buffer.from([0xc3])]));
    expect(wasm.validRange(bytes, 0, 100)).toBe(0);
    expect(wasm.validRange(bytes, 1, 14)).toBe(1); // "abcdefghij-é"
    expect(wasm.validRange(bytes, 1, 13)).toBe(0); // cuts é in half
    expect(wasm.validRange(bytes, 1, 100)).toBe(0); // includes the final \xc3
    expect(wasm.validRange(bytes, 5, 5)).toBe(1);
    expect(wasm.validRange(bytes, -3, 1)).toBe(0);
    expect(wasm.validRange(bytes, 9, 2)).toBe(1); // empty
  });
});
