// Tests the SDK's protobuf wire format module (sdk/assembly/api/protobuf.ts) compiled to Wasm (asc's JS API, in
// memory): the encoding guide's examples byte for byte, agreement with protobufjs (an independent implementation)
// in both directions on random messages, and malformed input of every kind, which must give an error value (with
// its byte offset), never a trap.
import { describe, expect, it, beforeAll } from "vitest";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { compileTestModule, ManagedMemory, MANAGED_MEMORY_EXPORTS, type ManagedMemoryExports, type Pointer } from "../../test/wasm-test-module.ts";
import { randomBytes } from "node:crypto";
import protobuf from "protobufjs";

const here = dirname(fileURLToPath(import.meta.url));

// The test module. Writing: a stack of writers (push() starts a nested message, pop(field) writes it into its
// parent). Reading: read(data, schema) walks `data`; the character at index N of `schema` says how to read field N
// (u uint64, k uint32, i int32, l int64, y sint32, z sint64, b bool, f fixed32, F fixed64, g float and d double
// (printed as their bits), s string, x bytes (hex), m nested message (same schema), R reads a varint twice,
// . not read at all, anything else or past the end: skip()). It prints "N=value" per field, or "error: ...".
const ENTRY_SOURCE = MANAGED_MEMORY_EXPORTS + `
import { ProtobufWriter, ProtobufReader } from "./protobuf";

const writers: ProtobufWriter[] = [new ProtobufWriter(1)];
function top(): ProtobufWriter { return writers[writers.length - 1]; }
export function start(): void { writers.length = 0; writers.push(new ProtobufWriter(1)); }
export function push(): void { writers.push(new ProtobufWriter(1)); }
export function pop(field: u32): void { const nested = writers.pop(); top().message(field, nested); }
export function writeUint64(field: u32, value: u64): void { top().uint64(field, value); }
export function writeUint32(field: u32, value: u32): void { top().uint32(field, value); }
export function writeInt32(field: u32, value: i32): void { top().int32(field, value); }
export function writeInt64(field: u32, value: i64): void { top().int64(field, value); }
export function writeSint32(field: u32, value: i32): void { top().sint32(field, value); }
export function writeSint64(field: u32, value: i64): void { top().sint64(field, value); }
export function writeBool(field: u32, value: bool): void { top().bool(field, value); }
export function writeFixed32(field: u32, value: u32): void { top().fixed32(field, value); }
export function writeFixed64(field: u32, value: u64): void { top().fixed64(field, value); }
export function writeFloat(field: u32, value: f32): void { top().float(field, value); }
export function writeDouble(field: u32, value: f64): void { top().double(field, value); }
export function writeString(field: u32, value: string): void { top().string(field, value); }
export function writeBytes(field: u32, value: ArrayBuffer): void { top().bytes(field, value); }
export function writtenLength(): i32 { return top().length; }
export function finish(): ArrayBuffer { return top().finish(); }

export function read(data: ArrayBuffer, schema: string): string {
  const reader = new ProtobufReader(data);
  const text = dump(reader, schema);
  const error = reader.error;
  return error != null ? "error: " + error : text;
}

function hex(data: ArrayBuffer): string {
  let out = "";
  const bytes = Uint8Array.wrap(data);
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + (<u32>bytes[i]).toString(16);
  return out;
}

function dump(reader: ProtobufReader, schema: string): string {
  let out = "";
  while (reader.next()) {
    const type = reader.field < <u32>schema.length ? schema.charAt(<i32>reader.field) : "?";
    let value = "";
    if (type == "u") value = reader.uint64().toString();
    else if (type == "k") value = reader.uint32().toString();
    else if (type == "i") value = reader.int32().toString();
    else if (type == "l") value = reader.int64().toString();
    else if (type == "y") value = reader.sint32().toString();
    else if (type == "z") value = reader.sint64().toString();
    else if (type == "b") value = reader.bool() ? "true" : "false";
    else if (type == "f") value = reader.fixed32().toString();
    else if (type == "F") value = reader.fixed64().toString();
    else if (type == "g") value = reinterpret<u32>(reader.float()).toString();
    else if (type == "d") value = reinterpret<u64>(reader.double()).toString();
    else if (type == "s") value = '"' + reader.string() + '"';
    else if (type == "x") value = hex(reader.bytes());
    else if (type == "m") value = "{" + dump(reader.message(), schema) + "}";
    else if (type == "R") value = reader.uint64().toString() + "," + reader.uint64().toString();
    else if (type == ".") value = "unread";
    else { reader.skip(); value = "skipped"; }
    out += (out.length > 0 ? " " : "") + reader.field.toString() + "=" + value;
  }
  return out;
}
`;

