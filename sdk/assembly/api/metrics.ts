// Typed layer: Envoy stats. A metric is defined lazily on first use (so `const c = new Counter("x")` may
// sit at module top level, where no host call is allowed). Envoy names it `wasmcustom.<name>`.
import { MetricType, Status } from "../abi/types";
import * as host from "../host/hostcalls";

abstract class Metric {
  private id: u32 = 0;
  constructor(public readonly name: string, private readonly type: MetricType) {}
  /** Host metric id, defining the metric on first use (0 if the host refused; see lastStatus). */
  protected metricId(): u32 {
    if (this.id == 0) this.id = host.defineMetric(this.type, this.name);
    return this.id;
  }
}

/** A monotonically increasing counter. */
export class Counter extends Metric {
  constructor(name: string) { super(name, MetricType.Counter); }
  /** Adds `delta` (default 1). Envoy rejects 0 for counters, so 0 is a no-op that returns Ok. */
  increment(delta: u64 = 1): Status {
    if (delta == 0) return Status.Ok;
    return host.incrementMetric(this.metricId(), <i64>delta);
  }
  /** Current value. */
  value(): u64 { return host.getMetric(this.metricId()); }
}

/** A value that goes up and down. */
export class Gauge extends Metric {
  constructor(name: string) { super(name, MetricType.Gauge); }
  /** Adds `delta` (may be negative). */
  add(delta: i64): Status { return host.incrementMetric(this.metricId(), delta); }
  /** Sets the value. */
  set(value: i64): Status { return host.recordMetric(this.metricId(), value); }
  /** Current value. */
  value(): i64 { return <i64>host.getMetric(this.metricId()); }
}

/** A distribution of samples (Envoy histograms cannot be read back or incremented). */
export class Histogram extends Metric {
  constructor(name: string) { super(name, MetricType.Histogram); }
  /** Records one sample. */
  record(value: u64): Status { return host.recordMetric(this.metricId(), <i64>value); }
}
