// config-service: a dynamic deny list in two parts that share one .wasm module.
//   root "config-service" — a singleton Wasm service (Envoy bootstrap extension) that polls a configuration
//       endpoint (proxy_http_call to a cluster, on a tick) and publishes the deny list it returns in shared data,
//       with a version number bumped by compare-and-swap;
//   root "deny-list"      — an HTTP filter that reads the published list (re-parsing it only when its version
//       changed) and answers 403 to requests from a denied client or to a denied path.
// A failed poll (endpoint down, timeout, non-200, invalid document) keeps the last good list. See README.md.
import {
  RootContext, HttpContext, Configuration, Action, Counter, Gauge, Header, Status, GrpcStatus, JsonObject, ConfigSchema, registerRoot,
  getSharedData, setSharedData, parseJson, httpCallResponseHeaders, httpCallResponseBody, logDebug, logInfo, logWarn,
} from "@proxy-wasm-as/sdk";
import { readCredentialHeader } from "../shared/auth";

const pollsOk = new Counter("config_service.polls_ok");
const pollsFailed = new Counter("config_service.polls_failed");
const updates = new Counter("config_service.updates");
const publishedVersion = new Gauge("config_service.version");
const deniedRequests = new Counter("config_service.denied");
const requestsBeforeList = new Counter("config_service.no_list");

/** Shared-data key of the published list: "<version>\n" then one "c <client id>" or "p <path>" line per entry. */
const LIST_KEY = "config-service/deny-list";
/** Shared-data key holding just the version of LIST_KEY, so filters can check for a change cheaply per request. */
const VERSION_KEY = "config-service/deny-list-version";
/** Attempts at the read-compare-CAS cycle of a publication before giving up until the next poll. */
const MAX_CAS_ATTEMPTS = 8;
/** Largest endpoint answer accepted, in bytes. */
const MAX_DOCUMENT_BYTES: u32 = 1 << 20;

/** A deny list: client ids matched exactly, and path prefixes matched at a segment boundary. */
class DenyList {
  clients: Set<string> = new Set<string>();
  paths: string[] = [];

  /** True if `path` (query ignored) is a denied path or lies below one ("/admin" denies "/admin/users", not "/administer"). */
  deniesPath(path: string): bool {
    const query = path.indexOf("?");
    const bare = query >= 0 ? path.substring(0, query) : path;
    for (let i = 0; i < this.paths.length; i++) {
      const prefix = unchecked(this.paths[i]);
      if (!bare.startsWith(prefix)) continue;
      if (bare.length == prefix.length || prefix.endsWith("/") || bare.charCodeAt(prefix.length) == 0x2f /* / */) return true;
    }
    return false;
  }
}

/** A deny list as read from or written to shared data, with its version. */
class PublishedList {
  constructor(public readonly version: i64, public readonly entries: string, public readonly list: DenyList) {}

  /** Parses the shared-data form; null if it is not one (another plugin wrote the key). */
  static parse(text: string): PublishedList | null {
    const newline = text.indexOf("\n");
    if (newline <= 0) return null;
    const version = I64.parseInt(text.substring(0, newline));
    if (version <= 0) return null;
    const entries = text.substring(newline + 1);
    const list = new DenyList();
    const lines = entries.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = unchecked(lines[i]);
      if (line.length < 3) continue;
      if (line.startsWith("c ")) list.clients.add(line.substring(2));
      else if (line.startsWith("p ")) list.paths.push(line.substring(2));
    }
    return new PublishedList(version, entries, list);
  }
}

/** The fields of a deny-list document, and of its "deny" object: any other is refused. */
const DOCUMENT_KEYS: string[] = ["deny"];
const DENY_KEYS: string[] = ["clients", "paths"];

/**
 * Reads a deny-list document {"deny": {"clients": [...], "paths": [...]}} into its shared-data form (entries
 * only). Returns null and sets `problem` when the document is not valid.
 */
class DocumentReader {
  problem: string = "";

