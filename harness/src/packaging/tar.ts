// Reproducible tar+gzip: the bytes depend only on the files given (fixed mtime 0, uid/gid 0, mode 0644,
// no user/group names, the order given, gzip header without timestamp and with OS byte 255 "unknown").
// Also a tar reader (ustar, pax `path`, GNU long names), enough to read image layers back.
import { gunzipSync, gzipSync } from "node:zlib";
import { PackagingError } from "./errors.ts";

/** One regular file of a tar archive. */
export interface TarFile {
  /** Path inside the archive (≤ 100 bytes when writing). */
  name: string;
  data: Uint8Array;
}

const BLOCK = 512;

/** Builds a ustar archive of `files` (regular files only) in the given order. Throws for names over 100 bytes. */
export function writeTar(files: readonly TarFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    const name = Buffer.from(file.name, "utf8");
    if (name.length > 100)
      throw new PackagingError(`tar entry name "${file.name}" is longer than 100 bytes`, {
        hint: "use a shorter file name",
      });
    const header = Buffer.alloc(BLOCK);
    name.copy(header, 0);
    writeOctal(header, 100, 8, 0o644); // mode
    writeOctal(header, 108, 8, 0); // uid
    writeOctal(header, 116, 8, 0); // gid
    writeOctal(header, 124, 12, file.data.length); // size
    writeOctal(header, 136, 12, 0); // mtime
    header.fill(0x20, 148, 156); // checksum placeholder: spaces
    header[156] = 0x30; // typeflag '0': regular file
    header.write("ustar\u000000", 257, "latin1"); // magic + version
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, "latin1");
    parts.push(header, Buffer.from(file.data), Buffer.alloc((BLOCK - (file.data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(BLOCK * 2)); // end-of-archive marker
  return Buffer.concat(parts);
}

/** Reads the regular files of a tar archive (directories, links and other entries are skipped). */
export function readTar(tar: Uint8Array): TarFile[] {
  const buf = Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength);
  const files: TarFile[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= buf.length) {
    const header = buf.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = parseOctal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] || 0x30);
    const dataStart = offset + BLOCK;
    if (dataStart + size > buf.length)
      throw new PackagingError("tar archive is truncated", { hint: "rebuild the image layer" });
    const data = buf.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "x") {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString("utf8"));
      if (path) longName = path[1];
      continue;
    }
    if (type === "L") {
      longName = data.toString("utf8").replace(/\0.*$/s, "");
      continue;
    }
    const prefix = cString(header.subarray(345, 500));
    const name =
      longName ?? (prefix ? `${prefix}/${cString(header.subarray(0, 100))}` : cString(header.subarray(0, 100)));
    longName = undefined;
    if (type === "0" || type === "\u0000" || type === "7") files.push({ name, data: Buffer.from(data) });
  }
  return files;
}

/** gzip with fixed output for fixed input: level 9, mtime 0, OS byte 255 (so every platform yields the same bytes). */
export function gzipReproducible(data: Uint8Array): Buffer {
  const out = gzipSync(data, { level: 9 });
  out[9] = 0xff;
  return out;
}

/** gunzip, with an actionable error for data that is not gzip. */
export function gunzip(data: Uint8Array, what: string): Buffer {
  if (data.length < 2 || data[0] !== 0x1f || data[1] !== 0x8b) {
    throw new PackagingError(`${what} is not gzip-compressed (it does not start with the gzip magic 1f 8b)`, {
      hint: "Istio only reads tar+gzip layers in compat images; rebuild the layer with gzip compression",
    });
  }
  return gunzipSync(data);
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  header.write(`${value.toString(8).padStart(length - 1, "0")}\u0000`, offset, "latin1");
}

function parseOctal(field: Buffer): number {
  if (field[0]! & 0x80) {
    let value = 0; // base-256 (GNU) encoding for large sizes
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = cString(field).trim();
  return text ? parseInt(text, 8) : 0;
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString("utf8");
}
