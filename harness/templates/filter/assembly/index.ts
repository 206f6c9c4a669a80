// {{name}}: an Envoy HTTP filter (proxy-wasm) in AssemblyScript.
// It adds a header to every request and response, and answers requests under a blocked path itself with 403.
// Configuration (every field optional; any other key is refused, so a misspelt one is never silently ignored):
//   {"header": "x-hello", "value": "world", "blockedPath": "/admin"}
import { RootContext, HttpContext, Configuration, Action, Counter, registerRoot, logInfo, logError } from "@proxy-wasm-as/sdk";

/** Envoy shows it as `wasmcustom.{{module}}.denied` in /stats. */
const denied = new Counter("{{module}}.denied");

class FilterRoot extends RootContext {
  header: string = "x-hello";
  value: string = "world";
  blockedPath: string = "/admin";

  onConfigure(configuration: Configuration): bool {
    const config = configuration.json();             // logs one clear error line if invalid
    if (config == null) return false;                // → Envoy rejects the configuration
    const unknown = config.checkKeys(["header", "value", "blockedPath"]);
    if (unknown != null) {                           // e.g. unknown key `headr` (did you mean `header`?)
      logError("invalid plugin configuration: " + unknown);
      return false;
    }
    const header = config.getString("header");
    if (header != null) this.header = header;
    const value = config.getString("value");
    if (value != null) this.value = value;
    const blockedPath = config.getString("blockedPath");
    if (blockedPath != null) this.blockedPath = blockedPath;
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
