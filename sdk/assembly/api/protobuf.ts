// Protocol Buffers binary wire format (https://protobuf.dev/programming-guides/encoding/), for the messages a
// filter exchanges with gRPC services (grpcCall / grpcStream) or keeps in shared data:
//   ProtobufWriter   builds a message field by field (varints, zigzag, fixed, strings, bytes, nested messages)
//   ProtobufReader   walks a message field by field; unknown fields are skipped; malformed input never traps:
//                    the first problem is kept in `error` (with its byte offset) and reading stops
// Plain AssemblyScript without host calls: usable from any callback, and at module start.
//   import { ProtobufWriter, ProtobufReader } from "@proxy-wasm-as/sdk";
// Not covered: packed repeated scalar fields (proto3's encoding of `repeated int32` and the like; `bytes()` gives
// their raw bytes), and writing deprecated groups (readers skip them).

import { firstInvalidUtf8, decodeUtf8Lossy } from "../host/utf8";

/** How a field's value is encoded on the wire: the low 3 bits of its tag. */
export enum ProtobufWireType { Varint = 0, Fixed64 = 1, LengthDelimited = 2, StartGroup = 3, EndGroup = 4, Fixed32 = 5 }

/** The largest field number protobuf allows (2^29 - 1). */
export const PROTOBUF_MAX_FIELD_NUMBER: u32 = 0x1fffffff;

/** How deeply deprecated groups may nest before a reader gives up (keeps the skip bounded). */
const MAX_GROUP_DEPTH: i32 = 64;

/**
 * Builds one protobuf message. Each method appends one field (tag, then value) and returns the writer, so calls
 * chain: `new ProtobufWriter().string(1, "GET").bool(4, true).finish()`. Every call writes its field, zero values
 * included (proto3 encoders usually leave those out; readers see the same message either way). Field numbers
 * must be 1 to PROTOBUF_MAX_FIELD_NUMBER: any other number is a bug in the caller and aborts with a message.
 */
export class ProtobufWriter {
  private buffer: ArrayBuffer;
  private size: i32 = 0;

  /** `capacity`: initial buffer size in bytes (it grows as needed). */
  constructor(capacity: i32 = 64) {
    this.buffer = new ArrayBuffer(max(capacity, 16));
  }

  /** Number of bytes written so far. */
  get length(): i32 { return this.size; }

  /** A uint64 (or uint32, enum or any unsigned) field as a varint. */
  uint64(field: u32, value: u64): this {
    this.tag(field, ProtobufWireType.Varint);
    this.varint(value);
    return this;
  }

  /** A uint32 field as a varint. */
  uint32(field: u32, value: u32): this { return this.uint64(field, <u64>value); }

  /** An int32 (or enum) field: negative values take 10 bytes (sign-extended to 64 bits), as protobuf requires. */
  int32(field: u32, value: i32): this { return this.uint64(field, <u64><i64>value); }

  /** An int64 field as a varint (negative values take 10 bytes). */
  int64(field: u32, value: i64): this { return this.uint64(field, <u64>value); }

  /** A sint32 field: zigzag-encoded, so small negative numbers stay short. */
  sint32(field: u32, value: i32): this { return this.uint64(field, <u64><u32>((value << 1) ^ (value >> 31))); }

  /** A sint64 field: zigzag-encoded. */
  sint64(field: u32, value: i64): this { return this.uint64(field, <u64>((value << 1) ^ (value >> 63))); }

  /** A bool field (varint 0 or 1). */
  bool(field: u32, value: bool): this { return this.uint64(field, value ? 1 : 0); }

  /** A fixed32 field (also sfixed32 after a cast): 4 bytes, little-endian. */
  fixed32(field: u32, value: u32): this {
    this.tag(field, ProtobufWireType.Fixed32);
    this.reserve(4);
    store<u32>(changetype<usize>(this.buffer) + <usize>this.size, value);
    this.size += 4;
    return this;
  }

  /** A fixed64 field (also sfixed64 after a cast): 8 bytes, little-endian. */
  fixed64(field: u32, value: u64): this {
    this.tag(field, ProtobufWireType.Fixed64);
    this.reserve(8);
    store<u64>(changetype<usize>(this.buffer) + <usize>this.size, value);
    this.size += 8;
    return this;
  }