interface ProtobufExports extends ManagedMemoryExports {
  start(): void;
  push(): void;
  pop(field: number): void;
  writeUint64(field: number, value: bigint): void;
  writeUint32(field: number, value: number): void;
  writeInt32(field: number, value: number): void;
  writeInt64(field: number, value: bigint): void;
  writeSint32(field: number, value: number): void;
  writeSint64(field: number, value: bigint): void;
  writeBool(field: number, value: number): void;
  writeFixed32(field: number, value: number): void;
  writeFixed64(field: number, value: bigint): void;
  writeFloat(field: number, value: number): void;
  writeDouble(field: number, value: number): void;
  writeString(field: number, value: Pointer): void;
  writeBytes(field: number, value: Pointer): void;
  writtenLength(): number;
  finish(): Pointer;
  read(data: Pointer, schema: Pointer): Pointer;
}

let wasm: ProtobufExports;
let memory: ManagedMemory;

const toWasmBytes = (bytes: Uint8Array) => memory.bytesIn(bytes);
const fromWasmBytes = (pointer: Pointer) => memory.bytesOut(pointer);
const toWasmString = (text: string) => memory.stringIn(text);
const fromWasmString = (pointer: Pointer) => memory.stringOut(pointer);

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");
/** Reads `data` with the test module (see ENTRY_SOURCE for the schema letters). */
const read = (data: Uint8Array, schema: string) => fromWasmString(wasm.read(toWasmBytes(data), toWasmString(schema)));
/** Writes with the test module: `build` calls the write* exports; returns the finished message. */
function written(build: () => void): Buffer {
  wasm.start();
  build();
  return fromWasmBytes(wasm.finish());
}

beforeAll(async () => {
  wasm = await compileTestModule<ProtobufExports>(here, "protobuf", ENTRY_SOURCE, ["--noAssert"]);
  memory = new ManagedMemory(wasm);
}, 120_000);

