// Counts → coverage data, in istanbul's file coverage format (what `coverage-final.json` holds, and what
// istanbul-lib-coverage merges and istanbul-reports turns into lcov, text and HTML reports).
//
// Lines: each source line with code is one statement spanning the line; its count is the highest count of the
// blocks holding an instruction of that line (a line is covered when any of its instructions ran).
// Functions: declared at the line of their declaration (found in the source above their first line with code),
// counted by their entry block. Branches: one per conditional, at its source position, with a count per
// direction; instances of the same source conditional (generic instantiations) add up.
import { existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { demangle, splitInternalName } from "../../symbols/index.ts";
import type { ModuleSourceMap } from "./module-map.ts";
import type { BranchKind, FunctionProbes } from "./probe-plan.ts";

/** A position: 1-based line, 0-based column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}
/** A source range. */
export interface Range {
  readonly start: Position;
  readonly end: Position;
}
/** One function of a file (istanbul's fnMap entry). */
export interface FunctionMapping {
  readonly name: string;
  readonly decl: Range;
  readonly loc: Range;
  readonly line: number;
}
/** One conditional of a file (istanbul's branchMap entry): `locations` has one entry per direction. */
export interface BranchMapping {
  readonly type: string;
  readonly line: number;
  readonly loc: Range;
  readonly locations: readonly Range[];
}
/** The coverage of one source file, in istanbul's format. `path` is absolute. */
export interface FileCoverageData {
  readonly path: string;
  readonly statementMap: Record<string, Range>;
  readonly fnMap: Record<string, FunctionMapping>;
  readonly branchMap: Record<string, BranchMapping>;
  readonly s: Record<string, number>;
  readonly f: Record<string, number>;
  readonly b: Record<string, number[]>;
}
/** Coverage of several files, by absolute path (istanbul's CoverageMapData; `coverage-final.json`). */
export type CoverageData = Record<string, FileCoverageData>;

/** What {@link toCoverageData} needs to know about one measured module. */
export interface MeasuredModuleView {
  readonly functions: readonly FunctionProbes[];
  readonly map: ModuleSourceMap;
  readonly names: ReadonlyMap<number, string>;
  /** True for the sources (by index in the map) that are measured. */
  readonly included: readonly boolean[];
  /** The folder the map's project paths are relative to. */
  readonly root: string;
}

const BRANCH_TYPES: Record<BranchKind, string> = { if: "if", br_if: "if", select: "cond-expr", br_table: "switch" };
/** How far above its first line with code a function's declaration is looked for. */
const DECLARATION_SEARCH_LINES = 50;

interface FileTally {
  readonly lines: Map<number, number>;
  readonly functions: Map<number, { name: string; count: number }>;
  readonly branches: Map<string, { line: number; column: number; type: string; counts: number[] }>;
}

/** The coverage data of one module from its counter values (`counts[i]` is counter i). */
export function toCoverageData(module: MeasuredModuleView, counts: readonly number[]): CoverageData {
  const { map, included } = module;
  const files = new Map<number, FileTally>();
  const tally = (source: number): FileTally => {
    const known = files.get(source);
    if (known) return known;
    const created: FileTally = { lines: new Map(), functions: new Map(), branches: new Map() };
    files.set(source, created);
    return created;
  };
  for (const fn of module.functions) {
    let first: { source: number; line: number } | null = null;
    for (const block of fn.blocks) {
      const count = counts[block.counter] ?? 0;
      for (const offset of block.instructions) {
        const p = map.positionAt(offset, fn.bodyStart);
        if (!p || !included[p.source]) continue;
        if (!first) first = { source: p.source, line: p.line };
        const lines = tally(p.source).lines;
        lines.set(p.line, Math.max(lines.get(p.line) ?? 0, count));
      }
    }
    const rawName = module.names.get(fn.functionIndex);
    // Top-level code (`start:…`) is lines, not a function; so are compiler-made functions (`~visit`, `@varargs`).
    if (first && rawName !== undefined && !rawName.startsWith("start:")) {
      const name = demangle(rawName);
      if (!/[~@]/.test(splitInternalName(rawName).element)) {
        const line = declarationLine(map.sourcesContent[first.source] ?? null, first.line, name);
        const functions = tally(first.source).functions;
        const known = functions.get(line);
        const count = counts[fn.blocks[0]!.counter] ?? 0;
        functions.set(line, { name: known?.name ?? name.replace(/<.*$/, ""), count: (known?.count ?? 0) + count });
      }
    }
    for (const branch of fn.branches) {
      const p = map.positionAtOrBefore(branch.offset, fn.bodyStart);
      if (!p || !included[p.source]) continue;
      const type = BRANCH_TYPES[branch.kind];
      const key = `${p.line}:${p.column}:${type}:${branch.counters.length}`;
      const branches = tally(p.source).branches;
      const known = branches.get(key);
      const counts_ = branch.counters.map((c, i) => (counts[c] ?? 0) + (known?.counts[i] ?? 0));
      branches.set(key, { line: p.line, column: p.column, type, counts: counts_ });
    }
  }
  const data: CoverageData = {};
  for (const [source, t] of files) {
    const path = sourcePath(module.root, map.sources[source]!);
    data[path] = fileCoverage(path, t, map.sourcesContent[source] ?? null);
  }
  return data;
}

function fileCoverage(path: string, t: FileTally, content: string | null): FileCoverageData {
  const lineText = content?.split("\n") ?? [];
  const wholeLine = (line: number): Range => ({
    start: { line, column: 0 },
    end: { line, column: (lineText[line - 1] ?? "").replace(/\r$/, "").length },
  });
  const statementMap: Record<string, Range> = {};
  const s: Record<string, number> = {};
  [...t.lines.entries()]
    .sort((a, b) => a[0] - b[0])
    .forEach(([line, count], i) => {
      statementMap[i] = wholeLine(line);
      s[i] = count;
    });
  const fnMap: Record<string, FunctionMapping> = {};
  const f: Record<string, number> = {};
  [...t.functions.entries()]
    .sort((a, b) => a[0] - b[0])
    .forEach(([line, { name, count }], i) => {
      fnMap[i] = { name, decl: wholeLine(line), loc: wholeLine(line), line };
      f[i] = count;
    });
  const branchMap: Record<string, BranchMapping> = {};
  const b: Record<string, number[]> = {};
  [...t.branches.values()]
    .sort((x, y) => x.line - y.line || x.column - y.column)
    .forEach((branch, i) => {
      const loc = {
        start: { line: branch.line, column: branch.column },
        end: { line: branch.line, column: branch.column + 1 },
      };
      branchMap[i] = { type: branch.type, line: branch.line, loc, locations: branch.counts.map(() => loc) };
      b[i] = branch.counts;
    });
  return { path, statementMap, fnMap, branchMap, s, f, b };
}

/**
 * The line declaring the function `name` (demangled): the nearest line at or above `firstLine` (its first line
 * with code) that names its last member followed by `(`; `firstLine` when none does.
 */
function declarationLine(content: string | null, firstLine: number, name: string): number {
  if (!content) return firstLine;
  const member = (name.split(".").pop() ?? name).replace(/^[gs]et /, "").replace(/<.*$/, "");
  if (!member) return firstLine;
  const pattern = new RegExp(`(^|[^\\w$])${member.replace(/[$]/g, "\\$")}\\s*(<[^>]*>)?\\s*\\(`);
  const lines = content.split("\n");
  for (let line = firstLine; line >= Math.max(1, firstLine - DECLARATION_SEARCH_LINES); line--) {
    if (pattern.test(lines[line - 1] ?? "")) return line;
  }
  return firstLine;
}

/**
 * The absolute path of a source named `source` in a map: project sources relative to `root`; `~lib/…` library
 * sources in AssemblyScript's standard library or the package under node_modules they come from.
 */
export function sourcePath(root: string, source: string): string {
  if (!source.startsWith("~lib/")) return resolve(root, source);
  const rest = source.slice("~lib/".length);
  try {
    const std = join(createRequire(join(root, "package.json")).resolve("assemblyscript/package.json"), "..");
    const inStd = join(std, "std", "assembly", rest);
    if (existsSync(inStd)) return inStd;
  } catch {
    /* AssemblyScript not installed there */
  }
  const inPackage = join(root, "node_modules", rest);
  return existsSync(inPackage) ? realpathSync(inPackage) : inPackage;
}

/** True for a source path that belongs to a library (the standard library, a package): not the project's own. */
export function isLibrarySource(source: string): boolean {
  return source.startsWith("~lib/") || /(^|\/)node_modules\//.test(source);
}
