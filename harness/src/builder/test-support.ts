// Tests only (not shipped): saving a file the ways editors and tools do, for the watch-mode tests.
import { copyFileSync, mkdtempSync, renameSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";

/** Saves as vim does by default (backupcopy=auto on a plain file): probe file 4913, rename to a backup, write anew. */
export function saveLikeVim(file: string, text: string): void {
  const dir = dirname(file);
  writeFileSync(join(dir, "4913"), "");
  unlinkSync(join(dir, "4913"));
  writeFileSync(join(dir, `.${basename(file)}.swp`), "swap");
  renameSync(file, `${file}~`);
  writeFileSync(file, text);
  unlinkSync(`${file}~`);
  unlinkSync(join(dir, `.${basename(file)}.swp`));
}

/** JetBrains "safe write": write a temporary, move the original aside, move the temporary in, delete the original. */
export function saveLikeJetBrains(file: string, text: string): void {
  writeFileSync(`${file}___jb_tmp___`, text);
  renameSync(file, `${file}___jb_old___`);
  renameSync(`${file}___jb_tmp___`, file);
  unlinkSync(`${file}___jb_old___`);
}

/** `sed -i`: a temporary `sedXXXXXX` in the same folder renamed over the file. */
export function saveLikeSed(file: string, text: string): void {
  const temporary = join(dirname(file), `sed${Math.random().toString(36).slice(2, 8)}`);
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

/** `cp -p` to elsewhere, then `mv` into place: a rename from outside the folder, with an mtime older than any output. */
export function saveByMove(file: string, text: string): void {
  const elsewhere = join(mkdtempSync(join(tmpdir(), "pwas-watch-mv-")), basename(file));
  writeFileSync(elsewhere, text);
  utimesSync(elsewhere, new Date("2020-01-01"), new Date("2020-01-01"));
  copyFileSync(elsewhere, `${elsewhere}.copy`);
  renameSync(`${elsewhere}.copy`, file);
  rmSync(dirname(elsewhere), { recursive: true, force: true });
}
