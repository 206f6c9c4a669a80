// Shared data and shared queues: proxy_get/set_shared_data, proxy_register/resolve_shared_queue,
// proxy_enqueue/dequeue_shared_queue. The state lives in EmulatorHost (one per emulated Envoy process), keyed
// by vm_id as in Envoy.
import { Status } from "../../abi/index.ts";
import type { EnvHostcalls, HostcallVm } from "./types.ts";

/** Shared-data and queue host calls. */
export function sharedDataHostcalls(vm: HostcallVm) {
  return {
    proxy_get_shared_data: (kp: number, ks: number, rpp: number, rsp: number, casPtr: number) => {
      const entry = vm.host.getSharedData(vm.settings.vmId, vm.memory.readString(kp, ks));
      if (!entry) return Status.NotFound;
      vm.memory.returnBytes(rpp, rsp, entry.value);
      vm.memory.writeU32(casPtr, entry.cas);
      return Status.Ok;
    },
    proxy_set_shared_data: (kp: number, ks: number, vp: number, vs: number, cas: number) =>
      vm.host.setSharedData(vm.settings.vmId, vm.memory.readString(kp, ks), vm.memory.read(vp, vs), cas >>> 0)
        ? Status.Ok
        : Status.CasMismatch,
    proxy_register_shared_queue: (np: number, ns: number, tokenPtr: number) => {
      const root = vm.root();
      if (!root) return Status.BadArgument;
      let token = 0;
      token = vm.host.registerQueue(vm.settings.vmId, vm.memory.readString(np, ns), () => {
        vm.deliverToRoot(root, "proxy_on_queue_ready", root.id, token);
      });
      vm.memory.writeU32(tokenPtr, token);
      return Status.Ok;
    },
    proxy_resolve_shared_queue: (vp: number, vs: number, np: number, ns: number, tokenPtr: number) => {
      const vmId = vm.memory.readString(vp, vs) || vm.settings.vmId;
      const token = vm.host.resolveQueue(vmId, vm.memory.readString(np, ns));
      if (token === undefined) return Status.NotFound;
      vm.memory.writeU32(tokenPtr, token);
      return Status.Ok;
    },
    proxy_enqueue_shared_queue: (token: number, vp: number, vs: number) =>
      vm.host.enqueue(token >>> 0, vm.memory.read(vp, vs)) ? Status.Ok : Status.NotFound,
    proxy_dequeue_shared_queue: (token: number, rpp: number, rsp: number) => {
      const queue = vm.host.queue(token >>> 0);
      if (!queue) return Status.NotFound;
      const item = queue.items.shift();
      if (!item) return Status.Empty;
      vm.memory.returnBytes(rpp, rsp, item);
      return Status.Ok;
    },
  } satisfies EnvHostcalls;
}
