// json-scan.as.ts (jwt-auth's claim reader) against the SDK's parseJson, compiled together into one test module: for
// generated JSON documents (valid, mutated into invalid, deeply nested, with escaped and repeated names, numbers in
// every form), both must accept and refuse the same documents and give each wanted name the same value.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  compileTestModule,
  MANAGED_MEMORY_EXPORTS,
  ManagedMemory,
  type ManagedMemoryExports,
  type Pointer,
} from "../../sdk/test/wasm-test-module.ts";

const here = dirname(fileURLToPath(import.meta.url));
// "exp" twice: a forwarded claim may be one of the registered ones (each wanted name gets the value).
const WANTED = ["exp", "nbf", "iss", "aud", "sub", "é", "", "exp"];

// Both readers describe what they found the same way: "invalid", or one line per wanted name:
// kind, then the value (strings unescaped, numbers as their f64 bits, arrays as their string items).
const ENTRY_SOURCE = `${MANAGED_MEMORY_EXPORTS}
import { MemberScanner, ScannedValue, StringItems, ValueKind, numberValue, stringValue } from "./json-scan.as";
import { parseJson, JsonKind, JsonValue, JsonString } from "../../sdk/assembly/api/json";
import { decodeUtf8StrictUnsafe } from "../../sdk/assembly/host/utf8";

const NAMES: string[] = ${JSON.stringify(WANTED)};
const scanner = new MemberScanner(NAMES);
const items = new StringItems();
const item = new ScannedValue();

export function viaScan(bytes: ArrayBuffer): string {
  if (!scanner.scan(bytes, 0, bytes.byteLength)) return "invalid";
  let out = "";
  for (let i = 0; i < NAMES.length; i++) {
    const v = scanner.values[i];
    if (v.kind == ValueKind.Absent) out += "absent";
    else if (v.kind == ValueKind.String) out += "string " + stringValue(bytes, v);
    else if (v.kind == ValueKind.Number) out += "number " + reinterpret<u64>(numberValue(bytes, v)).toString(16);
    else if (v.kind == ValueKind.True) out += "true";
    else if (v.kind == ValueKind.False) out += "false";
    else if (v.kind == ValueKind.Null) out += "null";
    else if (v.kind == ValueKind.Object) out += "object";
    else {
      out += "array";
      items.reset(bytes, v);
      while (items.next(item)) out += " [" + stringValue(bytes, item) + "]";
    }
    out += "\\n";
  }
  return out;
}

export function viaParse(bytes: ArrayBuffer): string {
  const text = decodeUtf8StrictUnsafe(changetype<usize>(bytes), bytes.byteLength);
  if (text == null) return "not utf-8";
  const parsed = parseJson(text);
  const value = parsed.value;
  const object = parsed.error == null && value != null ? value.asObject() : null;
  if (object == null) return "invalid";
  let out = "";
  for (let i = 0; i < NAMES.length; i++) {
    const v = object.get(NAMES[i]);
    if (v == null) out += "absent";
    else if (v.kind == JsonKind.String) out += "string " + v.asString()!;
    else if (v.kind == JsonKind.Number) out += "number " + reinterpret<u64>(v.asNumber()).toString(16);
    else if (v.kind == JsonKind.Bool) out += v.asBool() ? "true" : "false";
    else if (v.kind == JsonKind.Null) out += "null";
    else if (v.kind == JsonKind.Object) out += "object";
    else {
      out += "array";
      const list = v.asArray()!;
      for (let k = 0; k < list.length; k++) {
        const s = list.at(k)!.asString();
        if (s != null) out += " [" + s + "]";
      }
    }
    out += "\\n";
  }
  return out;
}
`;

interface ScanExports extends ManagedMemoryExports {
  viaScan(bytes: Pointer): Pointer;
  viaParse(bytes: Pointer): Pointer;
}

let wasm: ScanExports;
let memory: ManagedMemory;

function both(document: string | Buffer): { scan: string; parse: string } {
  const bytes = typeof document === "string" ? Buffer.from(document, "utf8") : document;
  return {
    scan: memory.stringOut(wasm.viaScan(memory.bytesIn(bytes))),
    parse: memory.stringOut(wasm.viaParse(memory.bytesIn(bytes))),
  };
}