  /** A float field (IEEE 754 single precision, as fixed32). */
  float(field: u32, value: f32): this { return this.fixed32(field, reinterpret<u32>(value)); }

  /** A double field (IEEE 754 double precision, as fixed64). */
  double(field: u32, value: f64): this { return this.fixed64(field, reinterpret<u64>(value)); }

  /** A string field, UTF-8 encoded (lone surrogates are written as WTF-8, like String.UTF8.encode). */
  string(field: u32, value: string): this {
    const byteLength = String.UTF8.byteLength(value);
    this.lengthPrefix(field, byteLength);
    String.UTF8.encodeUnsafe(changetype<usize>(value), value.length, changetype<usize>(this.buffer) + <usize>this.size);
    this.size += byteLength;
    return this;
  }

  /** A bytes field. */
  bytes(field: u32, value: ArrayBuffer): this {
    this.appendDelimited(field, changetype<usize>(value), value.byteLength);
    return this;
  }

  /** A nested message field: the bytes `message` has written so far (it can still be used afterwards). */
  message(field: u32, message: ProtobufWriter): this {
    this.appendDelimited(field, changetype<usize>(message.buffer), message.size);
    return this;
  }

  /** The message: a new buffer with the bytes written so far. The writer can go on writing. */
  finish(): ArrayBuffer {
    const out = new ArrayBuffer(this.size);
    memory.copy(changetype<usize>(out), changetype<usize>(this.buffer), <usize>this.size);
    return out;
  }

  private appendDelimited(field: u32, source: usize, byteLength: i32): void {
    this.lengthPrefix(field, byteLength);
    memory.copy(changetype<usize>(this.buffer) + <usize>this.size, source, <usize>byteLength);
    this.size += byteLength;
  }

  /** Tag and length of a length-delimited field, with room reserved for its `byteLength` bytes. */
  private lengthPrefix(field: u32, byteLength: i32): void {
    this.tag(field, ProtobufWireType.LengthDelimited);
    this.varint(<u64>byteLength);
    this.reserve(byteLength);
  }

  private tag(field: u32, wireType: ProtobufWireType): void {
    if (field == 0 || field > PROTOBUF_MAX_FIELD_NUMBER) abort("protobuf field numbers are 1 to 536870911");
    this.varint((<u64>field << 3) | <u64>wireType);
  }

  private varint(value: u64): void {
    this.reserve(10);
    let at = changetype<usize>(this.buffer) + <usize>this.size;
    const start = at;
    while (value >= 0x80) {
      store<u8>(at++, <u8>(value | 0x80));
      value >>= 7;
    }
    store<u8>(at++, <u8>value);
    this.size += <i32>(at - start);
  }

  /** Makes room for `extra` more bytes. */
  private reserve(extra: i32): void {
    const needed = this.size + extra;
    const capacity = this.buffer.byteLength;
    if (needed <= capacity) return;
    const grown = new ArrayBuffer(max(needed, capacity << 1));
    memory.copy(changetype<usize>(grown), changetype<usize>(this.buffer), <usize>this.size);
    this.buffer = grown;
  }
}

/** The first problem met while reading a message; shared by a reader and the readers of its nested messages. */
class ProtobufProblem {
  message: string | null = null;
}

/**
 * Reads one protobuf message field by field, without trusting it:
 * ```
 * const reader = new ProtobufReader(grpcReceiveBuffer.getBytes());
 * while (reader.next()) {
 *   if (reader.field == 1) allowed = reader.bool();
 *   else if (reader.field == 3) reason = reader.string();
 *   else if (reader.field == 4) readHeader(reader.message());
 * }                                            // other fields are skipped, also when a case does not read them
 * if (reader.error != null) { ... }            // malformed: e.g. "truncated varint at byte 7"
 * ```
 * Reading a value with the wrong accessor for its wire type (e.g. `string()` on a varint field) is an error
 * too. After an error, `next()` returns false and accessors return zero values, so code reads straight through
 * and checks `error` once at the end. Byte offsets in messages count from the start of the outermost message.
 */
export class ProtobufReader {
  /** Field number of the current field (valid after next() returned true). */
  field: u32 = 0;
  /** Wire type of the current field (valid after next() returned true). */
  wireType: ProtobufWireType = ProtobufWireType.Varint;
  private position: i32 = 0;
  private end: i32;
  /** True while the current field's value has not been read (next() then skips it). */
  private valuePending: bool = false;
  /** Shared with the readers of nested messages, so their errors are this reader's errors. */
  private problem: ProtobufProblem = new ProtobufProblem();

