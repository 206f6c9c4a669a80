// The sample filters the demo (scripts/demo.ts) shows: for each, its Envoy configuration, the requests worth
// sending and the headers worth printing, and the services its callouts reach.
import type {
  Envoy,
  GrpcUpstreamReply,
  HttpRequestOptions,
  HttpUpstreamResponse,
  RecordedGrpcCall,
  RecordedRequest,
  RouteSpec,
  WasmPluginOptions,
} from "@proxy-wasm-as/harness";
import { decide, decodeAllowRequest, encodeAllowResponse } from "../../filters/grpc-check/authz-service.ts";
import { signJwt } from "../../filters/jwt-auth/jwt-tokens.ts";

/** One request of a demo and the headers worth showing for it. */
export interface DemoRequest {
  readonly label: string;
  readonly path: string;
  readonly options?: HttpRequestOptions;
}

/** Bytes a client writes through a TCP (network filter) demo. */
export interface TcpDemoRequest {
  readonly label: string;
  readonly data: string;
}

/** A Wasm service (bootstrap extension, singleton) a demo starts next to its filter, from the same module. */
export interface DemoService {
  readonly rootId: string;
  readonly vmId: string;
  readonly config: object;
}

/** What a demo can do once its requests are done: show more, or send more requests (`show`). */
export interface DemoAfterwards {
  readonly envoy: Envoy;
  /** Sends `request` through Envoy and prints it like the demo's own requests. */
  readonly show: (request: DemoRequest) => Promise<void>;
}

/** A filter, the configuration the demo runs it with, and the requests that show what it does. */
export interface FilterDemo {
  readonly filter: string;
  readonly summary: string;
  readonly config: object;
  /** "network": a TCP filter in front of an echoing TCP upstream, driven by `tcpRequests`. Default "http". */
  readonly kind?: "http" | "network";
  /** Plugin settings besides the configuration (e.g. root_id and vm_id of a module with several roots). */
  readonly plugin?: WasmPluginOptions;
  /** A singleton Wasm service started with the filter (e.g. a poller feeding it through shared data). */
  readonly service?: DemoService;
  /** Routes tried before the one to the main upstream, e.g. to the "canary" upstream on a header. */
  readonly routes?: readonly RouteSpec[];
  /** Header names printed for the client and the upstream (others are noise). */
  readonly show: readonly string[];
  readonly requests: readonly DemoRequest[];
  readonly tcpRequests?: readonly TcpDemoRequest[];
  /** Waits until the demo can send its requests (e.g. until the service published its first data). */
  readonly ready?: (envoy: Envoy) => Promise<void>;
  /** Shows something else once the requests are done (e.g. Envoy's stats, or a change and its effect). */
  readonly afterwards?: (context: DemoAfterwards) => Promise<void>;
}

/** The deny list the configuration endpoint of the config-service demo serves (the demo changes it). */
let servedDenyList: { clients: string[]; paths: string[] } = { clients: ["scraper-7"], paths: ["/admin"] };

/** The configuration document the config-service demo's endpoint serves now (the demo changes it midway). */
export function servedConfigDocument(): string {
  return JSON.stringify({ deny: servedDenyList });
}

const JWT_SECRET = "demo-secret-demo-secret-demo-secret-0123";
const nowSeconds = () => Math.floor(Date.now() / 1000);
const jwtClaims = { iss: "https://auth.example.com", aud: "orders-api", sub: "user-42", tenant: "acme" };