describe("ProtobufWriter: the encoding guide's examples, byte for byte", () => {
  it("varint 150, string \"testing\", a nested message and a zero value", () => {
    expect(written(() => wasm.writeUint32(1, 150)).toString("hex")).toBe("089601");
    expect(written(() => wasm.writeString(2, toWasmString("testing"))).toString("hex")).toBe("120774657374696e67");
    expect(written(() => { wasm.push(); wasm.writeUint32(1, 150); wasm.pop(3); }).toString("hex")).toBe("1a03089601");
    expect(written(() => wasm.writeBool(1, 0)).toString("hex")).toBe("0800");
  });

  it("negative int32 and int64 take ten bytes; sint32/sint64 use zigzag", () => {
    expect(written(() => wasm.writeInt32(1, -2)).toString("hex")).toBe("08feffffffffffffffff01");
    expect(written(() => wasm.writeInt64(1, -1n)).toString("hex")).toBe("08ffffffffffffffffff01");
    expect(written(() => wasm.writeUint64(1, 0xffffffffffffffffn)).toString("hex")).toBe("08ffffffffffffffffff01");
    const zigzag: Array<[number, string]> = [[0, "00"], [-1, "01"], [1, "02"], [-2, "03"], [2147483647, "feffffff0f"], [-2147483648, "ffffffff0f"]];
    for (const [value, encoded] of zigzag) expect(written(() => wasm.writeSint32(1, value)).toString("hex")).toBe("08" + encoded);
    expect(written(() => wasm.writeSint64(1, -9223372036854775808n)).toString("hex")).toBe("08ffffffffffffffffff01");
  });

  it("fixed32, fixed64, float and double are little-endian", () => {
    expect(written(() => wasm.writeFixed32(5, 1)).toString("hex")).toBe("2d01000000");
    expect(written(() => wasm.writeFixed64(1, 0x0102030405060708n)).toString("hex")).toBe("090807060504030201");
    expect(written(() => wasm.writeDouble(1, 1)).toString("hex")).toBe("09000000000000f03f");
    expect(written(() => wasm.writeFloat(1, -2.5)).toString("hex")).toBe("0d000020c0");
  });

  it("encodes strings as UTF-8, large field numbers as multi-byte tags, and long values across buffer growth", () => {
    expect(written(() => wasm.writeString(1, toWasmString("é€😀"))).toString("hex")).toBe("0a09" + Buffer.from("é€😀").toString("hex"));
    expect(written(() => wasm.writeUint32(536870911, 1)).toString("hex")).toBe("f8ffffff0f01");
    const big = randomBytes(70_000);
    const out = written(() => { wasm.writeUint32(1, 7); wasm.writeBytes(2, toWasmBytes(big)); });
    expect(out.subarray(0, 6).toString("hex")).toBe("0807" + "12" + "f0a204"); // 70000 = varint f0 a2 04
    expect(out.subarray(6).equals(big)).toBe(true);
    expect(wasm.writtenLength()).toBe(out.length);
  });

  it("a field number outside 1..2^29-1 is a programming error: it aborts", () => {
    wasm.start();
    expect(() => wasm.writeUint32(0, 1)).toThrow(/AssemblyScript abort/);
    expect(() => wasm.writeUint32(536870912, 1)).toThrow(/AssemblyScript abort/);
  });
});

describe("ProtobufReader: well-formed input", () => {
  it("reads the encoding guide's examples", () => {
    expect(read(hex("089601"), "_u")).toBe("1=150");
    expect(read(hex("120774657374696e67"), "_us")).toBe('2="testing"');
    expect(read(hex("1a03089601"), "_uum")).toBe("3={1=150}");
    expect(read(hex("08feffffffffffffffff01"), "_i")).toBe("1=-2");
    expect(read(hex("08feffffffffffffffff01"), "_k")).toBe("1=4294967294"); // uint32 keeps the low 32 bits
    expect(read(hex("0803"), "_y")).toBe("1=-2");
    expect(read(hex("08ffffffffffffffffff01"), "_z")).toBe("1=-9223372036854775808");
    expect(read(hex("2d01000000"), "_____f")).toBe("5=1");
    expect(read(hex("09000000000000f03f"), "_d")).toBe(`1=${0x3ff0000000000000n}`);
    expect(read(hex(""), "_u")).toBe("");
  });

  it("reads a bool as false only for zero, and non-minimal varints like protobuf parsers do", () => {
    expect(read(hex("0800 0801 0802"), "_b")).toBe("1=false 1=true 1=true");
    expect(read(hex("088100"), "_u")).toBe("1=1"); // 1 written in two bytes
  });

  it("skips unknown fields of every wire type, groups included, and values the code did not read", () => {
    const message = Buffer.concat([
      hex("0801"),                      // 1: varint
      hex("b80601"),                    // 103: varint, unknown
      hex("ba0603616263"),              // 103: length-delimited, unknown
      hex("b9060102030405060708"),      // 103: fixed64, unknown
      hex("bd0601020304"),              // 103: fixed32, unknown
      hex("bb06 0801 1200 0b 0c bc06"), // 103: a group holding a varint, a string and an empty nested group
      hex("1002"),                      // 2: varint, not read by the code
      hex("1803"),                      // 3
    ]);
    expect(read(message, "_u.u")).toBe("1=1 103=skipped 103=skipped 103=skipped 103=skipped 103=skipped 2=unread 3=3");
  });

  it("agrees with protobufjs: what protobufjs writes, the reader reads", () => {
    for (let round = 0; round < 300; round++) {
      const sample = randomSample(2);
      const bytes = Sample.encode(Sample.fromObject(sample)).finish();
      expect(read(bytes, SCHEMA)).toBe(expectedDump(sample));
    }
  });

  it("agrees with protobufjs: what the writer writes, protobufjs reads", () => {
    for (let round = 0; round < 300; round++) {
      const sample = randomSample(2);
      const bytes = written(() => writeSample(sample));
      const decoded = Sample.toObject(Sample.decode(bytes), { longs: String, bytes: Array, defaults: false });
      expect(normalize(decoded)).toEqual(normalize(sample));
    }
  });
});

