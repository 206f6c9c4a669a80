// The attribute table: which attributes Envoy answers in which phase of a Wasm filter, with their type and encoding,
// built from the probe's `attr` lines (`  attr request.time -> status=0 len=8 hex=…`). record-attributes.ts writes
// one per Envoy version (attributes/<version>.json); attributes.test.ts builds the emulator's and compares them.
import { ENVOY_ATTRIBUTES, type AttributeType } from "@proxy-wasm-as/harness/emulator";

/** One attribute in one phase. */
export interface AttributeRow {
  /** "vm_start", "configure", "http:on_request_headers", …, "tcp:on_log". */
  readonly phase: string;
  readonly attribute: string;
  /** proxy_get_property's status: 0 found, 1 NotFound, … */
  readonly status: number;
  /** Envoy's type of the attribute (found ones). */
  readonly type?: AttributeType;
  /** The encoding holds for the type (8 bytes for numbers, 1 for bool, valid pairs for maps, UTF-8 for strings). */
  readonly encodingOk?: boolean;
  /** The value's bytes in hex, for attributes whose value does not change from run to run. */
  readonly hex?: string;
}

/** The table of one Envoy version (or of the emulator). */
export interface AttributeTable {
  readonly source: string;
  readonly rows: readonly AttributeRow[];
}

const BY_NAME = new Map(ENVOY_ATTRIBUTES.map((a) => [a.name, a]));
const ATTR_LINE = /^\s*attr (\S+) -> status=(\d+)(?: len=(\d+) hex=([0-9a-f]*))?$/;
const CALLBACK_LINE = /^(on_[a-z_]+)/;

/** Whether `hex` (the whole value) is a valid encoding of `type`. */
export function encodingHolds(type: AttributeType, hex: string, length: number): boolean {
  const bytes = Buffer.from(hex, "hex");
  switch (type) {
    case "int":
    case "uint":
    case "timestamp":
    case "duration":
      return length === 8;
    case "bool":
      return length === 1 && bytes[0]! <= 1;
    case "string":
      return bytes.length < length || new TextDecoder("utf-8", { fatal: true }).decode(bytes) !== undefined;
    case "map": {
      if (length === 0) return true;
      if (bytes.length < length) return true; // only the first bytes were logged
      const n = bytes.readUInt32LE(0);
      let end = 4 + n * 8;
      for (let i = 0; i < n; i++) end += bytes.readUInt32LE(4 + i * 8) + bytes.readUInt32LE(8 + i * 8) + 2;
      return end === length;
    }
    default:
      return true;
  }
}

/** The rows of the `attr` lines in `lines`, the phase of each taken from the callback line before it. */
export function attributeRows(lines: readonly string[], phasePrefix: string, startPhase?: string): AttributeRow[] {
  const rows = new Map<string, AttributeRow>();
  let phase = startPhase ?? "";
  for (const raw of lines) {
    const line = raw.replace(/^probe /, "");
    const callback = CALLBACK_LINE.exec(line);
    if (callback) {
      phase =
        callback[1] === "on_vm_start"
          ? "vm_start"
          : callback[1] === "on_configure"
            ? "configure"
            : phasePrefix + callback[1];
      continue;
    }
    const m = ATTR_LINE.exec(line);
    if (!m) continue;
    const attribute = BY_NAME.get(m[1]!);
    if (!attribute) continue;
    const status = Number(m[2]);
    const row: AttributeRow =
      status !== 0
        ? { phase, attribute: attribute.name, status }
        : {
            phase,
            attribute: attribute.name,
            status,
            type: attribute.type,
            encodingOk: encodingHolds(attribute.type, m[4]!, Number(m[3])),
            ...(attribute.variesPerRun ? {} : { hex: m[4]! }),
          };
    rows.set(`${phase} ${attribute.name}`, row); // the last VM to start (the worker's) wins
  }
  return [...rows.values()];
}