  read(object: JsonObject): string | null {
    // Strict: a misspelt field ("client" for "clients") would otherwise give a list that denies nothing.
    const unknownTop = object.checkKeys(DOCUMENT_KEYS);
    if (unknownTop != null) return this.fail(unknownTop);
    const deny = object.get("deny");
    if (deny == null) return this.fail("\"deny\" is missing");
    const denyObject = deny.asObject();
    if (denyObject == null) return this.fail("\"deny\" must be an object, got " + deny.kindName());
    const unknownDeny = denyObject.checkKeys(DENY_KEYS, "deny.");
    if (unknownDeny != null) return this.fail(unknownDeny);
    const clients = this.strings(denyObject, "clients");
    if (clients == null) return null;
    const paths = this.strings(denyObject, "paths");
    if (paths == null) return null;
    let entries = "";
    for (let i = 0; i < clients.length; i++) entries += "c " + unchecked(clients[i]) + "\n";
    for (let i = 0; i < paths.length; i++) {
      const path = unchecked(paths[i]);
      if (!path.startsWith("/")) return this.fail("deny.paths[" + i.toString() + "] must start with \"/\"");
      entries += "p " + path + "\n";
    }
    return entries;
  }

  /** Array of non-empty single-line strings at `key` (absent = empty); null after fail(). */
  private strings(deny: JsonObject, key: string): string[] | null {
    const out = new Array<string>();
    const value = deny.get(key);
    if (value == null) return out;
    const array = value.asArray();
    if (array == null) { this.fail("deny." + key + " must be an array of strings, got " + value.kindName()); return null; }
    for (let i = 0; i < array.length; i++) {
      const text = array.at(i)!.asString();
      if (text == null || text.length == 0 || hasControlCharacter(text)) {
        this.fail("deny." + key + "[" + i.toString() + "] must be a non-empty string without control characters");
        return null;
      }
      out.push(text);
    }
    return out;
  }

  private fail(problem: string): string | null {
    this.problem = problem;
    return null;
  }
}

function hasControlCharacter(text: string): bool {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x20 || text.charCodeAt(i) == 0x7f) return true;
  return false;
}

/** Outcome of publishing entries in shared data. */
enum Publication { Published, Unchanged, Failed }

// ------------------------------------------------------------------------------------------------------------
// The service: polls the endpoint and publishes.

/** The service's configuration (README.md). */
const serviceSchema = new ConfigSchema();
const CLUSTER = serviceSchema.string("cluster").required().nonEmpty();
const PATH = serviceSchema.string("path").required().nonEmpty();
const AUTHORITY = serviceSchema.string("authority");
const POLL_MS = serviceSchema.integer("pollMs").range(100, 86_400_000).default(10_000);
const TIMEOUT_MS = serviceSchema.integer("timeoutMs").range(1, 60_000).default(2_000);
/** A deny-list document, checked by DocumentReader like a polled one. */
const INITIAL = serviceSchema.object("initial");

/** Root "config-service": the singleton poller. */
class ConfigServiceRoot extends RootContext {
  cluster: string = "";
  path: string = "";
  authority: string = "";
  pollMs: u32 = 10_000;
  timeoutMs: u32 = 2_000;
  /** Token of the poll in flight; 0 when none. */
  private pendingPoll: u32 = 0;
  /** Failed polls in a row (one warning per streak). */
  private failuresInARow: u32 = 0;
  /** Version of the last list this service published or found published (0 = none yet). */
  private knownVersion: i64 = 0;

  onConfigure(configuration: Configuration): bool {
    const config = serviceSchema.read(configuration);
    if (config == null) return false;
    const cluster = config.string(CLUSTER);
    const path = config.string(PATH);
    const authority = config.has(AUTHORITY) ? config.string(AUTHORITY) : cluster;
    const pollMs = config.integer(POLL_MS);
    const timeoutMs = config.integer(TIMEOUT_MS);
    if (!path.startsWith("/")) return config.refuse(PATH, "must start with \"/\"");
    let initialEntries: string | null = null;
    if (config.has(INITIAL)) {
      const reader = new DocumentReader();
      initialEntries = reader.read(config.object(INITIAL).json);
      if (initialEntries == null) return config.refuse(INITIAL, "is not a valid deny list: " + reader.problem);
    }
    this.cluster = cluster;
    this.path = path;
    this.authority = authority;
    this.pollMs = <u32>pollMs;
    this.timeoutMs = <u32>timeoutMs;
    logInfo("config-service: polling cluster " + cluster + " at " + path + " every " + pollMs.toString() + " ms");
    // The initial list only fills the gap before the first poll: a list already published (by an earlier
    // configuration of this service) is newer and stays.
    if (initialEntries != null && getSharedData(LIST_KEY) == null) this.publish(initialEntries, "the initial list from the configuration");
    this.setTickPeriod(this.pollMs);
    this.poll();
    return true;
  }