describe("ProtobufReader: malformed input is an error value with its byte offset, never a trap", () => {
  const cases: Array<[string, string, string]> = [
    ["truncated varint value", "08", "truncated varint at byte 1"],
    ["truncated varint value (continuation bit)", "0896", "truncated varint at byte 1"],
    ["varint of 11 bytes", "08ffffffffffffffffffff01", "varint longer than 64 bits at byte 1"],
    ["varint over 64 bits in 10 bytes", "08ffffffffffffffffff02", "varint longer than 64 bits at byte 1"],
    ["truncated tag", "80", "truncated varint at byte 0"],
    ["field number 0", "0001", "invalid field number 0 at byte 0"],
    ["field number over 2^29-1 (tag over 32 bits)", "808080801001", "invalid field number 536870912 at byte 0"],
    ["wire type 6", "0e", "invalid wire type 6 for field 1 at byte 0"],
    ["wire type 7", "0f", "invalid wire type 7 for field 1 at byte 0"],
    ["end-group without start-group", "0c", "end-group tag without a start-group for field 1 at byte 0"],
    ["length past the end", "12056162", "length 5 exceeds the 2 remaining bytes at byte 1"],
    ["huge length", "12ffffffff0f", "length 4294967295 exceeds the 0 remaining bytes at byte 1"],
    ["truncated fixed32", "350102", "truncated fixed32 at byte 1"],
    ["truncated fixed64", "2901020304050607", "truncated fixed64 at byte 1"],
    ["truncated unknown fixed64", "f906010203", "truncated fixed64 at byte 2"],
    ["truncated unknown length-delimited", "fa060561", "length 5 exceeds the 1 remaining bytes at byte 2"],
    ["varint where a string is expected", "1001", "field 2 has wire type 0, expected 2 at byte 1"],
    ["string where a varint is expected", "0a0161", "field 1 has wire type 2, expected 0 at byte 1"],
    ["fixed32 where a fixed64 is expected", "2d01020304", "field 5 has wire type 5, expected 1 at byte 1"],
    ["reading one value twice", "2001", "no field value to read (call next() first) at byte 2"],
    ["error inside a nested message", "1a020896", "truncated varint at byte 3"],
    ["nested message longer than its parent", "1a050801", "length 5 exceeds the 2 remaining bytes at byte 1"],
    ["nested field crossing the nested message's end", "1a02 1205 6162636465", "length 5 exceeds the 0 remaining bytes at byte 3"],
    ["invalid UTF-8 (bad continuation)", "1202c328", "invalid UTF-8 in string field 2 at byte 2"],
    ["invalid UTF-8 (overlong)", "1202c080", "invalid UTF-8 in string field 2 at byte 2"],
    ["invalid UTF-8 (surrogate)", "1203eda080", "invalid UTF-8 in string field 2 at byte 2"],
    ["invalid UTF-8 (above U+10FFFF)", "1204f4908080", "invalid UTF-8 in string field 2 at byte 2"],
    ["invalid UTF-8 (truncated sequence)", "12036162e2", "invalid UTF-8 in string field 2 at byte 4"],
    ["unterminated group", "430801", "unterminated group 8 at byte 1"],
    ["group closed by another field's end-group", "430801 14", "end-group tag for field 2 closes group 8 at byte 3"],
    ["groups nested 65 deep", "43".repeat(65), "groups nested deeper than 64 at byte 65"],
  ];
  for (const [what, bytes, error] of cases) {
    it(what, () => {
      // Fields 1-6 are read as uint64, string, message, uint64 twice, fixed64, fixed32; others are skipped.
      expect(read(hex(bytes), "_usmRFf")).toBe(`error: ${error}`);
    });
  }

  it("keeps only the first error, and reads nothing after it", () => {
    expect(read(hex("0801 1001 1a020896 0802"), "_usm")).toBe("error: field 2 has wire type 0, expected 2 at byte 3");
  });

  it("every truncation of a valid message reads or fails cleanly", () => {
    const full = Sample.encode(Sample.fromObject(randomSample(3))).finish();
    for (let length = 0; length <= full.length; length++) {
      const result = read(full.subarray(0, length), SCHEMA);
      if (length === full.length) expect(result).not.toMatch(/^error/);
      expect(typeof result).toBe("string");
    }
  });

  it("random bytes and random mutations of valid messages never trap", () => {
    for (let round = 0; round < 2000; round++) {
      const bytes = round % 2 === 0
        ? randomBytes(Math.floor(Math.random() * 64))
        : mutate(Buffer.from(Sample.encode(Sample.fromObject(randomSample(2))).finish()));
      const result = read(bytes, SCHEMA);
      expect(typeof result).toBe("string");
    }
  });
});

