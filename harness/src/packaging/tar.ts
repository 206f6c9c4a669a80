// Reproducible tar+gzip: the bytes depend only on the files given (fixed mtime 0, uid/gid 0, mode 0644,
// no user/group names, the order given, gzip header without timestamp and with OS byte 255 "unknown").
// Also a streamed, size-capped search of a tar+gzip layer for one file (what istio-agent does with a layer).
import { Readable } from "node:stream";
import { createGunzip, gzipSync } from "node:zlib";
import { extract as tarExtract } from "tar-stream";
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

/** gzip with fixed output for fixed input: level 9, mtime 0, OS byte 255 (so every platform yields the same bytes). */
export function gzipReproducible(data: Uint8Array): Buffer {
  const out = gzipSync(data, { level: 9 });
  out[9] = 0xff;
  return out;
}

/** What {@link findInTarGz} read: the first regular file whose name matched, or the regular files it saw. */
export type TarSearch =
  | { found: TarFile }
  | {
      found?: undefined;
      /** Number of regular files in the archive. */
      fileCount: number;
      /** The first {@link LISTED_NAMES} of their names. */
      names: string[];
    };

/** Options of {@link findInTarGz}. */
export interface TarGzLimits {
  /**
   * Most bytes of the uncompressed tar stream read; past it the archive is treated as ending there (istio-agent reads
   * layers through `io.LimitReader(gzipReader, ISTIO_WASM_MAX_BINARY_SIZE_BYTES)`), so a file not complete by then is
   * refused with a {@link TarLimitError}.
   */
  maxTarBytes: number;
  /** What the archive is, for messages (e.g. "layer sha256:…"). */
  what: string;
}

/** Names listed by a {@link TarSearch} that found nothing (the count is exact). */
export const LISTED_NAMES = 10;

/** The uncompressed tar stream reached {@link TarGzLimits.maxTarBytes} before the searched file was complete. */
export class TarLimitError extends PackagingError {}

/**
 * gzip input is fed to zlib in slices this large and inflated into chunks this large, pulled only as fast as the tar
 * reader takes them (zlib waits for its reader), so a bomb's memory stays a few chunks whatever its ratio. Smaller
 * slices cost speed (8 KiB ones inflate about 7 times slower), not memory.
 */
const GZIP_CHUNK_BYTES = 64 * 1024;

/**
 * Streams `gz` through gunzip and a tar reader and returns the first regular file whose name `matches`, reading no
 * further than it (as istio-agent does). Only the matched file is held in memory; other entries are skipped as
 * they stream by, and the uncompressed stream is cut at `maxTarBytes`, so a gzip bomb costs at most that much
 * inflating and about 8 MiB of memory. Throws a {@link PackagingError} for input that is not tar+gzip or is
 * truncated, and a {@link TarLimitError} when the limit cut the archive before the file (or the end) was reached.
 * The tar format (ustar, pax, GNU long names) is read by the `tar-stream` library.
 */
export async function findInTarGz(
  gz: Uint8Array,
  matches: (name: string) => boolean,
  limits: TarGzLimits,
): Promise<TarSearch> {
  if (gz.length < 2 || gz[0] !== 0x1f || gz[1] !== 0x8b) {
    throw new PackagingError(`${limits.what} is not gzip-compressed (it does not start with the gzip magic 1f 8b)`, {
      hint: "Istio only reads tar+gzip layers in compat images; rebuild the layer with gzip compression",
    });
  }
  const gunzip = Readable.from(slices(gz, GZIP_CHUNK_BYTES)).pipe(createGunzip({ chunkSize: GZIP_CHUNK_BYTES }));
  // Accept pre-POSIX (v7) headers too, as Go's archive/tar (istio-agent's reader) does.
  const extract = tarExtract({ allowUnknownFormat: true } as Parameters<typeof tarExtract>[0]);
  let tarBytes = 0;
  let cut = false;
  void (async () => {
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        const room = limits.maxTarBytes - tarBytes;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        tarBytes += part.length;
        if (part.length > 0 && !extract.write(part)) {
          await new Promise<void>((resolve) => {
            const done = () => {
              extract.off("drain", done);
              extract.off("close", done);
              resolve();
            };
            extract.on("drain", done);
            extract.on("close", done);
          });
        }
        if (chunk.length > room) cut = true;
        if (cut || extract.destroyed) break;
      }
      extract.end(null);
    } catch (err) {
      extract.destroy(err as Error);
    }
  })();
  const limitError = () =>
    new TarLimitError(
      `${limits.what} inflates past the limit of ${limits.maxTarBytes} bytes of tar before the file Istio looks for is complete`,
      {
        hint: "istio-agent stops reading a layer there (ISTIO_WASM_MAX_BINARY_SIZE_BYTES, default 256 MiB): put plugin.wasm first in a small layer (`npx proxy-wasm-as istio package` does), or raise --max-layer-bytes to match a proxy configured with a larger limit",
      },
    );
  let fileCount = 0;
  const names: string[] = [];
  try {
    for await (const entry of extract) {
      const { name, type } = entry.header;
      if (type === "file" || type === "contiguous-file") {
        fileCount++;
        if (names.length < LISTED_NAMES) names.push(name);
        if (matches(name)) {
          const chunks: Buffer[] = [];
          for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
          return { found: { name, data: Buffer.concat(chunks) } };
        }
      }
      entry.resume();
    }
  } catch (err) {
    if (cut) throw limitError();
    throw new PackagingError(`${limits.what} is not a readable tar+gzip archive: ${(err as Error).message}`, {
      hint: "rebuild the image layer (`npx proxy-wasm-as istio package` writes one Istio reads)",
      cause: err,
    });
  } finally {
    extract.destroy();
    gunzip.destroy();
  }
  if (cut) throw limitError();
  return { fileCount, names };
}

function* slices(data: Uint8Array, size: number): Generator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  header.write(`${value.toString(8).padStart(length - 1, "0")}\u0000`, offset, "latin1");
}