export const DEMOS: readonly FilterDemo[] = [
  {
    filter: "headers",
    summary: "adds, sets and removes request and response headers",
    config: {
      request: { set: { "x-env": "prod" }, remove: ["x-internal-debug"] },
      response: { set: { "cache-control": "no-store" }, remove: ["x-powered-by"] },
    },
    show: ["x-env", "x-internal-debug", "cache-control", "x-powered-by"],
    requests: [
      { label: "a request with a debug header", path: "/catalog", options: { headers: { "x-internal-debug": "1" } } },
    ],
  },
  {
    filter: "api-key-auth",
    summary: "only requests with a configured API key reach the upstream",
    config: { keys: [{ client: "ci-bot", key: "k-ci-7f3a" }], realm: "orders" },
    show: ["x-api-key", "authorization", "x-api-client", "www-authenticate"],
    requests: [
      { label: "no key", path: "/orders" },
      { label: "wrong key", path: "/orders", options: { headers: { "x-api-key": "k-guess" } } },
      {
        label: "valid key (and a spoofed x-api-client)",
        path: "/orders",
        options: { headers: { "x-api-key": "k-ci-7f3a", "x-api-client": "admin" } },
      },
    ],
  },
  {
    filter: "jwt-auth",
    summary: "verifies HS256 JWTs (signature, exp, nbf, iss, aud) and forwards claims as headers",
    config: {
      secret: JWT_SECRET,
      issuer: "https://auth.example.com",
      audiences: ["orders-api"],
      forwardClaims: [
        { claim: "sub", header: "x-user-id" },
        { claim: "tenant", header: "x-tenant" },
      ],
    },
    show: ["authorization", "x-user-id", "x-tenant", "www-authenticate"],
    requests: [
      {
        label: "valid token",
        path: "/orders",
        options: {
          headers: { authorization: `Bearer ${signJwt({ ...jwtClaims, exp: nowSeconds() + 600 }, JWT_SECRET)}` },
        },
      },
      {
        label: "expired token",
        path: "/orders",
        options: {
          headers: { authorization: `Bearer ${signJwt({ ...jwtClaims, exp: nowSeconds() - 600 }, JWT_SECRET)}` },
        },
      },
      {
        label: "token signed with another key",
        path: "/orders",
        options: {
          headers: {
            authorization: `Bearer ${signJwt({ ...jwtClaims, exp: nowSeconds() + 600 }, "not-the-secret-not-the-secret-012345")}`,
          },
        },
      },
      {
        label: "token for another audience",
        path: "/orders",
        options: {
          headers: {
            authorization: `Bearer ${signJwt({ ...jwtClaims, aud: "billing-api", exp: nowSeconds() + 600 }, JWT_SECRET)}`,
          },
        },
      },
    ],
  },
  {
    filter: "rate-limit",
    summary: "token bucket per client in shared data: a burst of 2, then 1 request per second",
    config: { capacity: 2, refillPerSecond: 1, keyHeader: "x-client-id" },
    show: ["x-client-id", "x-ratelimit-limit", "x-ratelimit-remaining", "retry-after"],
    requests: [
      { label: "alice, 1st", path: "/search", options: { headers: { "x-client-id": "alice" } } },
      { label: "alice, 2nd", path: "/search", options: { headers: { "x-client-id": "alice" } } },
      { label: "alice, 3rd: over the limit", path: "/search", options: { headers: { "x-client-id": "alice" } } },
      { label: "bob has his own bucket", path: "/search", options: { headers: { "x-client-id": "bob" } } },
    ],
  },
  {
    filter: "ext-authz",
    summary: "asks an authorization service (a second loopback server) before forwarding; fails closed after 300 ms",
    config: { cluster: "authz", pathPrefix: "/check", timeoutMs: 300 },
    show: ["authorization", "x-auth-user", "www-authenticate"],
    requests: [
      {
        label: "the service allows 'Bearer good'",
        path: "/cart",
        options: { headers: { authorization: "Bearer good-user-token" } },
      },
      {
        label: "the service refuses anyone else",
        path: "/cart",
        options: { headers: { authorization: "Bearer stolen" } },
      },
      { label: "the service is too slow", path: "/cart", options: { headers: { authorization: "Bearer slow" } } },
    ],
  },
  {
    filter: "grpc-check",
    summary:
      "asks a gRPC authorization service (authz.v1.Check/Allow, protobuf) before forwarding; fails closed after 300 ms",
    config: { cluster: "grpc-authz", timeoutMs: 300 },
    show: ["authorization", "x-auth-user", "x-auth-roles"],
    requests: [
      {
        label:
          "the service allows 'Bearer alice' and adds x-auth-user and x-auth-roles (the client's own x-auth-user is dropped)",
        path: "/cart",
        options: { headers: { authorization: "Bearer alice", "x-auth-user": "mallory" } },
      },
      {
        label: "the service denies 'Bearer bob' with 401 and a reason",
        path: "/cart",
        options: { headers: { authorization: "Bearer bob" } },
      },
      {
        label: "the service fails with gRPC INTERNAL",
        path: "/cart",
        options: { headers: { authorization: "Bearer broken" } },
      },
      { label: "the service is too slow", path: "/cart", options: { headers: { authorization: "Bearer slow" } } },
    ],
  },
  {
    filter: "body-redact",
    summary: "redacts configured JSON fields in request and response bodies (the upstream echoes the body)",
    config: { fields: ["password", "ssn"] },
    show: ["content-type"],
    requests: [
      {
        label: "a signup with a password and an SSN",
        path: "/signup",
        options: {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: '{"user":"ana","password":"hunter2","profile":{"ssn":"123-45-6789"}}',
        },
      },
    ],
  },
  {
    filter: "metrics",
    summary: "per-route counters by status class and a latency histogram in Envoy's /stats/prometheus",
    config: { routes: [{ name: "orders", prefix: "/orders" }] },
    show: [],
    requests: [
      { label: "counted as orders / 2xx", path: "/orders/1" },
      { label: "counted as other / 2xx", path: "/about" },
    ],
    afterwards: async ({ envoy }) => {
      const lines = (await envoy.admin.prometheus())
        .split("\n")
        .filter((line) => /^http_metrics_\w+_rq_\dxx\b/.test(line));
      console.log(`\n   /stats/prometheus now shows:\n${lines.map((line) => `     ${line}`).join("\n")}`);
    },
  },
  {
    filter: "tcp-guard",
    summary: "network filter: closes TCP connections whose first bytes match a deny prefix (the upstream echoes)",
    kind: "network",
    config: { denyPrefixes: ["GET /admin", "SSH-"] },
    show: [],
    requests: [],
    tcpRequests: [
      { label: "an ordinary protocol line", data: "PING hello\r\n" },
      { label: "an SSH greeting", data: "SSH-2.0-OpenSSH_9.6\r\n" },
    ],
    afterwards: async ({ envoy }) => {
      const stats = await envoy.stats("tcp_guard");
      console.log(
        `\n   counters: ${[...stats].map(([name, value]) => `${name.replace(/^wasmcustom\./, "")} = ${value}`).join(", ")}`,
      );
    },
  },
  {
    filter: "config-service",
    summary: "a singleton Wasm service polls a deny list from an endpoint (every 500 ms); the HTTP filter enforces it",
    config: { clientHeader: "x-client-id", failOpen: true },
    plugin: { name: "deny-list", rootId: "deny-list", vmId: "deny-list" },
    service: {
      rootId: "config-service",
      vmId: "deny-list",
      config: { cluster: "config", path: "/deny-list", pollMs: 500 },
    },
    show: ["x-client-id"],
    ready: async (envoy) => {
      const published = await envoy.waitForWasmLog("published deny list version 1");
      console.log(
        `   the endpoint serves ${JSON.stringify({ deny: servedDenyList })}\n   service log   : ${published.message}`,
      );
    },
    requests: [
      { label: "alice", path: "/orders", options: { headers: { "x-client-id": "alice" } } },
      { label: "a denied client", path: "/orders", options: { headers: { "x-client-id": "scraper-7" } } },
      { label: "a denied path", path: "/admin/users", options: { headers: { "x-client-id": "alice" } } },
    ],
    afterwards: async ({ envoy, show }) => {
      servedDenyList = { clients: [], paths: ["/admin"] };
      console.log(`\n   the endpoint now serves ${JSON.stringify({ deny: servedDenyList })}`);
      console.log(`   service log   : ${(await envoy.waitForWasmLog("published deny list version 2")).message}`);
      await show({
        label: "scraper-7 again, after the update",
        path: "/orders",
        options: { headers: { "x-client-id": "scraper-7" } },
      });
    },
  },
  {
    filter: "canary-router",
    summary:
      "30% of users (by hash of x-user-id) and opted-in testers go to the canary upstream; Envoy routes on x-canary",
    config: { percentage: 30, hashKeyHeader: "x-user-id", overrideHeader: "x-canary-override" },
    routes: [{ headers: { "x-canary": "true" }, cluster: "canary" }],
    show: ["x-user-id", "x-canary-override", "x-canary"],
    requests: [
      ...["user-1", "user-2", "user-3", "user-4"].map((user) => ({
        label: user,
        path: "/checkout",
        options: { headers: { "x-user-id": user } },
      })),
      { label: "user-1 again: same side", path: "/checkout", options: { headers: { "x-user-id": "user-1" } } },
      {
        label: "user-1 as a tester forcing the canary",
        path: "/checkout",
        options: { headers: { "x-user-id": "user-1", "x-canary-override": "canary" } },
      },
      {
        label: "user-3 trying to pick the canary by sending x-canary",
        path: "/checkout",
        options: { headers: { "x-user-id": "user-3", "x-canary": "true" } },
      },
    ],
  },
];

/** The authorization service the ext-authz demo calls: "Bearer good…" is alice, "Bearer slow" takes 2 s, others 401. */
export function authorizationService(request: RecordedRequest): HttpUpstreamResponse {
  const authorization = request.header("authorization") ?? "";
  if (authorization.startsWith("Bearer good")) return { status: 200, headers: { "x-auth-user": "alice" } };
  if (authorization === "Bearer slow") return { status: 200, delayMs: 2_000 };
  return { status: 401, headers: { "www-authenticate": 'Bearer realm="shop"' }, body: "unknown token" };
}

/** The gRPC authorization service the grpc-check demo calls: the policy of filters/grpc-check/authz-service.ts. */
export async function grpcAuthorizationService(call: RecordedGrpcCall): Promise<GrpcUpstreamReply> {
  const verdict = decide(decodeAllowRequest(call.message));
  if (verdict.kind === "error") return { status: verdict.status, message: verdict.message };
  if (verdict.kind === "bytes") return verdict.bytes;
  if (verdict.kind === "slow") await new Promise((resolve) => setTimeout(resolve, 2_000));
  return encodeAllowResponse(verdict.response);
}
