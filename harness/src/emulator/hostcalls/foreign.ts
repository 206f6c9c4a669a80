// proxy_call_foreign_function: the foreign functions Envoy registers that the emulator models (compress,
// uncompress, clear_route_cache). Any other name logs that it is not emulated and returns NotFound.
import { constants as zlibConstants, deflateSync, inflateSync } from "node:zlib";
import { LogLevel, Status } from "../../abi/index.ts";
import type { EnvHostcalls, HostcallVm } from "./types.ts";

const ENVOY_FOREIGN_FUNCTIONS =
  "compress, uncompress, set_envoy_filter_state, declare_property, clear_route_cache, expr_*, sign, verify_signature";

/** Foreign-function host call. */
export function foreignHostcalls(vm: HostcallVm) {
  return {
    proxy_call_foreign_function: (np: number, ns: number, ap: number, as: number, rpp: number, rsp: number) => {
      const name = vm.memory.readString(np, ns);
      const args = vm.memory.read(ap, as);
      if (name === "compress") {
        vm.memory.returnBytes(rpp, rsp, deflateSync(args));
        return Status.Ok;
      }
      if (name === "uncompress") {
        try {
          vm.memory.returnBytes(rpp, rsp, inflateSync(args, { finishFlush: zlibConstants.Z_SYNC_FLUSH }));
          return Status.Ok;
        } catch {
          return Status.SerializationFailure;
        }
      }
      if (name === "clear_route_cache") return Status.Ok;
      vm.log(
        LogLevel.Warn,
        vm.current(),
        `emulator: foreign function "${name}" is not emulated (Envoy registers ${ENVOY_FOREIGN_FUNCTIONS})`,
      );
      return Status.NotFound;
    },
  } satisfies EnvHostcalls;
}
