// Writing a file a user named on the command line, with the reason told in words when it fails (used by the
// `istio` and `gateway` commands).
import { writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { PackagingError } from "./errors.ts";

/** "no such file or folder" rather than Node's "ENOENT: no such file or directory, open '…'". */
export function describeFsError(cause: unknown): string {
  const error = cause as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOENT: "no such file or folder",
    EISDIR: "it is a folder",
    ENOTDIR: "a part of the path is a file, not a folder",
    EEXIST: "a file is in the way",
    EACCES: "permission denied",
  };
  return (error.code && reasons[error.code]) ?? error.message;
}

/** Writes a file the user named with --out; a missing folder or a folder in the way is a one-line error. */
export async function writeOutput(path: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (cause) {
    throw new PackagingError(`cannot write --out ${path}: ${describeFsError(cause)}`, {
      hint:
        (cause as NodeJS.ErrnoException).code === "EISDIR"
          ? "--out names the file to write, not a folder: add a file name (e.g. --out <folder>/plugin.yaml)"
          : (cause as NodeJS.ErrnoException).code === "ENOENT"
            ? `create the folder first (mkdir -p ${dirname(path)}) or pass a path in an existing folder`
            : "pass a path you can write to",
      cause,
    });
  }
}