  /** A reader over all of `data` (e.g. grpcReceiveBuffer.getBytes()); it does not copy `data`. */
  constructor(private readonly data: ArrayBuffer) {
    this.end = data.byteLength;
  }

  /** The first problem found (in this message or a nested one), or null while the input is well-formed. */
  get error(): string | null { return this.problem.message; }

  /**
   * Moves to the next field, skipping the current one if its value was not read. Returns false at the end of the
   * message or after an error (check `error`).
   */
  next(): bool {
    if (this.valuePending) this.skip();
    if (this.problem.message != null || this.position >= this.end) return false;
    const at = this.position;
    const tag = this.varint();
    if (this.problem.message != null) return false;
    const field = <u32>(tag >> 3);
    const wireType = <u32>(tag & 7);
    if (tag > 0xffffffff || field == 0) return this.fail("invalid field number " + (tag >> 3).toString(), at);
    if (wireType > <u32>ProtobufWireType.Fixed32) return this.fail("invalid wire type " + wireType.toString() + " for field " + field.toString(), at);
    if (wireType == <u32>ProtobufWireType.EndGroup) return this.fail("end-group tag without a start-group for field " + field.toString(), at);
    this.field = field;
    this.wireType = <ProtobufWireType>wireType;
    this.valuePending = true;
    return true;
  }

  /** The current varint field as a uint64 (also the raw value of int64 and enum fields). */
  uint64(): u64 { return this.take(ProtobufWireType.Varint) ? this.varint() : 0; }

  /** The current varint field as a uint32 (higher bits are dropped, as protobuf parsers do). */
  uint32(): u32 { return <u32>this.uint64(); }

  /** The current varint field as an int32 (or enum). */
  int32(): i32 { return <i32>this.uint64(); }

  /** The current varint field as an int64. */
  int64(): i64 { return <i64>this.uint64(); }

  /** The current zigzag varint field as a sint32. */
  sint32(): i32 {
    const raw = <u32>this.uint64();
    return <i32>(raw >>> 1) ^ -<i32>(raw & 1);
  }

  /** The current zigzag varint field as a sint64. */
  sint64(): i64 {
    const raw = this.uint64();
    return <i64>(raw >>> 1) ^ -<i64>(raw & 1);
  }

  /** The current varint field as a bool (any non-zero value is true). */
  bool(): bool { return this.uint64() != 0; }

  /** The current fixed32 field (also sfixed32 after a cast). */
  fixed32(): u32 {
    if (!this.take(ProtobufWireType.Fixed32) || !this.has(4, "fixed32")) return 0;
    const value = load<u32>(changetype<usize>(this.data) + <usize>this.position);
    this.position += 4;
    return value;
  }

  /** The current fixed64 field (also sfixed64 after a cast). */
  fixed64(): u64 {
    if (!this.take(ProtobufWireType.Fixed64) || !this.has(8, "fixed64")) return 0;
    const value = load<u64>(changetype<usize>(this.data) + <usize>this.position);
    this.position += 8;
    return value;
  }

  /** The current float field. */
  float(): f32 { return reinterpret<f32>(this.fixed32()); }

  /** The current double field. */
  double(): f64 { return reinterpret<f64>(this.fixed64()); }

  /** The current length-delimited field as a UTF-8 string; invalid UTF-8 is an error (as proto3 requires). */
  string(): string {
    const length = this.delimited();
    if (length < 0) return "";
    const start = changetype<usize>(this.data) + <usize>this.position;
    const invalidAt = <i32>firstInvalidUtf8(start, <usize>length);
    if (invalidAt >= 0) { this.fail("invalid UTF-8 in string field " + this.field.toString(), this.position + invalidAt); return ""; }
    this.position += length;
    return decodeUtf8Lossy(start, <usize>length); // checked above: nothing is replaced
  }

  /** The current length-delimited field as bytes (a copy). */
  bytes(): ArrayBuffer {
    const length = this.delimited();
    if (length < 0) return new ArrayBuffer(0);
    const start = this.position;
    this.position += length;
    return this.data.slice(start, start + length);
  }

