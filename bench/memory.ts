// Memory of a running Envoy, read from /proc (Linux):
//   - Envoy RSS: VmRSS in /proc/<pid>/status;
//   - Wasm linear memory of every V8 Wasm VM in the process, from /proc/<pid>/smaps. V8 reserves 8 GiB of
//     address space per 32-bit Wasm memory (so bounds checks are free) and makes only the first
//     `memory.size × 64 KiB` of it readable and writable; the rest stays PROT_NONE. So each reservation shows
//     as a read-write mapping directly followed by a large `---p` mapping, and the read-write part's size is
//     exactly the module's current linear memory size. Its Rss is how much of that memory was touched.
import { readFileSync } from "node:fs";

/** V8's address-space reservation for one 32-bit Wasm memory (with guard regions). */
const WASM_RESERVATION_BYTES = 8 * 1024 ** 3;

/** One Wasm VM's linear memory as the kernel sees it. */
export interface WasmMemory {
  /** Current linear memory size (memory.size × 64 KiB). */
  readonly bytes: number;
  /** Resident part of it. */
  readonly rssBytes: number;
}

/** Envoy's resident set size in bytes (VmRSS). */
export function processRssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

interface Mapping {
  readonly start: bigint;
  readonly end: bigint;
  readonly permissions: string;
  rssBytes: number;
}

function mappings(pid: number): Mapping[] {
  const found: Mapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) /.exec(line);
    if (header) {
      found.push({
        start: BigInt(`0x${header[1]}`),
        end: BigInt(`0x${header[2]}`),
        permissions: header[3]!,
        rssBytes: 0,
      });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && found.length > 0) found[found.length - 1]!.rssBytes = Number(rss[1]) * 1024;
  }
  return found;
}

/** The linear memory of every V8 Wasm VM in Envoy process `pid` (one per worker plus the main thread's). */
export function wasmMemories(pid: number): WasmMemory[] {
  const all = mappings(pid);
  const memories: WasmMemory[] = [];
  for (let i = 1; i < all.length; i++) {
    const guard = all[i]!;
    const accessible = all[i - 1]!;
    const guardBytes = Number(guard.end - guard.start);
    if (guard.permissions !== "---p" || guardBytes < WASM_RESERVATION_BYTES / 2 || guardBytes > WASM_RESERVATION_BYTES)
      continue;
    if (accessible.permissions !== "rw-p" || accessible.end !== guard.start) continue;
    // The kernel may merge the accessible part with a neighbouring read-write mapping, so derive the size
    // from the guard (reservation − guard) rather than from the read-write mapping's extent.
    const bytes = WASM_RESERVATION_BYTES - guardBytes;
    memories.push({ bytes, rssBytes: Math.min(accessible.rssBytes, bytes) });
  }
  return memories;
}

/** Wasm linear memory of every VM in the Envoy process `pid`, summed: bytes mapped, bytes resident, VM count. */
export function wasmMemoryTotal(pid: number): { bytes: number; rssBytes: number; vms: number } {
  const memories = wasmMemories(pid);
  return {
    bytes: memories.reduce((a, m) => a + m.bytes, 0),
    rssBytes: memories.reduce((a, m) => a + m.rssBytes, 0),
    vms: memories.length,
  };
}
