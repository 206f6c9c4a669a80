// What each sample HTTP filter is fuzzed with (harness/src/fuzz): its configuration, the credentials mixed into
// the generated traffic, and the invariants it must keep. Used by every filters/<name>/<name>.fuzz.test.ts (a
// bounded run in CI) and by scripts/fuzz.ts (100,000 requests per filter). tcp-guard, a network filter, has its
// own TCP fuzz in filters/tcp-guard/tcp-guard.fuzz.test.ts.
import { readFileSync } from "node:fs";
import { Emulator, type CalloutResponse, type GrpcRequest } from "@proxy-wasm-as/harness";
import { EmulatorHost } from "@proxy-wasm-as/harness/emulator";
import {
  fc,
  hostileBodies,
  hostilePaths,
  requestHeader,
  requestHeaderValues,
  type FuzzOptions,
  type FuzzRequest,
  type HeaderPairs,
} from "@proxy-wasm-as/harness/fuzz";
import { decodeAllowRequest, encodeAllowResponse, headerOf } from "../grpc-check/authz-service.ts";
import { signJwt } from "../jwt-auth/jwt-tokens.ts";
import { filterWasm } from "./helpers.ts";

/** A credential header set: none, one of `valid`, or one of `forged`, under one of `names`. */
function credentialsFrom(name: string, valid: readonly string[], forged: readonly string[]): fc.Arbitrary<HeaderPairs> {
  return fc.oneof(
    fc.constant<HeaderPairs>([]),
    fc.constantFrom(...valid).map((v): HeaderPairs => [[name, v]]),
    fc.constantFrom(...forged).map((v): HeaderPairs => [[name, v]]),
    fc.tuple(fc.constantFrom(...forged), fc.constantFrom(...valid)).map(
      ([bad, good]): HeaderPairs => [
        [name, bad],
        [name, good],
      ],
    ),
  );
}

/** The token of an `Authorization: Bearer <token>` value (scheme case-insensitive, surrounding spaces ignored), or null. */
function bearerToken(value: string): string | null {
  const match = /^[ \t]*bearer[ \t]+(\S+)[ \t]*$/i.exec(value);
  return match ? match[1]! : null;
}

/** Lenient on purpose: a request counts as carrying a valid credential if ANY value of `name` is one. */
const anyValue = (request: FuzzRequest, name: string, valid: (value: string) => boolean) =>
  requestHeaderValues(request, name).some(valid);

// ---------------------------------------------------------------------------------------------- api-key-auth
const API_KEYS = [
  { client: "ci-bot", key: "k-ci-7f3a" },
  { client: "dashboard", key: "k-dash-19be" },
];
const isApiKey = (v: string) => API_KEYS.some((k) => k.key === v.trim());
const forgedKeys = [
  "k-ci-7f3",
  "k-ci-7f3a ",
  "K-CI-7F3A",
  "k-ci-7f3a\xc3",
  "k-ci-7f3a\u00ff",
  "k-ci-7f3ak-ci-7f3a",
  "",
  "null",
  "k-ci-7f3\ta",
  "k-dash-19be\ud800",
];

