// {{name}}: an Envoy HTTP filter (proxy-wasm) in AssemblyScript.
// It adds a header to every request and response, and answers requests under a blocked path itself with 403.
// Configuration (every field optional):
//   {"header": "x-hello", "value": "world", "blockedPath": "/admin"}
import { RootContext, HttpContext, Configuration, ConfigSchema, Action, Counter, registerRoot, logInfo } from "@proxy-wasm-as/sdk";

/** The configuration, declared once: each key, its type and its default. Any other key is refused. */
const schema = new ConfigSchema();
const HEADER = schema.string("header").nonEmpty().default("x-hello");
const VALUE = schema.string("value").default("world");
const BLOCKED_PATH = schema.string("blockedPath").default("/admin");

/** Envoy shows it as `wasmcustom.{{module}}.denied` in /stats. */
const denied = new Counter("{{module}}.denied");

class FilterRoot extends RootContext {
  header: string = "x-hello";
  value: string = "world";
  blockedPath: string = "/admin";

  onConfigure(configuration: Configuration): bool {
    // Checks keys, types and values; a misspelt key or a wrong type is logged as ONE error line naming it
    // (`invalid plugin configuration: header: expected a non-empty string, got 42`) and gives null.
    const config = schema.read(configuration);
    if (config == null) return false;                // → Envoy refuses the configuration
    this.header = config.string(HEADER);
    this.value = config.string(VALUE);
    this.blockedPath = config.string(BLOCKED_PATH);
    logInfo("configured: " + this.header + ": " + this.value + ", blocking " + this.blockedPath);
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null { return new Filter(this); }
}

class Filter extends HttpContext {
  constructor(private readonly root: FilterRoot) { super(); }

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const path = this.requestHeaders.get(":path");
    if (path != null && path.startsWith(this.root.blockedPath)) {
      denied.increment();
      this.sendLocalResponse(403, "forbidden\n");
      return Action.Pause;
    }
    this.requestHeaders.set(this.root.header, this.root.value);
    return Action.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    this.responseHeaders.set(this.root.header, this.root.value);
    return Action.Continue;
  }
}

registerRoot<FilterRoot>();