// ---- a message with every supported type, defined once for protobufjs and mirrored by SCHEMA ----

const root = protobuf.parse(`
  syntax = "proto3";
  message Sample {
    uint64 u = 1; uint32 k = 2; int32 i = 3; int64 l = 4; sint32 y = 5; sint64 z = 6; bool b = 7;
    fixed32 f = 8; fixed64 ff = 9; float g = 10; double d = 11; string s = 12; bytes x = 13;
    Sample m = 14; repeated Sample r = 15;
  }
`).root;
const Sample = root.lookupType("Sample");
/** How the test module reads Sample's fields 1..15 (15 is a repeated nested message). */
const SCHEMA = "_ukilyzbfFgdsxmm";

interface SampleValue {
  u?: string; k?: number; i?: number; l?: string; y?: number; z?: string; b?: boolean;
  f?: number; ff?: string; g?: number; d?: number; s?: string; x?: number[]; m?: SampleValue; r?: SampleValue[];
}

const pick = <T>(values: readonly T[]): T => values[Math.floor(Math.random() * values.length)]!;
const random64 = () => BigInt.asUintN(64, BigInt(`0x${randomBytes(8).toString("hex")}`) >> BigInt(pick([0, 7, 32, 57, 63])));
const randomInt32 = () => pick([0, 1, -1, 127, 128, 300, -300, 2147483647, -2147483648, randomBytes(4).readInt32LE()]);
const randomText = () => pick(["", "a", "héllo", "€uro", "😀 emoji", "x".repeat(200), "quote\"and\\slash"]);

/** A random Sample (every field present with probability 1/2), nested up to `depth` levels. */
function randomSample(depth: number): SampleValue {
  const sample: SampleValue = {};
  const maybe = () => Math.random() < 0.5;
  if (maybe()) sample.u = random64().toString();
  if (maybe()) sample.k = randomInt32() >>> 0;
  if (maybe()) sample.i = randomInt32();
  if (maybe()) sample.l = BigInt.asIntN(64, random64()).toString();
  if (maybe()) sample.y = randomInt32();
  if (maybe()) sample.z = BigInt.asIntN(64, random64()).toString();
  if (maybe()) sample.b = maybe();
  if (maybe()) sample.f = randomInt32() >>> 0;
  if (maybe()) sample.ff = random64().toString();
  if (maybe()) sample.g = Math.fround(pick([0, 1.5, -2.25, 3.4e38, 1e-40]));
  if (maybe()) sample.d = pick([0, -0.5, Math.PI, 1e300, -5e-324]);
  if (maybe()) sample.s = randomText();
  if (maybe()) sample.x = [...randomBytes(Math.floor(Math.random() * 5))];
  if (depth > 0 && maybe()) sample.m = randomSample(depth - 1);
  if (depth > 0 && maybe()) sample.r = [randomSample(depth - 1), randomSample(depth - 1)];
  return sample;
}

