// Logging, clock, ticks, contexts and status: proxy_log, proxy_get_log_level, proxy_get_current_time_nanoseconds,
// proxy_set_tick_period_milliseconds, proxy_set_effective_context, proxy_done, proxy_get_status,
// proxy_get_configuration (ABI 0.1.0) and Envoy's extras pthread_equal and emscripten_notify_memory_growth.
import { LogLevel, Status } from "../../abi/index.ts";
import type { EnvHostcalls, HostcallVm } from "./types.ts";

const encoder = new TextEncoder();
const NO_STATUS = { code: 0, message: "" };

/** Host calls of the VM's own state (log, time, tick, contexts, status). */
export function contextHostcalls(vm: HostcallVm) {
  return {
    proxy_log: (level: number, ptr: number, size: number) => {
      if (level >>> 0 > LogLevel.Critical) return Status.BadArgument;
      if (!vm.logs(level as LogLevel)) {
        vm.memory.check(ptr >>> 0, size >>> 0); // still InvalidMemoryAccess for bad pointers, but skip decoding a dropped line
        return Status.Ok;
      }
      vm.log(level as LogLevel, vm.current(), vm.memory.readString(ptr, size));
      return Status.Ok;
    },
    proxy_get_log_level: (ptr: number) => {
      vm.memory.writeU32(ptr, vm.logLevel());
      return Status.Ok;
    },
    proxy_get_current_time_nanoseconds: (ptr: number) => {
      vm.memory.writeU64(ptr, vm.host.wallClockNs());
      return Status.Ok;
    },
    proxy_set_tick_period_milliseconds: (ms: number) => {
      const root = vm.root();
      if (root) vm.setTick(root, ms >>> 0);
      return Status.Ok;
    },
    proxy_set_effective_context: (id: number) => {
      const ctx = vm.context(id >>> 0);
      if (!ctx) return Status.BadArgument;
      vm.setEffective(ctx);
      return Status.Ok;
    },
    proxy_done: () => {
      const root = vm.root();
      if (!root?.awaitingDone) return Status.NotFound;
      root.awaitingDone = false;
      return Status.Ok;
    },
    proxy_get_status: (codePtr: number, msgPtrPtr: number, msgSizePtr: number) => {
      const status = vm.root()?.status ?? NO_STATUS;
      vm.memory.writeU32(codePtr, status.code);
      vm.memory.returnBytes(msgPtrPtr, msgSizePtr, encoder.encode(status.message));
      return Status.Ok;
    },
    proxy_get_configuration: (rpp: number, rsp: number) => {
      vm.memory.returnBytes(rpp, rsp, vm.pluginConfiguration() ?? vm.settings.vmConfiguration);
      return Status.Ok;
    },
    pthread_equal: (a: number, b: number) => (a === b ? 1 : 0),
    emscripten_notify_memory_growth: () => undefined,
  } satisfies EnvHostcalls;
}