  /**
   * The current length-delimited field as a nested message: a reader over its bytes (no copy) whose errors are
   * also this reader's errors. After an error it is an empty reader.
   */
  message(): ProtobufReader {
    const size = max(this.delimited(), 0);
    const nested = new ProtobufReader(this.data);
    nested.position = this.position;
    nested.end = this.position + size;
    nested.problem = this.problem;
    this.position += size;
    return nested;
  }

  /** Skips the current field's value, whatever its wire type (groups included). */
  skip(): void {
    if (!this.valuePending) return;
    this.valuePending = false;
    this.skipValue(this.field, this.wireType, 0);
  }

  /** Records `message` at byte `at` as the error (only the first one is kept) and stops reading; returns false. */
  private fail(message: string, at: i32): bool {
    if (this.problem.message == null) this.problem.message = message + " at byte " + at.toString();
    this.position = this.end;
    this.valuePending = false;
    return false;
  }

  /** Starts reading the current value, checking it has wire type `expected`. */
  private take(expected: ProtobufWireType): bool {
    if (!this.valuePending) {
      if (this.problem.message == null) this.fail("no field value to read (call next() first)", this.position);
      return false;
    }
    this.valuePending = false;
    if (this.wireType == expected) return true;
    return this.fail("field " + this.field.toString() + " has wire type " + (<i32>this.wireType).toString() + ", expected " + (<i32>expected).toString(), this.position);
  }

  /** True if `count` more bytes are there; otherwise records a truncation. */
  private has(count: i32, what: string): bool {
    return this.end - this.position >= count || this.fail("truncated " + what, this.position);
  }

  /** Reads the length of the current length-delimited value and checks it fits; -1 after an error. */
  private delimited(): i32 {
    if (!this.take(ProtobufWireType.LengthDelimited)) return -1;
    return this.length();
  }

  /** A length prefix that must fit in what remains of this message; -1 after an error. */
  private length(): i32 {
    const at = this.position;
    const length = this.varint();
    if (this.problem.message != null) return -1;
    const remaining = this.end - this.position;
    if (length > <u64>remaining) {
      this.fail("length " + length.toString() + " exceeds the " + remaining.toString() + " remaining bytes", at);
      return -1;
    }
    return <i32>length;
  }

  /** A base-128 varint of at most 10 bytes (64 bits); 0 after an error. */
  private varint(): u64 {
    const at = this.position;
    const base = changetype<usize>(this.data);
    let result: u64 = 0;
    for (let shift: u64 = 0; shift < 64; shift += 7) {
      if (this.position >= this.end) { this.fail("truncated varint", at); return 0; }
      const byte = <u64>load<u8>(base + <usize>this.position);
      this.position++;
      if (shift == 63 && byte > 1) break;
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
    this.fail("varint longer than 64 bits", at);
    return 0;
  }

  private skipValue(field: u32, wireType: ProtobufWireType, depth: i32): void {
    switch (wireType) {
      case ProtobufWireType.Varint: this.varint(); break;
      case ProtobufWireType.Fixed64: if (this.has(8, "fixed64")) this.position += 8; break;
      case ProtobufWireType.Fixed32: if (this.has(4, "fixed32")) this.position += 4; break;
      case ProtobufWireType.LengthDelimited: { const length = this.length(); if (length > 0) this.position += length; break; }
      case ProtobufWireType.StartGroup: this.skipGroup(field, depth + 1); break;
    }
  }

  /** Skips a deprecated group up to its matching end-group tag. */
  private skipGroup(field: u32, depth: i32): void {
    const start = this.position;
    if (depth > MAX_GROUP_DEPTH) { this.fail("groups nested deeper than " + MAX_GROUP_DEPTH.toString(), start); return; }
    while (this.problem.message == null) {
      if (this.position >= this.end) { this.fail("unterminated group " + field.toString(), start); return; }
      const at = this.position;
      const tag = this.varint();
      const inner = <u32>(tag >> 3);
      const wireType = <u32>(tag & 7);
      if (this.problem.message != null) return;
      if (tag > 0xffffffff || inner == 0 || wireType > <u32>ProtobufWireType.Fixed32) { this.fail("invalid tag in group " + field.toString(), at); return; }
      if (wireType == <u32>ProtobufWireType.EndGroup) {
        if (inner != field) this.fail("end-group tag for field " + inner.toString() + " closes group " + field.toString(), at);
        return;
      }
      this.skipValue(inner, <ProtobufWireType>wireType, depth);
    }
  }
}

