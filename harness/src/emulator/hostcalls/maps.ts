// Header maps: proxy_get/set_header_map_pairs, proxy_get/add/replace/remove_header_map_value,
// proxy_get_header_map_size. Stream maps come from the HTTP stream; callout maps exist only inside the callout's
// root callback.
import { LAST_MAP_TYPE, LAST_STREAM_MAP, Status } from "../../abi/index.ts";
import { decodePairs, encodePairs } from "../pairs.ts";
import type { MapAccess } from "../vm-types.ts";
import type { EnvHostcalls, HostcallVm } from "./types.ts";

const UNAVAILABLE: MapAccess = { map: null, readable: false, writable: false };

/** The header map of `type` as the running call may use it. */
function mapAccess(vm: HostcallVm, type: number): MapAccess {
  if (type > LAST_STREAM_MAP) {
    const data = vm.callbackData();
    if (data?.mapTypes?.[0] === type) return { map: data.headers ?? null, readable: true, writable: false };
    if (data?.mapTypes?.[1] === type) return { map: data.trailers ?? null, readable: true, writable: false };
    return UNAVAILABLE;
  }
  const stream = vm.current()?.stream;
  if (stream?.kind !== "http") return UNAVAILABLE;
  return stream.headerMap(type);
}

/** Reads a pairs-encoded header list from guest memory (malformed ⇒ empty). */
export function readPairs(vm: HostcallVm, ptr: number, size: number): Array<[string, string]> {
  return decodePairs(vm.memory.read(ptr, size)) ?? [];
}

/** Header-map host calls. */
export function mapHostcalls(vm: HostcallVm) {
  const writable = (type: number): MapAccess | null => {
    if (type >>> 0 > LAST_MAP_TYPE) return null;
    const access = mapAccess(vm, type);
    return access.writable && access.map ? access : null;
  };
  return {
    proxy_get_header_map_pairs: (type: number, rpp: number, rsp: number) => {
      if (type >>> 0 > LAST_MAP_TYPE) return Status.BadArgument;
      const a = mapAccess(vm, type);
      vm.memory.returnBytes(rpp, rsp, a.readable && a.map ? encodePairs(a.map.entries()) : new Uint8Array(0));
      return Status.Ok;
    },
    proxy_set_header_map_pairs: (type: number, ptr: number, size: number) => {
      const a = writable(type);
      if (!a) return Status.BadArgument;
      const pairs = readPairs(vm, ptr, size);
      a.map!.clear();
      for (const [k, v] of pairs) a.map!.add(k, v);
      return Status.Ok;
    },
    proxy_get_header_map_value: (type: number, kp: number, ks: number, rpp: number, rsp: number) => {
      if (type >>> 0 > LAST_MAP_TYPE) return Status.BadArgument;
      const a = mapAccess(vm, type);
      const key = vm.memory.readString(kp, ks);
      if (!a.readable) return a.unavailableStatus ?? Status.BadArgument;
      const value = a.map?.get(key);
      if (value === undefined) {
        if (vm.abiVersion === "0.1.0") {
          vm.memory.returnBytes(rpp, rsp, new Uint8Array(0));
          return Status.Ok;
        }
        return Status.NotFound;
      }
      vm.memory.returnString(rpp, rsp, value);
      return Status.Ok;
    },
    proxy_add_header_map_value: (type: number, kp: number, ks: number, vp: number, vs: number) => {
      const a = writable(type);
      if (!a) return Status.BadArgument;
      a.map!.add(vm.memory.readString(kp, ks), vm.memory.readString(vp, vs));
      return Status.Ok;
    },
    proxy_replace_header_map_value: (type: number, kp: number, ks: number, vp: number, vs: number) => {
      const a = writable(type);
      if (!a) return Status.BadArgument;
      a.map!.set(vm.memory.readString(kp, ks), vm.memory.readString(vp, vs));
      return Status.Ok;
    },
    proxy_remove_header_map_value: (type: number, kp: number, ks: number) => {
      const a = writable(type);
      if (!a) return Status.BadArgument;
      a.map!.delete(vm.memory.readString(kp, ks));
      return Status.Ok;
    },
    proxy_get_header_map_size: (type: number, sizePtr: number) => {
      if (type >>> 0 > LAST_STREAM_MAP) return Status.BadArgument;
      const a = mapAccess(vm, type);
      if (!a.readable || !a.map) return Status.BadArgument;
      vm.memory.writeU32(sizePtr, a.map.byteSize());
      return Status.Ok;
    },
  } satisfies EnvHostcalls;
}
