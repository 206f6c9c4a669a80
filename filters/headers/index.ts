// headers: adds, sets and removes request and response headers as the plugin configuration says.
// Configuration (every part optional):
//   {"request":  {"set": {"x-a": "1"}, "add": {"x-b": "2"}, "remove": ["x-c"]},
//    "response": {"set": {...},        "add": {...},        "remove": [...]}}
import { RootContext, HttpContext, HeaderMap, Configuration, JsonObject, Action, registerRoot, log, LogLevel } from "@proxy-wasm-as/sdk";

/** The only keys allowed at the top level and in each section (anything else is refused, not ignored). */
const SECTION_KEYS = ["request", "response"];
const EDIT_KEYS = ["set", "add", "remove"];

/** The edits for one direction, parsed once in onConfigure. */
class HeaderEdits {
  setNames: string[] = [];
  setValues: string[] = [];
  addNames: string[] = [];
  addValues: string[] = [];
  remove: string[] = [];

  apply(headers: HeaderMap): void {
    for (let i = 0; i < this.remove.length; i++) headers.remove(unchecked(this.remove[i]));
    for (let i = 0; i < this.setNames.length; i++) headers.set(unchecked(this.setNames[i]), unchecked(this.setValues[i]));
    for (let i = 0; i < this.addNames.length; i++) headers.add(unchecked(this.addNames[i]), unchecked(this.addValues[i]));
  }
}

/** Reads {"set": {...}, "add": {...}, "remove": [...]} under `key`; null (after one error log) if malformed. */
function parseEdits(config: JsonObject, key: string): HeaderEdits | null {
  const edits = new HeaderEdits();
  const section = config.get(key);
  if (section == null) return edits;
  const object = section.asObject();
  if (object == null) return fail(key + " must be an object, got " + section.kindName());
  const unknown = object.checkKeys(EDIT_KEYS, key + ".");
  if (unknown != null) return fail(unknown);
  for (let k = 0; k < 2; k++) {
    const op = k == 0 ? "set" : "add";
    const value = object.get(op);
    if (value == null) continue;
    const pairs = value.asObject();
    if (pairs == null) return fail(key + "." + op + " must be an object of header names to string values");
    for (let i = 0; i < pairs.keys.length; i++) {
      const text = unchecked(pairs.values[i]).asString();
      if (text == null) return fail(key + "." + op + "[\"" + unchecked(pairs.keys[i]) + "\"] must be a string");
      (k == 0 ? edits.setNames : edits.addNames).push(unchecked(pairs.keys[i]));
      (k == 0 ? edits.setValues : edits.addValues).push(text);
    }
  }
  const remove = object.get("remove");
  if (remove != null) {
    const names = remove.asArray();
    if (names == null) return fail(key + ".remove must be an array of header names");
    for (let i = 0; i < names.length; i++) {
      const name = names.at(i)!.asString();
      if (name == null) return fail(key + ".remove[" + i.toString() + "] must be a string");
      edits.remove.push(name);
    }
  }
  return edits;
}

function fail(message: string): HeaderEdits | null {
  log(LogLevel.Error, "invalid plugin configuration: " + message);
  return null;
}

class HeadersRoot extends RootContext {
  /** Its HTTP contexts keep nothing per stream: Envoy enters the module twice per request (sdk/README.md, "Build"). */
  static readonly statelessStreams: bool = true;
  request: HeaderEdits = new HeaderEdits();
  response: HeaderEdits = new HeaderEdits();

  onConfigure(configuration: Configuration): bool {
    const config = configuration.json(); // capped at DEFAULT_MAX_CONFIGURATION_BYTES (64 KiB)
    if (config == null) return false;
    const unknown = config.checkKeys(SECTION_KEYS);
    if (unknown != null) { fail(unknown); return false; }
    const request = parseEdits(config, "request");
    if (request == null) return false;
    const response = parseEdits(config, "response");
    if (response == null) return false;
    this.request = request;
    this.response = response;
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
