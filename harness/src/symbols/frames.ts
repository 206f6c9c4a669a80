// Frames of a Wasm stack told in source terms, how they are printed, and where raw frames come from: V8's
// JavaScript stacks (`wasm-function[12]:0x1a2b`, the emulator) and Envoy's "Proxy-Wasm plugin in-VM backtrace".
import { demangle, isDispatchStub, type FrameKind } from "./names.ts";

/** A frame as an engine reports it: a byte offset in the module, and the function index or name when known. */
export interface WasmFrame {
  /** Byte offset of the instruction in the module file. */
  readonly offset: number;
  readonly functionIndex?: number;
  /** The name the engine printed (Envoy prints name-section names). */
  readonly functionName?: string;
}

/** One frame of a trap, in the filter's own source terms where the module's source map allows. */
export interface SourceFrame {
  /** Byte offset of the instruction in the module as built (before any emulator instrumentation). */
  readonly offset: number;
  /** Index of the Wasm function, when known. */
  readonly functionIndex: number | undefined;
  /** The Wasm function's internal name (name section, or the build's map), e.g. `~lib/…/exports/proxy_on_request_headers`. */
  readonly wasmFunction: string | undefined;
  /**
   * The function as written in the source: `MyFilter.onRequestHeaders` (the function the source line belongs to,
   * also when the optimizer inlined it), else the demangled Wasm name, else `wasm-function[N]`.
   */
  readonly function: string;
  /** Source file: the user's own relative to their project, packages as `node_modules/…`, AssemblyScript's library as `~lib/…`. */
  readonly file: string | undefined;
  /** 1-based line, when the source map has the offset. */
  readonly line: number | undefined;
  /** 1-based column, when the source map has the offset. */
  readonly column: number | undefined;
  /** The user's code, the SDK, or a library. */
  readonly kind: FrameKind;
  /** The text of the source line, when the map embeds the sources. */
  readonly sourceLine: string | undefined;
}

/** Envoy's header line above the in-VM backtrace (proxy-wasm-cpp-host, V8 runtime). */
export const ENVOY_BACKTRACE_HEADER = "Proxy-Wasm plugin in-VM backtrace:";
const V8_WASM_FRAME = /wasm-function\[(\d+)\]:0x([0-9a-f]+)/;
const ENVOY_FRAME = /^\s*\d+:\s+0x([0-9a-f]+) - (.*)$/;
const ENVOY_UNKNOWN_FUNCTION = /^unknown\(function index:(\d+)\)$/;

/** The Wasm frames of a V8 stack trace (`error.stack`), innermost first. */
export function wasmFramesInStack(stack: string | undefined): WasmFrame[] {
  const frames: WasmFrame[] = [];
  for (const line of (stack ?? "").split("\n")) {
    const m = V8_WASM_FRAME.exec(line);
    if (m) frames.push({ functionIndex: Number(m[1]), offset: Number.parseInt(m[2]!, 16) });
  }
  return frames;
}

/**
 * The frames of Envoy's in-VM backtrace in `message` (the text after "Function: … failed: …"), innermost first.
 * Envoy 1.36 and 1.40 print `  0:  0x185c - <name-section name>`, and only for modules with a name section.
 */
export function envoyBacktraceFrames(message: string): WasmFrame[] {
  const at = message.indexOf(ENVOY_BACKTRACE_HEADER);
  if (at < 0) return [];
  const frames: WasmFrame[] = [];
  for (const line of message.slice(at + ENVOY_BACKTRACE_HEADER.length).split("\n")) {
    const m = ENVOY_FRAME.exec(line);
    if (!m) continue;
    const unknown = ENVOY_UNKNOWN_FUNCTION.exec(m[2]!.trim());
    const offset = Number.parseInt(m[1]!, 16);
    frames.push(unknown ? { offset, functionIndex: Number(unknown[1]) } : { offset, functionName: m[2]!.trim() });
  }
  return frames;
}

