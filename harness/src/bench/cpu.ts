// CPU time of a process, from /proc (Linux). A benchmark divides it by the requests served to get CPU per
// request, which depends much less than throughput on how much of its core the process got on a busy machine.
import { existsSync, readFileSync } from "node:fs";

/**
 * Below this share of one core busy during a measurement, the measured process was not the bottleneck: it waited
 * (for a busy CPU shared with other processes, or for a slow load generator). Then throughput compares how the
 * machine scheduled it more than the work it did, and a variant doing more work can even look faster (it sleeps
 * less often, so it waits for the CPU less often). Benchmarks warn below it.
 */
export const SATURATED_BUSY_SHARE = 0.85;

/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on every Linux architecture Envoy runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** True when this system has /proc/<pid>/stat (Linux), so {@link processCpuMicros} can read CPU times. */
export function canReadProcessCpu(pid: number = process.pid): boolean {
  return existsSync(`/proc/${pid}/stat`);
}

/** CPU time (user + system, all threads) process `pid` has used so far, in microseconds (10 ms resolution). */
export function processCpuMicros(pid: number): number {
  // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}
