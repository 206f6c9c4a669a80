// An asc transform (passed through asc's API, never a file) recording where each function of the program is
// written. Optimized modules inline small functions into their callers, so a trap's byte offset maps to a line
// of `MyFilter.onRequestHeaders` inside the Wasm function `proxy_on_request_headers`; these ranges name the
// function a line belongs to (harness/src/symbols).
import * as assemblyscript from "assemblyscript";
import type { FunctionRange } from "../symbols/index.ts";

/** The part of asc's Program this transform reads. */
interface ProgramLike {
  readonly instancesByName: Map<string, ElementLike>;
}
interface SourceLike {
  readonly normalizedPath: string;
  lineAt(position: number): number;
  columnAt(): number;
}
interface ElementLike {
  readonly kind: number;
  readonly internalName: string;
  readonly prototype?: { readonly internalName: string };
  readonly declaration?: {
    readonly range: { readonly source: SourceLike; readonly start: number; readonly end: number };
  };
}

/** ElementKind.Function of the installed compiler (a const enum in its typings, a real object at run time). */
const FUNCTION_KIND = (assemblyscript as unknown as { ElementKind: { Function: number } }).ElementKind.Function;

/** A transform class for asc's `transforms` API option, and the ranges it records once the program compiled. */
export function functionRangeRecorder(): { readonly transform: new () => object; readonly ranges: FunctionRange[] } {
  const ranges: FunctionRange[] = [];
  let program: ProgramLike | undefined;
  class RecordFunctionRanges {
    afterInitialize(initialized: ProgramLike): void {
      program = initialized;
    }
    afterCompile(): void {
      const seen = new Set<string>();
      for (const element of program?.instancesByName.values() ?? []) {
        const range = element.kind === FUNCTION_KIND ? element.declaration?.range : undefined;
        if (!range) continue;
        // Instances of one generic declaration share its range: record it once, under the prototype's name.
        const name = element.prototype?.internalName ?? element.internalName;
        const source = range.source;
        const key = `${name}\0${source.normalizedPath}\0${range.start}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const startLine = source.lineAt(range.start);
        const startColumn = source.columnAt();
        const endLine = source.lineAt(range.end);
        ranges.push([name, source.normalizedPath, startLine, startColumn, endLine, source.columnAt()]);
      }
    }
  }
  return { transform: RecordFunctionRanges, ranges };
}
