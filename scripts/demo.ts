// The sample filters on real Envoy, in one command:   npm run demo      (or: node scripts/demo.ts [filter ...])
// Builds every filter, starts a loopback upstream, then for each filter starts Envoy with it and sends a few
// real requests, printing what the client sent, what the client got back and what reached the upstream.
// Runner: $ENVOY_RUNNER ("process" by default here: a provisioned Envoy binary; "container" needs Docker).
import { buildAll } from "./build.ts";
import {
  cluster,
  httpWasm,
  networkWasm,
  startEnvoy,
  startGrpcUpstream,
  startHttpUpstream,
  startTcpUpstream,
  wasmService,
  type Envoy,
  type GrpcUpstream,
  type GrpcUpstreamReply,
  type HttpRequestOptions,
  type HttpUpstream,
  type HttpUpstreamResponse,
  type RecordedGrpcCall,
  type RecordedRequest,
  type RouteSpec,
  type RunnerKind,
  type TcpUpstream,
  type WasmPluginOptions,
} from "@proxy-wasm-as/harness";
import { signJwt } from "../filters/jwt-auth/jwt-tokens.ts";
import { ALLOW_METHOD, decide, decodeAllowRequest, encodeAllowResponse } from "../filters/grpc-check/authz-service.ts";

/** One request of a demo and the headers worth showing for it. */
interface DemoRequest {
  readonly label: string;
  readonly path: string;
  readonly options?: HttpRequestOptions;
}

/** Bytes a client writes through a TCP (network filter) demo. */
interface TcpDemoRequest {
  readonly label: string;
  readonly data: string;
}

/** A Wasm service (bootstrap extension, singleton) a demo starts next to its filter, from the same module. */
interface DemoService {
  readonly rootId: string;
  readonly vmId: string;
  readonly config: object;
}

/** What a demo can do once its requests are done: show more, or send more requests (`show`). */
interface DemoAfterwards {
  readonly envoy: Envoy;
  /** Sends `request` through Envoy and prints it like the demo's own requests. */
  readonly show: (request: DemoRequest) => Promise<void>;
}