const floatBits = (value: number) => { const b = Buffer.alloc(4); b.writeFloatLE(value); return b.readUInt32LE(); };
const doubleBits = (value: number) => { const b = Buffer.alloc(8); b.writeDoubleLE(value); return b.readBigUInt64LE(); };

/** What the test module prints for `sample` as protobufjs writes it (fields in number order). */
function expectedDump(sample: SampleValue): string {
  const parts: string[] = [];
  if (sample.u !== undefined) parts.push(`1=${sample.u}`);
  if (sample.k !== undefined) parts.push(`2=${sample.k}`);
  if (sample.i !== undefined) parts.push(`3=${sample.i}`);
  if (sample.l !== undefined) parts.push(`4=${sample.l}`);
  if (sample.y !== undefined) parts.push(`5=${sample.y}`);
  if (sample.z !== undefined) parts.push(`6=${sample.z}`);
  if (sample.b !== undefined) parts.push(`7=${sample.b}`);
  if (sample.f !== undefined) parts.push(`8=${sample.f}`);
  if (sample.ff !== undefined) parts.push(`9=${sample.ff}`);
  if (sample.g !== undefined) parts.push(`10=${floatBits(sample.g)}`);
  if (sample.d !== undefined) parts.push(`11=${doubleBits(sample.d)}`);
  if (sample.s !== undefined) parts.push(`12="${sample.s}"`);
  if (sample.x !== undefined) parts.push(`13=${Buffer.from(sample.x).toString("hex")}`);
  if (sample.m !== undefined) parts.push(`14={${expectedDump(sample.m)}}`);
  for (const item of sample.r ?? []) parts.push(`15={${expectedDump(item)}}`);
  return parts.join(" ");
}

/** Writes `sample` with the test module's writer (fields in number order, like protobufjs). */
function writeSample(sample: SampleValue): void {
  if (sample.u !== undefined) wasm.writeUint64(1, BigInt(sample.u));
  if (sample.k !== undefined) wasm.writeUint32(2, sample.k);
  if (sample.i !== undefined) wasm.writeInt32(3, sample.i);
  if (sample.l !== undefined) wasm.writeInt64(4, BigInt(sample.l));
  if (sample.y !== undefined) wasm.writeSint32(5, sample.y);
  if (sample.z !== undefined) wasm.writeSint64(6, BigInt(sample.z));
  if (sample.b !== undefined) wasm.writeBool(7, sample.b ? 1 : 0);
  if (sample.f !== undefined) wasm.writeFixed32(8, sample.f);
  if (sample.ff !== undefined) wasm.writeFixed64(9, BigInt(sample.ff));
  if (sample.g !== undefined) wasm.writeFloat(10, sample.g);
  if (sample.d !== undefined) wasm.writeDouble(11, sample.d);
  if (sample.s !== undefined) wasm.writeString(12, toWasmString(sample.s));
  if (sample.x !== undefined) wasm.writeBytes(13, toWasmBytes(Uint8Array.from(sample.x)));
  if (sample.m !== undefined) { wasm.push(); writeSample(sample.m); wasm.pop(14); }
  for (const item of sample.r ?? []) { wasm.push(); writeSample(item); wasm.pop(15); }
}

/** Comparable form: floats as bits (so -0 and NaN compare exactly), empty repeated fields dropped. */
function normalize(value: SampleValue | Record<string, unknown>): unknown {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (key === "g") out[key] = floatBits(field as number);
    else if (key === "d") out[key] = doubleBits(field as number).toString();
    else if (key === "m") out[key] = normalize(field as SampleValue);
    else if (key === "r") { if ((field as unknown[]).length > 0) out[key] = (field as SampleValue[]).map(normalize); }
    else out[key] = field;
  }
  return out;
}

/** Overwrites one to three random bytes. */
function mutate(bytes: Buffer): Buffer {
  if (bytes.length === 0) return bytes;
  for (let n = 1 + Math.floor(Math.random() * 3); n > 0; n--) bytes[Math.floor(Math.random() * bytes.length)] = Math.floor(Math.random() * 256);
  return bytes;
}
