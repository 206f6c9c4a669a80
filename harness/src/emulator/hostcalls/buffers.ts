// Buffers: proxy_get_buffer_bytes, proxy_get_buffer_status, proxy_set_buffer_bytes. Stream buffers (bodies, TCP
// data) come from the stream; configurations from the VM; callout bodies only inside the callout's root callback.
import { BufferType, LAST_BUFFER_TYPE, LAST_STREAM_BUFFER, Status } from "../../abi/index.ts";
import { concat } from "../bytes.ts";
import type { BufferRef } from "../vm-types.ts";
import type { EnvHostcalls, HostcallVm } from "./types.ts";

const readOnly = (bytes: Uint8Array): BufferRef => ({ bytes, mutable: false, replace() {} });

function bufferOf(vm: HostcallVm, type: number): BufferRef | null {
  if (type <= LAST_STREAM_BUFFER) return vm.current()?.stream?.buffer(type) ?? null;
  if (type === BufferType.VmConfiguration) return readOnly(vm.settings.vmConfiguration);
  if (type === BufferType.PluginConfiguration) {
    const config = vm.pluginConfiguration();
    return config ? readOnly(config) : null;
  }
  const data = vm.callbackData();
  return data?.bodyType === type && data.body ? readOnly(data.body) : null;
}

/** Buffer host calls. */
export function bufferHostcalls(vm: HostcallVm) {
  return {
    proxy_get_buffer_bytes: (type: number, start: number, max: number, rpp: number, rsp: number) => {
      if (type >>> 0 > LAST_BUFFER_TYPE) return Status.BadArgument;
      const buf = bufferOf(vm, type);
      if (!buf) return Status.NotFound;
      const from = Math.min(start >>> 0, buf.bytes.length);
      vm.memory.returnBytes(rpp, rsp, buf.bytes.subarray(from, Math.min(buf.bytes.length, from + (max >>> 0))));
      return Status.Ok;
    },
    proxy_get_buffer_status: (type: number, sizePtr: number, flagsPtr: number) => {
      if (type >>> 0 > LAST_BUFFER_TYPE) return Status.BadArgument;
      const buf = bufferOf(vm, type);
      if (!buf) return Status.NotFound;
      vm.memory.writeU32(sizePtr, buf.bytes.length);
      vm.memory.writeU32(flagsPtr, 0);
      return Status.Ok;
    },
    proxy_set_buffer_bytes: (type: number, start: number, size: number, dp: number, ds: number) => {
      if (type >>> 0 > LAST_BUFFER_TYPE) return Status.BadArgument;
      const buf = bufferOf(vm, type);
      if (!buf) return Status.NotFound;
      if (!buf.mutable) return Status.BadArgument;
      const data = vm.memory.read(dp, ds);
      const cur = buf.bytes;
      start >>>= 0;
      // Envoy's rule: start 0 replaces the first `size` bytes (prepends when size is 0); start at the end appends.
      let next: Uint8Array;
      if (start === 0) next = concat(data, cur.subarray(Math.min(size >>> 0, cur.length)));
      else if (start >= cur.length) next = concat(cur, data);
      else return Status.BadArgument;
      buf.replace(next);
      return Status.Ok;
    },
  } satisfies EnvHostcalls;
}
