// Properties: proxy_get_property and proxy_set_property. Lookup order: the plugin's identity and xds.node, the
// stream's own properties, the properties the test seeded, then connection defaults (streams only). A name that is
// none of Envoy's attributes answers NotFound, as Envoy answers an unknown one, with a hint in the log (once per name).
import { LogLevel, Status } from "../../abi/index.ts";
import { envoyAttribute } from "../attributes.ts";
import { XDS_NODE } from "../environment-properties.ts";
import { DEFAULT_CONNECTION_PROPERTIES, encodePropertyValue, findProperty, propertyKey } from "../properties.ts";
import type { EnvHostcalls, HostcallVm } from "./types.ts";

const encoder = new TextEncoder();
/** Distinct unknown names hinted per VM (a module probing many names does not flood the log). */
const MAX_HINTED = 32;

function property(vm: HostcallVm, key: string): Uint8Array | number | undefined {
  const ctx = vm.current();
  const plugin = ctx?.plugin;
  if (plugin) {
    if (key === "plugin_name") return encoder.encode(plugin.name);
    if (key === "plugin_root_id") return encoder.encode(plugin.rootId);
    if (key === "plugin_vm_id") return encoder.encode(vm.settings.vmId);
  }
  if (key === "xds\0node") return XDS_NODE;
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
  const hinted = new Set<string>();
  return {
    proxy_get_property: (pp: number, ps: number, rpp: number, rsp: number) => {
      const key = propertyKey(vm.memory.readString(pp, ps));
      if (key === "" || key.startsWith("\0")) return Status.NotFound;
      const value = property(vm, key);
      if (value === undefined && !envoyAttribute(key) && hinted.size < MAX_HINTED && !hinted.has(key)) {
        hinted.add(key);
        vm.log(
          LogLevel.Warn,
          vm.current(),
          `emulator: property "${key.split("\0").join(".")}" is none of Envoy's attributes (nor set by proxy_set_property): NotFound, as in Envoy. If your Envoy provides it (a filter before yours, metadata), seed it with the \`properties\` option`,
        );
      }
      if (value === undefined) return Status.NotFound;
      if (typeof value === "number") return value;
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
