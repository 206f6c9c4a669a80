// metrics: per-route request counters by status class and a per-route latency histogram, as Envoy stats
// (visible in /stats and /stats/prometheus). Routes are named by path prefix in the configuration.
// See README.md for the configuration and the metric names.
import { RootContext, HttpContext, Configuration, ConfigSchema, Action, Counter, Histogram, registerRoot, currentTimeNanoseconds, logInfo } from "@proxy-wasm-as/sdk";

/** Status classes counted per route; index = first digit of the status − 1; the last one is "no response". */
const STATUS_CLASSES: string[] = ["1xx", "2xx", "3xx", "4xx", "5xx", "none"];
const NO_RESPONSE = 5;

/** One named route and its metrics. */
class RouteMetrics {
  readonly requests: Counter[] = [];
  readonly latencyMs: Histogram;

  constructor(public readonly name: string, public readonly pathPrefix: string, metricPrefix: string) {
    this.latencyMs = new Histogram(metricPrefix + "." + name + ".latency_ms");
    for (let i = 0; i < STATUS_CLASSES.length; i++) {
      this.requests.push(new Counter(metricPrefix + "." + name + ".rq_" + unchecked(STATUS_CLASSES[i])));
    }
  }
}

/** True for names usable inside a stat name: letters, digits, '_' and '-'. */
function isStatNameSegment(name: string): bool {
  if (name.length == 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2d;
    if (!ok) return false;
  }
  return true;
}

/** The configuration (README.md). */
const routeSchema = new ConfigSchema();
const NAME = routeSchema.string("name").required().nonEmpty();
const PREFIX = routeSchema.string("prefix").required().nonEmpty();
const schema = new ConfigSchema();
const METRIC_PREFIX = schema.string("metricPrefix").default("http_metrics");
const OTHER_ROUTE = schema.string("otherRoute").default("other");
const ROUTES = schema.objectList("routes", routeSchema);

/** Plugin configuration: the routes, in match order, and the catch-all. */
class MetricsRoot extends RootContext {
  routes: RouteMetrics[] = [];
  fallback: RouteMetrics | null = null;

  onConfigure(configuration: Configuration): bool {
    const config = schema.read(configuration);
    if (config == null) return false;
    const prefix = config.string(METRIC_PREFIX);
    const fallbackName = config.string(OTHER_ROUTE);
    const entries = config.objectList(ROUTES);
    const routes = new Array<RouteMetrics>();
    if (!isStatNameSegment(prefix.replaceAll(".", "_"))) return config.refuse(METRIC_PREFIX, "must use only letters, digits, '_', '-' and '.'");
    if (!isStatNameSegment(fallbackName)) return config.refuse(OTHER_ROUTE, "must use only letters, digits, '_' and '-'");
    for (let i = 0; i < entries.length; i++) {
      const entry = unchecked(entries[i]);
      const name = entry.string(NAME);
      const pathPrefix = entry.string(PREFIX);
      if (!isStatNameSegment(name)) return entry.refuse(NAME, "must use only letters, digits, '_' and '-' (it becomes part of a stat name)");
      if (!pathPrefix.startsWith("/")) return entry.refuse(PREFIX, "must start with \"/\"");
      routes.push(new RouteMetrics(name, pathPrefix, prefix));
    }
    this.routes = routes;
    this.fallback = new RouteMetrics(fallbackName, "", prefix);
    logInfo("metrics: " + routes.length.toString() + " route(s) under " + prefix + ".*");
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null { return new MetricsRequest(this); }

  /** The first route whose prefix starts `path` (query included), else the catch-all. */
  routeFor(path: string): RouteMetrics {
    for (let i = 0; i < this.routes.length; i++) {
      const route = unchecked(this.routes[i]);
      if (path.startsWith(route.pathPrefix)) return route;
    }
    return this.fallback!;
  }
}

/** One request: picks its route at the start, records status class and latency at access-log time. */
class MetricsRequest extends HttpContext {
  private route: RouteMetrics | null = null;
  private startNanos: u64 = 0;

  constructor(private readonly root: MetricsRoot) { super(); }

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const path = this.requestHeaders.get(":path");
    this.route = this.root.routeFor(path != null ? path : "/");
    this.startNanos = currentTimeNanoseconds();
    return Action.Continue;
  }

  onLog(): void {
    const route = this.route;
    if (route == null) return; // the stream ended before its request headers
    const status = this.responseHeaders.get(":status");
    const digit = status != null && status.length == 3 ? status.charCodeAt(0) - 0x30 : 0;
    const statusClass = digit >= 1 && digit <= 5 ? digit - 1 : NO_RESPONSE;
    unchecked(route.requests[statusClass]).increment();
    route.latencyMs.record((currentTimeNanoseconds() - this.startNanos) / 1_000_000);
  }
}

registerRoot<MetricsRoot>();
