// proxy-runtime-headers: the bench's header edits written with solo-io's AssemblyScript SDK (npm
// `@solo-io/proxy-runtime`, ABI 0.2.0). Same per-request work as our `headers` filter running the bench
// configuration (bench/workloads.ts). The edits are compiled in (no configuration parsing).
// Built by bench/variants.ts in an isolated folder under .cache/bench/ with the AssemblyScript version that
// SDK needs; Envoy must select the root context by its name: root_id "bench_headers".
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context } from "@solo-io/proxy-runtime";

/** Creates one HeaderEdits context per HTTP stream. */
class HeaderEditsRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new HeaderEdits(context_id, this);
  }
}

/** Applies the fixed bench edits to one HTTP stream. */
class HeaderEdits extends Context {
  constructor(context_id: u32, root_context: HeaderEditsRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(header_count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.request.remove("x-internal");
    stream_context.headers.request.replace("x-bench-env", "prod");
    stream_context.headers.request.add("x-bench-tag", "filter");
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(header_count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.response.remove("x-upstream-secret");
    stream_context.headers.response.replace("cache-control", "no-store");
    stream_context.headers.response.add("x-bench-filter", "1");
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new HeaderEditsRoot(context_id); }, "bench_headers");
