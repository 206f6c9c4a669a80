// The cached binary's check: each damage the issue found (truncated, zeroed ELF header, not executable, a directory,
// bytes overwritten in place) is told in words, and the sha256 is computed again only when the file changed.
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
  writeSync,
  closeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { stampPath, verifyBinary, writeStamp } from "./binary-check.ts";

const SIZE = 1 << 20;
let dir: string;
let binary: string;
let expected: { sha256: string; size: number };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "binary-check-"));
  binary = join(dir, "envoy");
  const bytes = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), randomBytes(SIZE - 4)]);
  writeFileSync(binary, bytes, { mode: 0o755 });
  expected = { sha256: createHash("sha256").update(bytes).digest("hex"), size: SIZE };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function overwrite(offset: number, bytes: Buffer): void {
  const fd = openSync(binary, "r+");
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

describe("verifyBinary", () => {
  test("a pinned binary passes and gets a stamp; a missing one says so", async () => {
    expect(await verifyBinary(binary, expected)).toEqual({ ok: true });
    expect(JSON.parse(readFileSync(stampPath(binary), "utf8")).sha256).toBe(expected.sha256);
    expect(await verifyBinary(join(dir, "nope"), expected)).toMatchObject({ ok: false, missing: true });
  });

  test("truncated", async () => {
    truncateSync(binary, SIZE / 2);
    expect(await verifyBinary(binary, expected)).toEqual({
      ok: false,
      missing: false,
      damage: `is not the pinned build: ${SIZE / 2} bytes where the pinned binary has ${SIZE} (truncated, or another build)`,
    });
  });

  test("zeroed ELF header", async () => {
    overwrite(0, Buffer.alloc(64));
    expect(await verifyBinary(binary, expected)).toMatchObject({ ok: false, damage: "has a zeroed ELF header" });
  });

  test("a directory", async () => {
    rmSync(binary);
    mkdirSync(binary);
    expect(await verifyBinary(binary, expected)).toMatchObject({ ok: false, damage: "is a directory, not a file" });
  });

  test("not executable, right sha256: made executable again, and said so", async () => {
    chmodSync(binary, 0o644);
    expect(await verifyBinary(binary, expected)).toEqual({
      ok: true,
      repaired: "was not executable (made executable again; its sha256 is right)",
    });
    expect(statSync(binary).mode & 0o111).toBe(0o111);
  });

  test("4 KiB overwritten in place after a verification is detected, even with the old mtime put back", async () => {
    expect((await verifyBinary(binary, expected)).ok).toBe(true);
    const before = statSync(binary);
    overwrite(SIZE / 2, randomBytes(4096));
    utimesSync(binary, before.atime, before.mtime);
    const verdict = await verifyBinary(binary, expected);
    expect(verdict).toMatchObject({ ok: false, missing: false });
    expect(verdict.ok ? "" : verdict.damage).toMatch(
      /^does not match the trusted sha256 \(saw [0-9a-f]{64}, expected /,
    );
  });

  test("an unchanged binary is not hashed again: a stamp that matches the file is trusted", async () => {
    expect((await verifyBinary(binary, expected)).ok).toBe(true);
    // A stamp claiming the expected digest for this very file (size, inode, mtime, ctime) is all it reads…
    expect(await verifyBinary(binary, { ...expected, sha256: "f".repeat(64) })).toMatchObject({ ok: false });
    await writeStamp(binary, "f".repeat(64));
    expect(await verifyBinary(binary, { ...expected, sha256: "f".repeat(64) })).toEqual({ ok: true });
    // …and any change to the file (here its mode, which moves ctime) makes it hash the file again.
    chmodSync(binary, 0o700);
    chmodSync(binary, 0o755);
    expect(await verifyBinary(binary, { ...expected, sha256: "f".repeat(64) })).toMatchObject({ ok: false });
  });

  test("an unpinned binary is checked against the digest recorded at download", async () => {
    expect(await verifyBinary(binary, undefined)).toMatchObject({
      ok: false,
      damage: "has no recorded sha256 to check it against",
    });
    await writeStamp(binary, expected.sha256);
    expect(await verifyBinary(binary, undefined)).toEqual({ ok: true });
    overwrite(100, randomBytes(16));
    expect(await verifyBinary(binary, undefined)).toMatchObject({ ok: false });
  });
});