function expectSame(document: string): void {
  const { scan, parse } = both(document);
  expect(scan, document).toBe(parse);
}

beforeAll(async () => {
  wasm = await compileTestModule<ScanExports>(here, "json-scan", ENTRY_SOURCE);
  memory = new ManagedMemory(wasm);
}, 120_000);

/** A member name as a JSON string: sometimes with some characters written as \\u escapes. */
const memberName = fc
  .tuple(fc.constantFrom(...new Set(WANTED), "other", "expx", "ex", "iss2"), fc.boolean())
  .map(([name, escapeFirst]) =>
    escapeFirst && name.length > 0
      ? `"\\u${name.charCodeAt(0).toString(16).padStart(4, "0")}${JSON.stringify(name.slice(1)).slice(1)}`
      : JSON.stringify(name),
  );

/** A JSON value as text, including numbers in forms JSON.stringify never writes. */
const valueText: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.constantFrom(
    "-0",
    "1e3",
    "1E+3",
    "2.50",
    "0.1e-2",
    "123456789012345678901234",
    "1.7976931348623157e308",
    "5e-324",
  ),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.string().map((s) => JSON.stringify(s)),
  fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 4 }).map((a) => JSON.stringify(a)),
  fc.constantFrom('"tab\\there"', '"\\ud800"', '"\\uD83D\\uDE00"', '"caf\\u00e9"', '"a\\"b\\\\c\\/d\\b\\f\\n\\r"'),
);

/** An object with wanted and other members (names may repeat), with some whitespace. */
const objectText = fc
  .array(fc.tuple(memberName, valueText, fc.constantFrom("", " ", "\n\t", "\r\n ")), { maxLength: 8 })
  .map((members) => `{${members.map(([name, value, ws]) => `${ws}${name}${ws}:${ws}${value}${ws}`).join(",")}}`);

/** A mutation that usually makes a document invalid (or valid in a surprising way). */
const mutated = fc
  .tuple(
    objectText,
    fc.nat(),
    fc.constantFrom("", ",", "}", "{", "]", "[", '"', "\\", ":", " ", "0", "-", "e", ".", "t", "\u0001", "é"),
    fc.nat({ max: 2 }),
  )
  .map(([text, at, insert, remove]) => {
    const i = text.length === 0 ? 0 : at % text.length;
    return text.slice(0, i) + insert + text.slice(i + remove);
  });

describe("jwt-auth's JSON claim scan agrees with the SDK's parseJson", () => {
  it("on documents chosen by hand", () => {
    for (const document of [
      '{"exp": 1, "sub": "a", "sub": "b"}',
      '{"\\u0065xp": 5, "exp": 6, "\\u0065xp": 7}',
      '{"aud": ["x", 1, "y", {"z": 1}, "w"]}',
      '{"aud": []}',
      '{"aud": "one"}',
      '{"é": "é", "": 0}',
      "{}",
      " {} ",
      "[]",
      '"x"',
      "{",
      '{"exp": 01}',
      '{"exp": 1.}',
      '{"exp": .5}',
      '{"exp": +1}',
      '{"exp": 1e}',
      '{"exp": -}',
      '{"exp": 1,}',
      '{"exp" 1}',
      '{"exp": tru}',
      '{"exp": nul}',
      '{"exp": falsey}',
      '{"exp": true} x',
      '{"sub": "\\x"}',
      '{"sub": "\\u12"}',
      '{"sub": "a\tb"}',
      `{"aud": ${"[".repeat(63)}${"]".repeat(63)}}`,
      `{"aud": ${"[".repeat(64)}${"]".repeat(64)}}`,
      `{"aud": ${"[".repeat(65)}${"]".repeat(65)}}`,
      `{"iss": ${'{"a":'.repeat(64)}1${"}".repeat(64)}}`,
    ])
      expectSame(document);
  });

  it("on generated documents, valid and mutated", () => {
    fc.assert(fc.property(fc.oneof(objectText, mutated), expectSame), { numRuns: 3000 });
  });

  it("refuses bytes that are not UTF-8 only through the caller (the scan is given checked bytes)", () => {
    // The filter checks UTF-8 first (token.as.ts decodeSegment); parseJson is reached through a strict decoder.
    expect(both(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])).parse).toBe("not utf-8");
  });
});