function apiKeyAuth(): FuzzOptions {
  return {
    module: filterWasm("api-key-auth"),
    emulator: { pluginConfig: { keys: API_KEYS, realm: "orders" } },
    traffic: {
      headerNames: ["x-api-key", "authorization", "x-api-client"],
      credentials: fc.oneof(
        credentialsFrom(
          "x-api-key",
          API_KEYS.map((k) => k.key),
          forgedKeys,
        ),
        credentialsFrom(
          "authorization",
          API_KEYS.map((k) => `Bearer ${k.key}`),
          forgedKeys.map((k) => `Bearer ${k}`).concat(["Basic k-ci-7f3a", "Bearer", "Bearer  "]),
        ),
      ),
    },
    isAuthorized: (r) =>
      anyValue(r, "x-api-key", isApiKey) || anyValue(r, "authorization", (v) => isApiKey(bearerToken(v) ?? "")),
    invariants: {
      "the upstream sees the caller's client name, never the key": (_r, o) => {
        if (!o.upstream) return;
        const clients = o.upstream.headers.getAll("x-api-client");
        if (clients.length !== 1 || !API_KEYS.some((k) => k.client === clients[0]))
          return `x-api-client upstream: ${JSON.stringify(clients)}`;
        if (o.upstream.headers.has("x-api-key")) return "the key itself reached the upstream";
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------- jwt-auth
const JWT_SECRET = "0123456789abcdef0123456789abcdef-orders";
const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;
const JWT_CONFIG = {
  secret: JWT_SECRET,
  issuer: "https://auth.example.com",
  audiences: ["orders-api"],
  clockSkewSeconds: 30,
  realm: "orders",
  forwardClaims: [{ claim: "sub", header: "x-user-id" }],
};
const GOOD_CLAIMS = { iss: "https://auth.example.com", aud: "orders-api", sub: "user-42", exp: NOW + 600 };

function jwtTokens() {
  const good = [
    signJwt(GOOD_CLAIMS, JWT_SECRET),
    signJwt({ ...GOOD_CLAIMS, aud: ["x", "orders-api"], sub: "u2" }, JWT_SECRET),
  ];
  const [head, payload, signature] = good[0]!.split(".") as [string, string, string];
  const forged = [
    `${head}.${Buffer.from(JSON.stringify({ ...GOOD_CLAIMS, sub: "admin" })).toString("base64url")}.${signature}`, // tampered payload
    signJwt(GOOD_CLAIMS, "another-secret-another-secret-0000"), // other key
    `${signJwt(GOOD_CLAIMS, JWT_SECRET, { alg: "none", typ: "JWT" }).split(".").slice(0, 2).join(".")}.`, // alg none
    signJwt(GOOD_CLAIMS, JWT_SECRET, { alg: "HS512", typ: "JWT" }),
    signJwt({ ...GOOD_CLAIMS, exp: NOW - 3600 }, JWT_SECRET), // expired
    signJwt({ ...GOOD_CLAIMS, nbf: NOW + 3600 }, JWT_SECRET), // not yet valid
    signJwt({ ...GOOD_CLAIMS, exp: undefined }, JWT_SECRET), // no exp
    signJwt({ ...GOOD_CLAIMS, exp: "never" }, JWT_SECRET),
    signJwt({ ...GOOD_CLAIMS, aud: "billing" }, JWT_SECRET), // 403
    signJwt({ ...GOOD_CLAIMS, iss: "https://evil" }, JWT_SECRET), // 403
    `${good[0]}\xff`,
    `${good[0]}\xc3`,
    `${good[0]}.`,
    `${head}.${payload}`,
    `${head}..${signature}`,
    `${signature}`,
    "a.b.c",
    "..",
    "",
    `${head}.${payload}.${signature.slice(0, -2)}`,
    `${head}.${"e30"}.${signature}`,
    `${Buffer.from('{"alg":"HS256"').toString("base64url")}.${payload}.${signature}`,
  ];
  return { good, forged };
}

function jwtAuth(): FuzzOptions {
  const { good, forged } = jwtTokens();
  return {
    module: filterWasm("jwt-auth"),
    emulator: () => ({ pluginConfig: JWT_CONFIG, host: new EmulatorHost({ startTimeMs: NOW_MS }) }),
    traffic: {
      headerNames: ["authorization", "x-user-id"],
      credentials: credentialsFrom(
        "authorization",
        good.flatMap((t) => [`Bearer ${t}`, `bearer ${t}`]),
        forged
          .map((t) => `Bearer ${t}`)
          .concat(
            good.map((t) => `Basic ${t}`),
            [`Bearer ${good[0]} ${good[0]}`, "Bearer"],
          ),
      ),
    },
    isAuthorized: (r) => anyValue(r, "authorization", (v) => good.includes(bearerToken(v) ?? "")),
    invariants: {
      "a forwarded request carries the token's own claims only": (_r, o) => {
        if (!o.upstream) return;
        const users = o.upstream.headers.getAll("x-user-id");
        if (users.length !== 1 || !["user-42", "u2"].includes(users[0]!))
          return `x-user-id upstream: ${JSON.stringify(users)}`;
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------- ext-authz / grpc-check
const AUTHZ_FORGED = [
  "Bearer goo",
  "Bearer good ",
  "bearer good",
  "Bearer good\xc3",
  "Bearer alice\t",
  "Bearer alic",
  "Bearer bob",
  "",
];

function extAuthz(): FuzzOptions {
  return {
    module: filterWasm("ext-authz"),
    emulator: {
      pluginConfig: { cluster: "authz", pathPrefix: "/check", forwardHeaders: ["authorization"] },
      upstreams: {
        authz: (request): CalloutResponse =>
          request.headers.get("authorization") === "Bearer good"
            ? { status: 200, headers: { "x-auth-user": "alice" }, delayMs: 5 }
            : { status: 403, headers: { "content-type": "text/plain" }, body: "forbidden", delayMs: 5 },
      },
    },
    traffic: {
      headerNames: ["authorization", "x-auth-user"],
      credentials: credentialsFrom("authorization", ["Bearer good"], AUTHZ_FORGED),
    },
    isAuthorized: (r) =>
      requestHeader(r, "authorization") === "Bearer good" || anyValue(r, "authorization", (v) => v === "Bearer good"),
    invariants: {
      "x-auth-* headers upstream come from the service only": (_r, o) => {
        if (!o.upstream) return;
        const users = o.upstream.headers.getAll("x-auth-user");
        if (users.length !== 1 || users[0] !== "alice") return `x-auth-user upstream: ${JSON.stringify(users)}`;
      },
    },
  };
}

function grpcCheck(): FuzzOptions {
  return {
    module: filterWasm("grpc-check"),
    emulator: {
      pluginConfig: { cluster: "authz", forwardHeaders: ["authorization"] },
      grpcServices: {
        authz: (call: GrpcRequest) => {
          const allowed = headerOf(decodeAllowRequest(call.message), "authorization") === "Bearer alice";
          return {
            message: encodeAllowResponse(
              allowed
                ? { allowed: true, headers: [{ name: "x-auth-user", value: "alice" }] }
                : { allowed: false, statusCode: 403, reason: "no" },
            ),
            delayMs: 5,
          };
        },
      },
    },
    traffic: {
      headerNames: ["authorization", "x-auth-user", "x-client-id"],
      credentials: credentialsFrom("authorization", ["Bearer alice"], AUTHZ_FORGED),
    },
    isAuthorized: (r) => anyValue(r, "authorization", (v) => v === "Bearer alice"),
    invariants: {
      "x-auth-* headers upstream come from the service only": (_r, o) => {
        if (!o.upstream) return;
        const users = o.upstream.headers.getAll("x-auth-user");
        if (users.length !== 1 || users[0] !== "alice") return `x-auth-user upstream: ${JSON.stringify(users)}`;
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------- config-service
function configService(): FuzzOptions {
  const wasm = readFileSync(filterWasm("config-service"));
  const denied = (r: FuzzRequest) => {
    const path = r.path.split("?")[0]!;
    return requestHeaderValues(r, "x-client-id")[0] === "mallory" || path === "/admin" || path.startsWith("/admin/");
  };
  return {
    module: wasm,
    // For each new VM: the poller (root "config-service") publishes its initial deny list into the host's shared
    // data, and the filter (root "deny-list", same vm_id) reads it from there.
    emulator: () => {
      const host = new EmulatorHost();
      Emulator.fromBytes(wasm, {
        rootId: "config-service",
        vmId: "deny-list",
        host,
        upstreams: { config: () => ({ status: 503 }) },
        pluginConfig: {
          cluster: "config",
          path: "/deny-list",
          pollMs: 3_600_000,
          initial: { deny: { clients: ["mallory"], paths: ["/admin"] } },
        },
      });
      return { rootId: "deny-list", vmId: "deny-list", host, pluginConfig: {} };
    },
    traffic: {
      headerNames: ["x-client-id"],
      credentials: fc.oneof(
        fc.constant<HeaderPairs>([]),
        fc.constantFrom("mallory", "alice", "mallory ", "MALLORY", "").map((v): HeaderPairs => [["x-client-id", v]]),
      ),
      paths: fc.oneof(
        hostilePaths(),
        fc.constantFrom(
          "/admin",
          "/admin/users",
          "/administer",
          "/admin?x=1",
          "/Admin",
          "//admin",
          "/admin/",
          "/v1/admin",
        ),
      ),
    },
    isAuthorized: (r) => !denied(r),
  };
}

// ---------------------------------------------------------------------------------------------- the rest
const SECRET_FIELDS = ["password", "ssn", "card"];
const REDACTED = "[REDACTED]";

/** JSON bodies holding secrets at various depths, with escaped and duplicate keys, mixed with hostile bodies. */
function redactBodies(): fc.Arbitrary<Uint8Array | string> {
  // Keys as written in the JSON text: escaped spellings of a secret field must be redacted too (JSON.parse in the
  // invariant decodes them, so one that slips through is reported).
  const secretKey = fc.constantFrom(
    ...SECRET_FIELDS,
    "PASSWORD",
    "ssn ",
    "pass\\u0077ord",
    "\\u0073\\u0073n",
    "c\\u0061rd",
    "\\u0050ASSWORD",
  );
  const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null), fc.constant({ nested: "x" }));
  const withSecret = fc
    .tuple(secretKey, leaf, fc.json({ maxDepth: 2 }), fc.nat(4))
    .map(([key, value, other, depth]) => {
      let doc = `{"${key}":${JSON.stringify(value)},"other":${other},"${key}":"dup"}`;
      for (let i = 0; i < depth; i++) doc = i % 2 ? `[${doc}]` : `{"d${i}":${doc}}`;
      return doc;
    });
  return fc.oneof({ weight: 2, arbitrary: withSecret }, { weight: 3, arbitrary: hostileBodies() });
}

/** Every value under a secret field name in parsed JSON `doc` that is not the replacement. */
function unredacted(doc: unknown, out: string[] = []): string[] {
  if (Array.isArray(doc)) for (const v of doc) unredacted(v, out);
  else if (doc && typeof doc === "object") {
    for (const [k, v] of Object.entries(doc)) {
      if (SECRET_FIELDS.includes(k) && v !== REDACTED) out.push(`${k}=${JSON.stringify(v)}`);
      else unredacted(v, out);
    }
  }
  return out;
}

function isJsonType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const media = value.split(";")[0]!.trim().toLowerCase();
  return media === "application/json" || media.endsWith("+json");
}

function bodyRedact(): FuzzOptions {
  return {
    module: filterWasm("body-redact"),
    emulator: { pluginConfig: { fields: SECRET_FIELDS } },
    traffic: {
      bodies: redactBodies(),
      contentTypes: ["application/json", "application/problem+json", "Application/JSON; charset=utf-8", "text/plain"],
    },
    // The response ends with trailers when the request did: both directions' trailer paths are fuzzed.
    upstream: (u) => ({
      status: 200,
      headers: { "content-type": "application/json" },
      body: '{"user":"u","pass\\u0077ord":"resp-secret","items":[{"card":"4111"}]}',
      ...(u.trailers && u.trailers.size > 0 ? { trailers: { "grpc-status": "0" } } : {}),
    }),
    invariants: {
      "no secret field reaches the upstream unredacted": (r, o) => {
        if (!o.upstream || !isJsonType(requestHeader(r, "content-type"))) return;
        let doc: unknown;
        try {
          doc = JSON.parse(o.upstream.body);
        } catch {
          return; // not JSON after all: nothing to check here
        }
        const left = unredacted(doc);
        if (left.length > 0) return `unredacted upstream: ${left.join(", ")}`;
      },
      "no secret of the response reaches the client": (_r, o) => {
        const body = o.stream.response.body;
        if (body.includes("resp-secret") || body.includes("4111"))
          return `the client got ${JSON.stringify(body.slice(0, 200))}`;
      },
    },
  };
}

function headersFilter(): FuzzOptions {
  return {
    module: filterWasm("headers"),
    emulator: {
      pluginConfig: {
        request: { set: { "x-env": "prod" }, add: { "x-tag": "filter" }, remove: ["x-internal"] },
        response: { set: { "cache-control": "no-store" }, remove: ["server"] },
      },
    },
    traffic: { headerNames: ["x-internal", "x-env", "x-tag"] },
    upstream: () => ({ status: 200, headers: { server: "upstream/1.0", "cache-control": "public" }, body: "ok" }),
    invariants: {
      "request headers are edited as configured": (_r, o) => {
        if (!o.upstream) return;
        if (o.upstream.headers.has("x-internal")) return "x-internal reached the upstream";
        const env = o.upstream.headers.getAll("x-env");
        if (env.length !== 1 || env[0] !== "prod") return `x-env upstream: ${JSON.stringify(env)}`;
      },
      "response headers are edited as configured": (_r, o) => {
        if (o.status !== 200 || !o.stream.response.headersForwarded) return;
        if (o.stream.response.headers.has("server")) return "server reached the client";
        if (o.stream.response.headers.get("cache-control") !== "no-store")
          return `cache-control: ${o.stream.response.headers.get("cache-control")}`;
      },
    },
  };
}

function rateLimit(): FuzzOptions {
  return {
    module: filterWasm("rate-limit"),
    emulator: () => ({
      pluginConfig: { capacity: 5, refillPerSecond: 1, keyHeader: "x-client-id" },
      host: new EmulatorHost({ startTimeMs: NOW_MS }),
    }),
    traffic: {
      headerNames: ["x-client-id"],
      credentials: fc.oneof(
        fc.constant<HeaderPairs>([]),
        fc.constantFrom("a", "b", "", "a ", "\xff").map((v): HeaderPairs => [["x-client-id", v]]),
        hostileHeaderPair("x-client-id"),
      ),
    },
    invariants: {
      "a 429 says when to retry": (_r, o) =>
        o.status !== 429 || o.stream.response.headers.has("retry-after") || "429 without retry-after",
    },
  };
}

function canaryRouter(): FuzzOptions {
  return {
    module: filterWasm("canary-router"),
    emulator: {
      pluginConfig: {
        percentage: 30,
        hashKeyHeader: "x-user-id",
        overrideHeader: "x-canary-override",
        overrideCookie: "canary",
      },
    },
    traffic: { headerNames: ["x-user-id", "x-canary-override", "cookie", "x-canary"] },
    invariants: {
      "the routing header is the filter's decision, once": (_r, o) => {
        if (!o.upstream) return;
        const values = o.upstream.headers.getAll("x-canary");
        if (values.length !== 1 || (values[0] !== "true" && values[0] !== "false"))
          return `x-canary upstream: ${JSON.stringify(values)}`;
      },
    },
  };
}

function metrics(): FuzzOptions {
  return {
    module: filterWasm("metrics"),
    emulator: {
      pluginConfig: {
        routes: [
          { name: "orders", prefix: "/orders" },
          { name: "health", prefix: "/healthz" },
        ],
      },
    },
    traffic: { paths: fc.oneof(hostilePaths(), fc.constantFrom("/orders", "/orders/1?x", "/healthz", "/ordersX")) },
  };
}

/** A header named `name` with a hostile value. */
function hostileHeaderPair(name: string): fc.Arbitrary<HeaderPairs> {
  // NUL, CR and LF never reach a filter: Envoy's codecs refuse them.
  return fc.string({ unit: "binary", maxLength: 64 }).map((v): HeaderPairs => [[name, v.replace(/[\0\r\n]/g, "")]]);
}

/** Every sample HTTP filter's fuzz target, by filter name. */
export const FUZZ_TARGETS: Readonly<Record<string, () => FuzzOptions>> = {
  "api-key-auth": apiKeyAuth,
  "body-redact": bodyRedact,
  "canary-router": canaryRouter,
  "config-service": configService,
  "ext-authz": extAuthz,
  "grpc-check": grpcCheck,
  headers: headersFilter,
  "jwt-auth": jwtAuth,
  metrics,
  "rate-limit": rateLimit,
};