  onTick(): void { this.poll(); }

  /** Sends one poll unless one is still in flight. */
  private poll(): void {
    if (this.pendingPoll != 0) {
      logDebug("config-service: the previous poll is still in flight; skipping this tick");
      return;
    }
    const headers: Header[] = [
      new Header(":method", "GET"), new Header(":path", this.path), new Header(":authority", this.authority),
      new Header("accept", "application/json"),
    ];
    const token = this.httpCall(this.cluster, headers, null, null, this.timeoutMs);
    if (token == 0) {
      this.pollFailed("the poll could not be sent to cluster " + this.cluster);
      return;
    }
    this.pendingPoll = token;
  }

  onHttpCallResponse(token: u32, headerCount: u32, bodySize: u32, trailerCount: u32): void {
    this.pendingPoll = 0;
    if (headerCount == 0) { this.pollFailed("the endpoint reset the connection"); return; }
    const status = httpCallResponseHeaders.get(":status");
    if (status != "200") { this.pollFailed("the endpoint answered " + (status != null ? status : "without a status")); return; }
    if (bodySize > MAX_DOCUMENT_BYTES) { this.pollFailed("the answer is larger than " + MAX_DOCUMENT_BYTES.toString() + " bytes"); return; }
    const parsed = parseJson(httpCallResponseBody.get());
    const error = parsed.error;
    if (error != null) { this.pollFailed("the answer is not valid JSON: " + error); return; }
    const object = parsed.value!.asObject();
    if (object == null) { this.pollFailed("the answer is not a JSON object"); return; }
    const reader = new DocumentReader();
    const entries = reader.read(object);
    if (entries == null) { this.pollFailed("the answer is not a valid deny list (" + reader.problem + ")"); return; }
    if (this.publish(entries, "the endpoint") == Publication.Failed) { this.pollFailed("the list could not be stored in shared data"); return; }
    pollsOk.increment();
    if (this.failuresInARow > 0) {
      logInfo("config-service: polling works again after " + this.failuresInARow.toString() + " failed poll(s)");
      this.failuresInARow = 0;
    }
  }

  /** Counts a failed poll; warns on the first failure of a streak only, so a long outage logs one warning. */
  private pollFailed(reason: string): void {
    pollsFailed.increment();
    this.failuresInARow++;
    const kept = this.knownVersion > 0 ? "keeping deny list version " + this.knownVersion.toString() : "no deny list published yet";
    if (this.failuresInARow == 1) logWarn("config-service: poll failed: " + reason + "; " + kept);
    else logDebug("config-service: poll failed again (" + this.failuresInARow.toString() + " in a row): " + reason);
  }

  /**
   * Publishes `entries` under the next version, unless they equal what is published. Compare-and-swap makes
   * the version strictly increasing even if several writers race (e.g. a non-singleton service, one per worker).
   */
  private publish(entries: string, source: string): Publication {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const stored = getSharedData(LIST_KEY);
      const current = stored != null ? PublishedList.parse(stored.value) : null;
      if (current != null && current.entries == entries) {
        this.knownVersion = current.version;
        logDebug("config-service: deny list unchanged (version " + current.version.toString() + ")");
        return Publication.Unchanged;
      }
      const version: i64 = current != null ? current.version + 1 : 1;
      // cas 0 = unconditional write, used only when nothing is stored yet.
      const status = setSharedData(LIST_KEY, version.toString() + "\n" + entries, stored != null ? stored.cas : 0);
      if (status == Status.CasMismatch) continue;
      if (status != Status.Ok) return Publication.Failed;
      setSharedData(VERSION_KEY, version.toString());
      this.knownVersion = version;
      updates.increment();
      publishedVersion.set(version);
      const list = PublishedList.parse(version.toString() + "\n" + entries)!.list;
      logInfo("config-service: published deny list version " + version.toString() + " from " + source + ": " +
        list.clients.size.toString() + " client(s), " + list.paths.length.toString() + " path(s)");
      return Publication.Published;
    }
    return Publication.Failed;
  }
}