/** A filter, the configuration the demo runs it with, and the requests that show what it does. */
interface FilterDemo {
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

const JWT_SECRET = "demo-secret-demo-secret-demo-secret-0123";
const nowSeconds = () => Math.floor(Date.now() / 1000);
const jwtClaims = { iss: "https://auth.example.com", aud: "orders-api", sub: "user-42", tenant: "acme" };

const DEMOS: readonly FilterDemo[] = [
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
function authorizationService(request: RecordedRequest): HttpUpstreamResponse {
  const authorization = request.header("authorization") ?? "";
  if (authorization.startsWith("Bearer good")) return { status: 200, headers: { "x-auth-user": "alice" } };
  if (authorization === "Bearer slow") return { status: 200, delayMs: 2_000 };
  return { status: 401, headers: { "www-authenticate": 'Bearer realm="shop"' }, body: "unknown token" };
}

/** The gRPC authorization service the grpc-check demo calls: the policy of filters/grpc-check/authz-service.ts. */
async function grpcAuthorizationService(call: RecordedGrpcCall): Promise<GrpcUpstreamReply> {
  const verdict = decide(decodeAllowRequest(call.message));
  if (verdict.kind === "error") return { status: verdict.status, message: verdict.message };
  if (verdict.kind === "bytes") return verdict.bytes;
  if (verdict.kind === "slow") await new Promise((resolve) => setTimeout(resolve, 2_000));
  return encodeAllowResponse(verdict.response);
}

const RUNNER: RunnerKind = (process.env.ENVOY_RUNNER as RunnerKind | undefined) ?? "process";

/** "name: value | …" for the `names` present in `headers` ("—" when none of them is). */
function pickHeaders(headers: Record<string, string | string[] | undefined>, names: readonly string[]): string {
  const shown = names
    .filter((name) => headers[name] !== undefined)
    .map((name) => `${name}: ${[headers[name]].flat().join(", ")}`);
  return shown.length > 0 ? shown.join("  |  ") : "—";
}

/** `text` on one line, cut to `max` characters. */
function shorten(text: string, max = 100): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** The loopback servers the demos talk to. */
interface DemoUpstreams {
  /** The application: where the listener routes by default. */
  readonly app: HttpUpstream;
  /** A second application version (the canary-router demo routes to it). */
  readonly canary: HttpUpstream;
  /** The authorization service of the ext-authz demo. */
  readonly authz: HttpUpstream;
  /** The gRPC authorization service of the grpc-check demo. */
  readonly grpcAuthz: GrpcUpstream;
  /** The configuration endpoint the config-service demo polls. */
  readonly config: HttpUpstream;
  /** An echoing TCP server behind the network-filter demo. */
  readonly tcp: TcpUpstream;
}

/** Starts Envoy with the demo's filter (and service), sends its requests, shows the results, stops Envoy. */
async function runDemo(demo: FilterDemo, upstreams: DemoUpstreams): Promise<void> {
  console.log(`\n━━ ${demo.filter} ━━ ${demo.summary}`);
  console.log(`   config: ${shorten(JSON.stringify(demo.config), 160)}`);
  if (demo.service)
    console.log(
      `   service config (root ${demo.service.rootId}): ${shorten(JSON.stringify(demo.service.config), 140)}`,
    );
  const wasm = `build/${demo.filter}.wasm`;
  const network = demo.kind === "network";
  const envoy = await startEnvoy({
    runner: RUNNER,
    upstream: network ? upstreams.tcp : upstreams.app,
    clusters: network
      ? []
      : [
          cluster("authz", upstreams.authz),
          cluster("grpc-authz", upstreams.grpcAuthz),
          cluster("canary", upstreams.canary),
          cluster("config", upstreams.config),
        ],
    routes: demo.routes ? [...demo.routes] : undefined,
    filters: [
      network
        ? networkWasm(wasm, { ...demo.plugin, config: demo.config })
        : httpWasm(wasm, { ...demo.plugin, config: demo.config }),
    ],
    services: demo.service
      ? [
          wasmService(wasm, {
            name: demo.service.rootId,
            rootId: demo.service.rootId,
            vmId: demo.service.vmId,
            config: demo.service.config,
          }),
        ]
      : undefined,
  });
  try {
    await demo.ready?.(envoy);
    const show = (request: DemoRequest) => showRequest(envoy, demo, request, upstreams);
    for (const request of demo.requests) await show(request);
    for (const request of demo.tcpRequests ?? []) await showTcpRequest(envoy, request, upstreams.tcp);
    await demo.afterwards?.({ envoy, show });
  } finally {
    await envoy.stop();
  }
}

/** Sends `request` through `envoy` and prints what the client sent and got and what the upstream saw. */
async function showRequest(
  envoy: Envoy,
  demo: FilterDemo,
  request: DemoRequest,
  upstreams: DemoUpstreams,
): Promise<void> {
  const sentHeaders = request.options?.headers ?? {};
  const candidates = [
    { name: demo.routes ? "stable upstream" : "upstream", server: upstreams.app },
    { name: "canary upstream", server: upstreams.canary },
  ];
  const before = candidates.map((candidate) => candidate.server.requests.length);
  const response = await envoy.request(request.path, request.options);
  console.log(`\n   → ${request.options?.method ?? "GET"} ${request.path}   (${request.label})`);
  console.log(
    `     client sent   : ${pickHeaders(sentHeaders, [...demo.show])}`.replace(/Bearer (\S{12})\S+/g, "Bearer $1…"),
  );
  const responseHeaders = pickHeaders(response.headers, demo.show);
  console.log(`     client got    : ${response.status}${responseHeaders === "—" ? "" : `  ${responseHeaders}`}`);
  if (response.status >= 400) console.log(`     reply body    : ${shorten(response.text())}`);
  const reached = candidates.find((candidate, i) => candidate.server.requests.length > before[i]!);
  if (request.options?.body !== undefined) {
    console.log(`     body sent     : ${shorten(String(request.options.body))}`);
    if (reached) console.log(`     upstream body : ${shorten(reached.server.last().text())}`);
    if (response.status < 400) console.log(`     client body   : ${shorten(response.text())}`);
  }
  // With routes, say which upstream got the request; otherwise there is only one.
  const where = demo.routes ? `the ${reached?.name ?? "?"} — ` : "";
  const seen = reached
    ? `${where}${demo.show.length > 0 ? pickHeaders(reached.server.last().headers, demo.show) : "the request"}`
    : "nothing — Envoy answered locally";
  console.log(
    `     ${demo.routes ? "routed to     " : "upstream saw  "}: ${seen}`.replace(/Bearer (\S{12})\S+/g, "Bearer $1…"),
  );
}

/** Writes `request.data` on a new connection through the TCP listener and prints what came back and what the upstream got. */
async function showTcpRequest(envoy: Envoy, request: TcpDemoRequest, tcp: TcpUpstream): Promise<void> {
  const receivedBefore = tcp.received().length;
  const answer = await envoy.tcp(request.data).then(
    (echo) => `the echo ${JSON.stringify(echo.toString())}`,
    () => "the connection closed, nothing back",
  );
  console.log(`\n   → TCP   (${request.label})`);
  console.log(`     client sent   : ${JSON.stringify(request.data)}`);
  console.log(`     client got    : ${answer}`);
  const received = tcp.received().length - receivedBefore;
  console.log(
    `     upstream saw  : ${received > 0 ? `${received} bytes` : "nothing — Envoy closed the connection first"}`,
  );
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const demos = only.length > 0 ? DEMOS.filter((demo) => only.includes(demo.filter)) : DEMOS;
  if (demos.length === 0)
    throw new Error(`no demo for ${only.join(", ")}; available: ${DEMOS.map((d) => d.filter).join(", ")}`);
  console.log("Building the filters (node scripts/build.ts)…");
  await buildAll({ only: demos.map((demo) => demo.filter) });
  // The upstream answers like a legacy app: it advertises itself and marks responses cacheable.
  const upstream = await startHttpUpstream({
    respond: (request) => ({
      status: 200,
      headers: {
        "x-powered-by": "legacy-app/1.0",
        "cache-control": "max-age=3600",
        "content-type": request.header("content-type") ?? "text/plain",
      },
      body: request.body.length > 0 ? request.body : "hello from the upstream\n", // echoes request bodies
    }),
  });
  const upstreams: DemoUpstreams = {
    app: upstream,
    canary: await startHttpUpstream({
      respond: () => ({ status: 200, headers: { "content-type": "text/plain" }, body: "hello from the canary\n" }),
    }),
    authz: await startHttpUpstream({ respond: authorizationService }),
    grpcAuthz: await startGrpcUpstream({ [ALLOW_METHOD]: grpcAuthorizationService }),
    config: await startHttpUpstream({
      respond: () => ({
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ deny: servedDenyList }),
      }),
    }),
    tcp: await startTcpUpstream(),
  };
  try {
    console.log(
      `Envoy runner: ${RUNNER} (set ENVOY_RUNNER=container to use Docker). Upstream on 127.0.0.1:${upstream.port}.`,
    );
    for (const demo of demos) await runDemo(demo, upstreams);
  } finally {
    for (const server of Object.values(upstreams)) await server.close();
  }
  console.log(
    "\nDone. Each filter's README explains its configuration, logs and counters; envoy-configs/<filter>.yaml runs it standalone.",
  );
}

await main();
