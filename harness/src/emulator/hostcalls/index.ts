// Every host function the emulator links, by domain. One file per domain; each is typed against the import
// table of harness/src/abi, so the linker (vm.ts) finds an implementation for exactly the names Envoy registers.
import { calloutHostcalls } from "./callouts.ts";
import { bufferHostcalls } from "./buffers.ts";
import { foreignHostcalls } from "./foreign.ts";
import { contextHostcalls } from "./log-time.ts";
import { mapHostcalls } from "./maps.ts";
import { metricHostcalls } from "./metrics.ts";
import { propertyHostcalls } from "./properties.ts";
import { sharedDataHostcalls } from "./shared-data.ts";
import { streamHostcalls } from "./stream.ts";
import type { EnvHostcalls, HostcallVm, WasiHostcalls } from "./types.ts";
import { wasiHostcalls } from "./wasi.ts";

export type { EnvHostcalls, HostFunction, HostcallVm, WasiHostcalls } from "./types.ts";

/** The `env` host functions for one VM. */
export function envHostcalls(vm: HostcallVm): EnvHostcalls {
  return {
    ...contextHostcalls(vm),
    ...propertyHostcalls(vm),
    ...bufferHostcalls(vm),
    ...mapHostcalls(vm),
    ...streamHostcalls(vm),
    ...calloutHostcalls(vm),
    ...sharedDataHostcalls(vm),
    ...metricHostcalls(vm),
    ...foreignHostcalls(vm),
  };
}

/** The WASI host functions for one VM (the same set under both WASI module names). */
export function wasiHostcallsFor(vm: HostcallVm): WasiHostcalls {
  return wasiHostcalls(vm);
}
