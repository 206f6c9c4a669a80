// headers: adds, sets and removes request and response headers as the plugin configuration says.
// Configuration (every part optional):
//   {"request":  {"set": {"x-a": "1"}, "add": {"x-b": "2"}, "remove": ["x-c"]},
//    "response": {"set": {...},        "add": {...},        "remove": [...]}}
import { RootContext, HttpContext, HeaderMap, Configuration, ConfigObject, ConfigSchema, Action, registerRoot } from "@proxy-wasm-as/sdk";

/** The configuration: the same edits for each direction. Any other key is refused, not ignored. */
const editSchema = new ConfigSchema();
const SET = editSchema.stringMap("set");
const ADD = editSchema.stringMap("add");
const REMOVE = editSchema.stringList("remove");
const schema = new ConfigSchema();
const REQUEST = schema.object("request", editSchema);
const RESPONSE = schema.object("response", editSchema);

/** The edits for one direction, read once in onConfigure. */
class HeaderEdits {
  setNames: string[] = [];
  setValues: string[] = [];
  addNames: string[] = [];
  addValues: string[] = [];
  remove: string[] = [];

  /** The edits of `section` (checked by editSchema); none when it is absent. */
  static read(section: ConfigObject): HeaderEdits {
    const edits = new HeaderEdits();
    for (let k = 0; k < 2; k++) {
      const pairs = section.stringMap(k == 0 ? SET : ADD);
      for (let i = 0; i < pairs.keys.length; i++) {
        (k == 0 ? edits.setNames : edits.addNames).push(unchecked(pairs.keys[i]));
        (k == 0 ? edits.setValues : edits.addValues).push(unchecked(pairs.values[i]).asString()!);
      }
    }
    edits.remove = section.stringList(REMOVE);
    return edits;
  }

  apply(headers: HeaderMap): void {
    for (let i = 0; i < this.remove.length; i++) headers.remove(unchecked(this.remove[i]));
    for (let i = 0; i < this.setNames.length; i++) headers.set(unchecked(this.setNames[i]), unchecked(this.setValues[i]));
    for (let i = 0; i < this.addNames.length; i++) headers.add(unchecked(this.addNames[i]), unchecked(this.addValues[i]));
  }
}

class HeadersRoot extends RootContext {
  /** Its HTTP contexts keep nothing per stream: Envoy enters the module twice per request (sdk/README.md, "Build"). */
  static readonly statelessStreams: bool = true;
  request: HeaderEdits = new HeaderEdits();
  response: HeaderEdits = new HeaderEdits();

  onConfigure(configuration: Configuration): bool {
    const config = schema.read(configuration); // capped at DEFAULT_MAX_CONFIGURATION_BYTES (64 KiB)
    if (config == null) return false;
    this.request = HeaderEdits.read(config.object(REQUEST));
    this.response = HeaderEdits.read(config.object(RESPONSE));
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null { return new HeadersHttp(this); }
}

class HeadersHttp extends HttpContext {
  constructor(private readonly config: HeadersRoot) { super(); }

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    this.config.request.apply(this.requestHeaders);
    return Action.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    this.config.response.apply(this.responseHeaders);
    return Action.Continue;
  }
}

registerRoot<HeadersRoot>();