/** `file:line:column` of a frame, or undefined when the map does not have it. */
export function frameLocation(frame: SourceFrame): string | undefined {
  if (frame.file === undefined) return undefined;
  return frame.line === undefined ? frame.file : `${frame.file}:${frame.line}:${frame.column}`;
}

const KIND_NOTE: Record<FrameKind, string> = {
  user: "",
  sdk: "proxy-wasm-as SDK",
  library: "library",
  unknown: "",
};
/** Frames printed by {@link formatFrames} unless told otherwise. */
export const DEFAULT_SHOWN_FRAMES = 8;

/**
 * One frame as a line: `at assembly/index.ts:42:7 in MyFilter.onRequestHeaders`. A library frame the optimizer
 * inlined into another Wasm function also names that function (where the user's code called it from).
 */
export function formatFrame(frame: SourceFrame): string {
  const where = frameLocation(frame);
  const physical = frame.wasmFunction === undefined ? undefined : demangle(frame.wasmFunction);
  const inlined = where && physical !== undefined && physical !== frame.function ? physical : undefined;
  const kind = KIND_NOTE[frame.kind];
  const note = kind ? ` (${kind}${inlined ? `, inlined into ${inlined}` : ""})` : "";
  return where
    ? `at ${where} in ${frame.function}${note}`
    : `at ${frame.function} (Wasm offset 0x${frame.offset.toString(16)}, no source position)${note}`;
}

/**
 * The frames as indented lines, innermost first, with the source line of the innermost frame in the user's own
 * code under it (a caret at the column), so the user's frame stands out even when library frames come first.
 */
export function formatFrames(
  frames: readonly SourceFrame[],
  options: { indent?: string; maxFrames?: number } = {},
): string[] {
  const indent = options.indent ?? "  ";
  // The compiler's virtual-dispatch stubs have no source: a frame of them only says "a method was called".
  const told = frames.filter((f) => !(f.line === undefined && isDispatchStub(f.wasmFunction)));
  frames = told.length > 0 ? told : frames;
  const shown = frames.slice(0, options.maxFrames ?? DEFAULT_SHOWN_FRAMES);
  const highlighted = frames.find((f) => f.kind === "user" && f.line !== undefined && f.sourceLine !== undefined);
  const lines: string[] = [];
  for (const frame of shown) {
    lines.push(`${indent}${formatFrame(frame)}`);
    if (frame === highlighted) lines.push(...codeFrame(frame, `${indent}  `));
  }
  if (highlighted && !shown.includes(highlighted)) {
    lines.push(`${indent}… your code: ${formatFrame(highlighted)}`, ...codeFrame(highlighted, `${indent}  `));
  }
  if (frames.length > shown.length) lines.push(`${indent}… ${frames.length - shown.length} more frame(s)`);
  return lines;
}

/**
 * A trap as lines: its headline (Envoy's "Function: … failed: …"), then its frames (see {@link formatFrames}), then
 * why they lack source lines when none has one.
 */
export function formatTrap(
  headline: string,
  frames: readonly SourceFrame[],
  note?: string,
  options: { indent?: string; maxFrames?: number } = {},
): string[] {
  const lines = [headline, ...formatFrames(frames, options)];
  if (note && frames.every((f) => f.line === undefined))
    lines.push(`${options.indent ?? "  "}(no source lines: ${note})`);
  return lines;
}

/** The longest source line shown under a frame. */
const MAX_SOURCE_LINE = 160;

function codeFrame(frame: SourceFrame, indent: string): string[] {
  const raw = frame.sourceLine ?? "";
  const text = raw.replace(/\t/g, "  ");
  if (!text.trim() || frame.line === undefined) return [];
  const number = String(frame.line);
  const gutter = " ".repeat(number.length);
  const caret = Math.min(
    raw.slice(0, Math.max(0, (frame.column ?? 1) - 1)).replace(/\t/g, "  ").length,
    MAX_SOURCE_LINE,
  );
  return [
    `${indent}${number} | ${text.length > MAX_SOURCE_LINE ? `${text.slice(0, MAX_SOURCE_LINE)}…` : text}`,
    `${indent}${gutter} | ${" ".repeat(caret)}^`,
  ];
}
