// Metrics: proxy_define_metric, proxy_increment_metric, proxy_record_metric, proxy_get_metric. Ids follow
// Envoy's scheme (kind in the low two bits, step 4); values live in EmulatorHost's stats.
import { MetricType, Status } from "../../abi/index.ts";
import type { EnvHostcalls, HostcallVm } from "./types.ts";

const STAT_KIND = {
  [MetricType.Counter]: "counter",
  [MetricType.Gauge]: "gauge",
  [MetricType.Histogram]: "histogram",
} as const;
/** Envoy's first id per kind: counter 4, gauge 5, histogram 6; each next id of a kind is 4 higher. */
const FIRST_METRIC_ID = [4, 5, 6];
const METRIC_ID_STEP = 4;

/** Metric host calls; the metric table is per VM. */
export function metricHostcalls(vm: HostcallVm) {
  const metrics = new Map<number, { name: string; type: MetricType }>();
  const nextId = [...FIRST_METRIC_ID];
  return {
    proxy_define_metric: (type: number, np: number, ns: number, idPtr: number) => {
      if (type >>> 0 > MetricType.Histogram) return Status.BadArgument;
      const name = vm.memory.readString(np, ns);
      const kind = type as MetricType;
      const id = nextId[kind]!;
      nextId[kind] = id + METRIC_ID_STEP;
      metrics.set(id, { name, type: kind });
      vm.host.defineStat(name, STAT_KIND[kind]);
      vm.memory.writeU32(idPtr, id);
      return Status.Ok;
    },
    proxy_increment_metric: (id: number, delta: bigint) => {
      const m = metrics.get(id >>> 0);
      if (!m) return Status.NotFound;
      if (m.type === MetricType.Histogram || (m.type === MetricType.Counter && delta <= 0n)) return Status.BadArgument;
      vm.host.updateStat(m.name, "add", delta);
      return Status.Ok;
    },
    proxy_record_metric: (id: number, value: bigint) => {
      const m = metrics.get(id >>> 0);
      if (!m) return Status.NotFound;
      if (m.type === MetricType.Counter) vm.host.updateStat(m.name, "add", BigInt.asUintN(64, value));
      else if (m.type === MetricType.Gauge) vm.host.updateStat(m.name, "set", value);
      else vm.host.updateStat(m.name, "record", BigInt.asUintN(64, value));
      return Status.Ok;
    },
    proxy_get_metric: (id: number, retPtr: number) => {
      const m = metrics.get(id >>> 0);
      if (!m) return Status.NotFound;
      const stat = vm.host.metric(m.name);
      if (!stat || stat.type === "histogram") return Status.BadArgument;
      vm.memory.writeU64(retPtr, stat.value);
      return Status.Ok;
    },
  } satisfies EnvHostcalls;
}
