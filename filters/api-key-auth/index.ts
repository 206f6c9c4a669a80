// api-key-auth: lets a request through only if it carries one of the configured API keys, either in a
// header (default x-api-key) or as "Authorization: Bearer <key>". Keys are compared in constant time.
// Allowed requests reach the upstream without the credential and with the client's name in a header;
// others get 401 with a WWW-Authenticate challenge. See README.md for the configuration.
import { RootContext, HttpContext, Configuration, ConfigSchema, Action, Counter, registerRoot, logDebug, logInfo } from "@proxy-wasm-as/sdk";
import { constantTimeEqual } from "@proxy-wasm-as/sdk/assembly/crypto";
import { bearerToken, replyWithError, readCredentialHeader, CredentialHeader } from "../shared/auth";

const allowed = new Counter("api_key_auth.allowed");
const deniedMissing = new Counter("api_key_auth.denied_missing");
const deniedInvalid = new Counter("api_key_auth.denied_invalid");

/** "No credential in this header". */
const NOT_SENT = new CredentialHeader(false, null);

/** The configuration (README.md): a list of {client, key} and how the key is sent. */
const keySchema = new ConfigSchema();
const CLIENT = keySchema.string("client").required().nonEmpty();
const KEY = keySchema.string("key").required().nonEmpty();
const schema = new ConfigSchema();
const KEYS = schema.objectList("keys", keySchema).required().nonEmpty();
const HEADER = schema.string("header").default("x-api-key");
const ALLOW_BEARER = schema.bool("allowBearer").default(true);
const REALM = schema.string("realm").default("api");
const CLIENT_HEADER = schema.string("clientHeader").default("x-api-client");

/** One accepted key and the client name it stands for. */
class ApiKey {
  constructor(public readonly client: string, public readonly secret: ArrayBuffer) {}
}

/** Plugin configuration, parsed once per (re)configuration and shared by every request of this worker. */
class ApiKeyAuthRoot extends RootContext {
  keys: ApiKey[] = [];
  keyHeader: string = "x-api-key";
  allowBearer: bool = true;
  /** Value of WWW-Authenticate for a request without credentials. */
  challenge: string = "";
  /** Header carrying the client name to the upstream ("" = none). */
  clientHeader: string = "x-api-client";

  onConfigure(configuration: Configuration): bool {
    const config = schema.read(configuration);
    if (config == null) return false;
    const keys = new Array<ApiKey>();
    const entries = config.objectList(KEYS);
    for (let i = 0; i < entries.length; i++) {
      const entry = unchecked(entries[i]);
      const client = entry.string(CLIENT);
      for (let j = 0; j < keys.length; j++) {
        if (unchecked(keys[j]).client == client) return entry.refuse(CLIENT, "\"" + client + "\" is listed twice");
      }
      keys.push(new ApiKey(client, String.UTF8.encode(entry.string(KEY))));
    }
    const keyHeader = config.string(HEADER).toLowerCase();
    const allowBearer = config.bool(ALLOW_BEARER);
    const realm = config.string(REALM);
    const clientHeader = config.string(CLIENT_HEADER).toLowerCase();
    if (keyHeader.length == 0 && !allowBearer) return config.refuse(HEADER, "must not be empty when allowBearer is false");
    this.keys = keys;
    this.keyHeader = keyHeader;
    this.allowBearer = allowBearer;
    this.challenge = "Bearer realm=\"" + realm + "\"";
    this.clientHeader = clientHeader;
    logInfo("api-key-auth: configured with " + keys.length.toString() + " key(s)");
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null { return new ApiKeyAuthRequest(this); }

  /** The client whose key equals the bytes `candidate`, or null. Every key is compared, in constant time each. */
  findClient(candidateBytes: ArrayBuffer): string | null {
    let client: string | null = null;
    for (let i = 0; i < this.keys.length; i++) {
      const key = unchecked(this.keys[i]);
      if (constantTimeEqual(candidateBytes, key.secret)) client = key.client;
    }
    return client;
  }
}

/** One request: checks its credential in onRequestHeaders. */
class ApiKeyAuthRequest extends HttpContext {
  constructor(private readonly root: ApiKeyAuthRoot) { super(); }

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root;
    const headers = this.requestHeaders;
    // Never trust a client-supplied identity header.
    if (root.clientHeader.length > 0) headers.remove(root.clientHeader);
    // The credential is compared as the exact bytes received; a value that is not UTF-8 is refused as it is.
    let credential: CredentialHeader = root.keyHeader.length > 0 ? readCredentialHeader(headers, root.keyHeader) : NOT_SENT;
    let viaBearer = false;
    if (!credential.present && root.allowBearer) {
      const authorization = readCredentialHeader(headers, "authorization");
      const text = authorization.text;
      if (authorization.present && text == null) credential = authorization; // not UTF-8: refused below
      else if (text != null) {
        const token = bearerToken(text);
        if (token != null) { credential = new CredentialHeader(true, token); viaBearer = true; }
      }
    }
    if (!credential.present || (credential.text != null && credential.text!.length == 0)) {
      deniedMissing.increment();
      logDebug("api-key-auth: denied, no API key");
      replyWithError(this, 401, "unauthorized", "missing API key", root.challenge, "api_key_missing");
      return Action.Pause;
    }
    const text = credential.text;
    const client = text != null ? root.findClient(String.UTF8.encode(text)) : null;
    if (client == null) {
      deniedInvalid.increment();
      logDebug(text == null ? "api-key-auth: denied, API key is not valid UTF-8" : "api-key-auth: denied, unknown API key");
      replyWithError(this, 401, "unauthorized", "invalid API key", root.challenge + ", error=\"invalid_token\"", "api_key_invalid");
      return Action.Pause;
    }
    allowed.increment();
    logDebug("api-key-auth: allowed client " + client);
    if (viaBearer) headers.remove("authorization");
    else headers.remove(root.keyHeader);
    if (root.clientHeader.length > 0) headers.set(root.clientHeader, client);
    return Action.Continue;
  }
}

registerRoot<ApiKeyAuthRoot>();
