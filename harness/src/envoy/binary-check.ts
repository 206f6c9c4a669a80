// Is the cached Envoy binary the one we trust? Checked every time a cached binary is about to be used: the cheap
// checks (a regular file, its size, an ELF header) always, the sha256 (100+ MB) only when the file changed since the
// last verification, as a stamp beside it records (size, inode, mtime and ctime: any write or chmod moves ctime,
// which no user-level call can set back).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, lstat, open, readFile, rename, stat, writeFile } from "node:fs/promises";
import type { Stats } from "node:fs";

/** The first bytes of every ELF file. */
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
/** Owner, group and other execute bits. */
const EXECUTE_BITS = 0o111;

/** What a verified binary must be: its sha256 and, when known, its size. */
export interface ExpectedBinary {
  readonly sha256: string;
  readonly size?: number;
}

/** The result of {@link verifyBinary}: fine (possibly after making it executable again), or why it is damaged. */
export type BinaryVerdict =
  | { readonly ok: true; readonly repaired?: string }
  | { readonly ok: false; readonly missing: boolean; readonly damage: string };

interface Stamp {
  sha256: string;
  size: number;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** The stamp file beside a binary that records its last verification. */
export function stampPath(binary: string): string {
  return `${binary}.verified.json`;
}

/** Streams `path` through sha256 (hex). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The sha256 recorded the last time `binary` was verified or downloaded, if any (the unpinned-version trust). */
export async function recordedSha256(binary: string): Promise<string | undefined> {
  return (await readStamp(binary))?.sha256;
}

/**
 * Checks `binary` against `expected` (undefined: the digest recorded at download, for an unpinned version).
 * Never throws for a bad file: the verdict says what is wrong in words fit for "cached Envoy … <damage>".
 * A binary whose digest matches but lost its execute bits is made executable again (`repaired` says so).
 */
export async function verifyBinary(binary: string, expected: ExpectedBinary | undefined): Promise<BinaryVerdict> {
  let info: Stats;
  try {
    info = await lstat(binary);
  } catch {
    return { ok: false, missing: true, damage: "is missing" };
  }
  const damaged = (damage: string): BinaryVerdict => ({ ok: false, missing: false, damage });
  if (info.isDirectory()) return damaged("is a directory, not a file");
  if (!info.isFile()) return damaged("is not a regular file");
  if (info.size === 0) return damaged("is empty");
  if (expected?.size !== undefined && info.size !== expected.size)
    return damaged(
      `is not the pinned build: ${info.size} bytes where the pinned binary has ${expected.size} (${info.size < expected.size ? "truncated, or " : ""}another build)`,
    );
  const head = await readHead(binary, ELF_MAGIC.length);
  if (!head.equals(ELF_MAGIC))
    return damaged(head.every((b) => b === 0) ? "has a zeroed ELF header" : "is not an ELF executable");
  const stamp = await readStamp(binary);
  const want = expected?.sha256 ?? stamp?.sha256;
  if (want === undefined) return damaged("has no recorded sha256 to check it against");
  if (!(stamp && stamp.sha256 === want && stampMatches(stamp, info))) {
    const seen = await sha256File(binary);
    if (seen !== want) return damaged(`does not match the trusted sha256 (saw ${seen}, expected ${want})`);
  }
  let repaired: string | undefined;
  if ((info.mode & EXECUTE_BITS) !== EXECUTE_BITS) {
    await chmod(binary, 0o755);
    repaired = "was not executable (made executable again; its sha256 is right)";
  }
  await writeStamp(binary, want);
  return repaired ? { ok: true, repaired } : { ok: true };
}

/** Records that `binary` (as it is now on disk) has sha256 `sha256`. Written to a temp file, then renamed. */
export async function writeStamp(binary: string, sha256: string): Promise<void> {
  const info = await stat(binary);
  const stamp: Stamp = { sha256, size: info.size, ino: info.ino, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs };
  const old = await readStamp(binary);
  if (old && old.sha256 === sha256 && stampMatches(old, info)) return;
  const partial = `${stampPath(binary)}.partial-${process.pid}`;
  await writeFile(partial, `${JSON.stringify(stamp)}\n`);
  await rename(partial, stampPath(binary));
}

function stampMatches(stamp: Stamp, info: Stats): boolean {
  return (
    stamp.size === info.size &&
    stamp.ino === info.ino &&
    stamp.mtimeMs === info.mtimeMs &&
    stamp.ctimeMs === info.ctimeMs
  );
}

async function readStamp(binary: string): Promise<Stamp | undefined> {
  try {
    const value = JSON.parse(await readFile(stampPath(binary), "utf8")) as Partial<Stamp>;
    return typeof value.sha256 === "string" && typeof value.size === "number" ? (value as Stamp) : undefined;
  } catch {
    return undefined;
  }
}

async function readHead(path: string, length: number): Promise<Buffer> {
  const file = await open(path, "r");
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await file.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}
