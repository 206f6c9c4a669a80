// WASI preview1 as Envoy provides it: stdout/stderr go to the log (info / error), environ is the VM's
// environment_variables, clocks are the emulator's clock, and files do not exist.
import { LogLevel, WasiClock, WasiErrno, WasiFd } from "../../abi/index.ts";
import { concat } from "../bytes.ts";
import type { HostcallVm, WasiHostcalls } from "./types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** An iovec: u32 pointer + u32 length. */
const IOVEC_BYTES = 8;
/** fdstat: filetype u8, flags u16, rights_base u64 at offset 8, rights_inheriting u64. */
const FDSTAT_BYTES = 24;
const FDSTAT_RIGHTS_BASE = 8;
const RIGHT_FD_WRITE = 64n;
/** Envoy refuses random_get above this many bytes. */
const MAX_RANDOM_BYTES = 65_536;
const TRAILING_NEWLINE = /\n$/;

const isStdio = (fd: number) => fd === WasiFd.Stdout || fd === WasiFd.Stderr;

/** WASI host calls. */
export function wasiHostcalls(vm: HostcallVm) {
  const environment = () => Object.entries(vm.settings.env).map(([k, v]) => encoder.encode(`${k}=${v}\0`));
  return {
    fd_write: (fd: number, iovs: number, iovsLen: number, nwrittenPtr: number) => {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < iovsLen >>> 0; i++) {
        const at = (iovs >>> 0) + i * IOVEC_BYTES;
        chunks.push(vm.memory.read(vm.memory.readU32(at), vm.memory.readU32(at + 4)));
      }
      const data = concat(...chunks);
      if (!isStdio(fd)) return WasiErrno.Badf;
      vm.memory.writeU32(nwrittenPtr, data.length);
      // As Envoy (cpp-host writevImpl): each call is one line (no buffering across calls), one trailing "\n" is
      // dropped, and an empty write logs nothing.
      if (data.length === 0) return WasiErrno.Success;
      const level = fd === WasiFd.Stdout ? LogLevel.Info : LogLevel.Error;
      vm.log(level, vm.current(), decoder.decode(data).replace(TRAILING_NEWLINE, ""));
      return WasiErrno.Success;
    },
    fd_read: () => WasiErrno.Nosys,
    fd_seek: () => WasiErrno.Success,
    fd_close: () => WasiErrno.Success,
    fd_fdstat_get: (fd: number, buf: number) => {
      if (!isStdio(fd)) return WasiErrno.Badf;
      vm.memory.fill(buf, FDSTAT_BYTES, 0);
      vm.memory.writeU64((buf >>> 0) + FDSTAT_RIGHTS_BASE, RIGHT_FD_WRITE);
      return WasiErrno.Success;
    },
    fd_fdstat_set_flags: () => WasiErrno.Nosys,
    fd_prestat_get: () => WasiErrno.Badf,
    fd_prestat_dir_name: () => WasiErrno.Nosys,
    environ_sizes_get: (countPtr: number, sizePtr: number) => {
      const all = environment();
      vm.memory.writeU32(countPtr, all.length);
      vm.memory.writeU32(
        sizePtr,
        all.reduce((n, b) => n + b.length, 0),
      );
      return WasiErrno.Success;
    },
    environ_get: (environPtr: number, bufPtr: number) => {
      let p = bufPtr >>> 0;
      environment().forEach((b, i) => {
        vm.memory.writeU32((environPtr >>> 0) + i * 4, p);
        vm.memory.write(p, b);
        p += b.length;
      });
      return WasiErrno.Success;
    },
    args_sizes_get: (argcPtr: number, sizePtr: number) => {
      vm.memory.writeU32(argcPtr, 0);
      vm.memory.writeU32(sizePtr, 0);
      return WasiErrno.Success;
    },
    args_get: () => WasiErrno.Success,
    clock_time_get: (id: number, _precision: bigint, retPtr: number) => {
      if (id === WasiClock.Realtime) vm.memory.writeU64(retPtr, vm.host.wallClockNs());
      else if (id === WasiClock.Monotonic) vm.memory.writeU64(retPtr, vm.host.monotonicNs());
      else return WasiErrno.Notsup;
      return WasiErrno.Success;
    },
    random_get: (buf: number, len: number) => {
      if (len >>> 0 > MAX_RANDOM_BYTES) return WasiErrno.Inval;
      crypto.getRandomValues(vm.memory.view(buf, len) as Uint8Array<ArrayBuffer>);
      return WasiErrno.Success;
    },
    proc_exit: (code: number) => {
      vm.log(LogLevel.Trace, vm.current(), `proc_exit(${code}) called; Envoy does not exit`);
      return undefined;
    },
    path_open: () => WasiErrno.Noent,
    sched_yield: () => WasiErrno.Success,
    poll_oneoff: (_in: number, _out: number, _n: number, neventsPtr: number) => {
      vm.memory.writeU32(neventsPtr, 0);
      return WasiErrno.Success;
    },
  } satisfies WasiHostcalls;
}