// ------------------------------------------------------------------------------------------------------------
// The HTTP filter: enforces the published list.

/** The deny-list filter's configuration (README.md). */
const filterSchema = new ConfigSchema();
const CLIENT_HEADER = filterSchema.string("clientHeader").nonEmpty().default("x-client-id");
const FAIL_OPEN = filterSchema.bool("failOpen").default(true);

/** Root "deny-list": configuration and this worker's parsed copy of the published list. */
class DenyListRoot extends RootContext {
  clientHeader: string = "x-client-id";
  failOpen: bool = true;
  /** Version marker (VERSION_KEY's text) of `cached`; "" when nothing was read yet. */
  private cachedMarker: string = "";
  private cached: PublishedList | null = null;

  onConfigure(configuration: Configuration): bool {
    const config = filterSchema.read(configuration);
    if (config == null) return false;
    const clientHeader = config.string(CLIENT_HEADER).toLowerCase();
    const failOpen = config.bool(FAIL_OPEN);
    this.clientHeader = clientHeader;
    this.failOpen = failOpen;
    logInfo("config-service: deny-list filter checking header " + clientHeader + " and paths; before the first list: " + (failOpen ? "allow" : "reject with 503"));
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null { return new DenyListCheck(this); }

  /** The published list, re-read from shared data only when its version changed; null if none was published. */
  currentList(): DenyList | null {
    const marker = getSharedData(VERSION_KEY);
    if (marker == null) return null;
    if (marker.value != this.cachedMarker || this.cached == null) {
      const stored = getSharedData(LIST_KEY);
      const parsed = stored != null ? PublishedList.parse(stored.value) : null;
      if (parsed == null) return this.cached != null ? this.cached!.list : null;
      this.cached = parsed;
      this.cachedMarker = marker.value;
      logDebug("config-service: now enforcing deny list version " + parsed.version.toString());
    }
    return this.cached!.list;
  }
}

/** One request: checked against the list in onRequestHeaders. */
class DenyListCheck extends HttpContext {
  constructor(private readonly root: DenyListRoot) { super(); }

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const list = this.root.currentList();
    if (list == null) {
      requestsBeforeList.increment();
      if (this.root.failOpen) return Action.Continue;
      this.reply(503, "deny_list_unavailable", "the deny list is not loaded yet", "deny_list_not_loaded");
      return Action.Pause;
    }
    // Read as exact bytes: an id that is not UTF-8 cannot be compared with the list, so it is denied.
    const clientHeader = readCredentialHeader(this.requestHeaders, this.root.clientHeader);
    const client = clientHeader.text;
    if (clientHeader.present && client == null) return this.deny("the client id is not valid UTF-8", "deny_list_client_invalid");
    if (client != null && list.clients.has(client)) return this.deny("client " + client + " is denied", "deny_list_client");
    const path = this.requestHeaders.get(":path");
    if (path != null && list.deniesPath(path)) return this.deny("this path is denied", "deny_list_path");
    return Action.Continue;
  }

  private deny(message: string, details: string): Action {
    deniedRequests.increment();
    logDebug("config-service: denied (" + details + "): " + message);
    this.reply(403, "denied", message, details);
    return Action.Pause;
  }

  private reply(status: u32, error: string, message: string, details: string): void {
    const headers: Header[] = [new Header("content-type", "application/json")];
    this.sendLocalResponse(status, "{\"error\":\"" + error + "\",\"message\":\"" + jsonEscape(message) + "\"}\n", headers, GrpcStatus.None, details);
  }
}

/** `text` escaped for a JSON string (client ids come from request headers). */
function jsonEscape(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code == 0x22 || code == 0x5c) out += "\\" + String.fromCharCode(code);
    else if (code < 0x20) out += " ";
    else out += String.fromCharCode(code);
  }
  return out;
}

registerRoot<ConfigServiceRoot>("config-service");
registerRoot<DenyListRoot>("deny-list");
