// Properties: proxy_get_property and proxy_set_property. Lookup order: the plugin's identity, the stream's own
// properties, the properties the test seeded, then connection defaults (streams only).
import { Status } from "../../abi/index.ts";
import { DEFAULT_CONNECTION_PROPERTIES, encodePropertyValue, findProperty, propertyKey } from "../properties.ts";
import type { EnvHostcalls, HostcallVm } from "./types.ts";

const encoder = new TextEncoder();

function property(vm: HostcallVm, key: string): Uint8Array | undefined {
  const ctx = vm.current();
  const plugin = ctx?.plugin;
  if (plugin) {
    if (key === "plugin_name") return encoder.encode(plugin.name);
    if (key === "plugin_root_id") return encoder.encode(plugin.rootId);
    if (key === "plugin_vm_id") return encoder.encode(vm.settings.vmId);
  }
  const fromStream = ctx?.stream?.property(key);
  if (fromStream !== undefined) return fromStream;
  const seeded = findProperty(vm.settings.properties, key);
  if (seeded !== undefined) return encodePropertyValue(seeded);
  if (ctx?.stream) {
    const fallback = findProperty(DEFAULT_CONNECTION_PROPERTIES, key);
    if (fallback !== undefined) return encodePropertyValue(fallback);
  }
  return undefined;
}

/** Property host calls. */
export function propertyHostcalls(vm: HostcallVm) {
  return {
    proxy_get_property: (pp: number, ps: number, rpp: number, rsp: number) => {
      const key = propertyKey(vm.memory.readString(pp, ps));
      if (key === "" || key.startsWith("\0")) return Status.NotFound;
      const value = property(vm, key);
      if (value === undefined) return Status.NotFound;
      vm.memory.returnBytes(rpp, rsp, value);
      return Status.Ok;
    },
    proxy_set_property: (pp: number, ps: number, vp: number, vs: number) => {
      const stream = vm.current()?.stream;
      if (!stream) return Status.NotFound;
      stream.setProperty(propertyKey(vm.memory.readString(pp, ps)), vm.memory.read(vp, vs));
      return Status.Ok;
    },
  } satisfies EnvHostcalls;
}
