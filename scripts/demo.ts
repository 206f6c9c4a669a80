// The sample filters on real Envoy, in one command:   npm run demo      (or: node scripts/demo.ts [filter ...])
// Builds every filter, starts a loopback upstream, then for each filter starts Envoy with it and sends a few
// real requests, printing what the client sent, what the client got back and what reached the upstream.
// Runner: $ENVOY_RUNNER ("process" by default here: a provisioned Envoy binary; "container" needs Docker).
import { buildAll } from "./build.ts";
import { httpWasm, startEnvoy, startHttpUpstream, cluster, type Envoy, type HttpRequestOptions, type HttpUpstream, type HttpUpstreamResponse, type RecordedRequest, type RunnerKind } from "../harness/src/index.ts";
import { signJwt } from "../filters/jwt-auth/jwt-tokens.ts";

/** One request of a demo and the headers worth showing for it. */
interface DemoRequest {
  readonly label: string;
  readonly path: string;
  readonly options?: HttpRequestOptions;
}

/** A filter, the configuration the demo runs it with, and the requests that show what it does. */
interface FilterDemo {
  readonly filter: string;
  readonly summary: string;
  readonly config: object;
  /** Header names printed for the client and the upstream (others are noise). */
  readonly show: readonly string[];
  readonly requests: readonly DemoRequest[];
  /** Shows something else once the requests are done (e.g. Envoy's stats). */
  readonly afterwards?: (envoy: Envoy) => Promise<void>;
}

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
    requests: [{ label: "a request with a debug header", path: "/catalog", options: { headers: { "x-internal-debug": "1" } } }],
  },
  {
    filter: "api-key-auth",
    summary: "only requests with a configured API key reach the upstream",
    config: { keys: [{ client: "ci-bot", key: "k-ci-7f3a" }], realm: "orders" },
    show: ["x-api-key", "authorization", "x-api-client", "www-authenticate"],
    requests: [
      { label: "no key", path: "/orders" },
      { label: "wrong key", path: "/orders", options: { headers: { "x-api-key": "k-guess" } } },
      { label: "valid key (and a spoofed x-api-client)", path: "/orders", options: { headers: { "x-api-key": "k-ci-7f3a", "x-api-client": "admin" } } },
    ],
  },
  {
    filter: "jwt-auth",
    summary: "verifies HS256 JWTs (signature, exp, nbf, iss, aud) and forwards claims as headers",
    config: {
      secret: JWT_SECRET, issuer: "https://auth.example.com", audiences: ["orders-api"],
      forwardClaims: [{ claim: "sub", header: "x-user-id" }, { claim: "tenant", header: "x-tenant" }],
    },
    show: ["authorization", "x-user-id", "x-tenant", "www-authenticate"],
    requests: [
      { label: "valid token", path: "/orders", options: { headers: { authorization: `Bearer ${signJwt({ ...jwtClaims, exp: nowSeconds() + 600 }, JWT_SECRET)}` } } },
      { label: "expired token", path: "/orders", options: { headers: { authorization: `Bearer ${signJwt({ ...jwtClaims, exp: nowSeconds() - 600 }, JWT_SECRET)}` } } },
      { label: "token signed with another key", path: "/orders", options: { headers: { authorization: `Bearer ${signJwt({ ...jwtClaims, exp: nowSeconds() + 600 }, "not-the-secret-not-the-secret-012345")}` } } },
      { label: "token for another audience", path: "/orders", options: { headers: { authorization: `Bearer ${signJwt({ ...jwtClaims, aud: "billing-api", exp: nowSeconds() + 600 }, JWT_SECRET)}` } } },
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
      { label: "the service allows 'Bearer good'", path: "/cart", options: { headers: { authorization: "Bearer good-user-token" } } },
      { label: "the service refuses anyone else", path: "/cart", options: { headers: { authorization: "Bearer stolen" } } },
      { label: "the service is too slow", path: "/cart", options: { headers: { authorization: "Bearer slow" } } },
    ],
  },
  {
    filter: "body-redact",
    summary: "redacts configured JSON fields in request and response bodies (the upstream echoes the body)",
    config: { fields: ["password", "ssn"] },
    show: ["content-type"],
    requests: [{
      label: "a signup with a password and an SSN", path: "/signup",
      options: { method: "POST", headers: { "content-type": "application/json" }, body: '{"user":"ana","password":"hunter2","profile":{"ssn":"123-45-6789"}}' },
    }],
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
    afterwards: async (envoy) => {
      const lines = (await envoy.admin.prometheus()).split("\n").filter((line) => /^http_metrics_\w+_rq_\dxx\b/.test(line));
      console.log(`\n   /stats/prometheus now shows:\n${lines.map((line) => `     ${line}`).join("\n")}`);
    },
  },
];

/** The authorization service the ext-authz demo calls: "Bearer good…" is alice, "Bearer slow" takes 2 s, others 401. */
function authorizationService(request: RecordedRequest): HttpUpstreamResponse {
  const authorization = request.header("authorization") ?? "";
  if (authorization.startsWith("Bearer good")) return { status: 200, headers: { "x-auth-user": "alice" } };
  if (authorization === "Bearer slow") return { status: 200, delayMs: 2_000 };
  return { status: 401, headers: { "www-authenticate": 'Bearer realm="shop"' }, body: "unknown token" };
}

const RUNNER: RunnerKind = (process.env.ENVOY_RUNNER as RunnerKind | undefined) ?? "process";

/** "name: value | …" for the `names` present in `headers`. */
function pickHeaders(headers: Record<string, string | string[] | undefined>, names: readonly string[]): string {
  if (names.length === 0) return "—";
  const shown = names.filter((name) => headers[name] !== undefined).map((name) => `${name}: ${[headers[name]].flat().join(", ")}`);
  return shown.length > 0 ? shown.join("  |  ") : "(none of the interesting headers)";
}

/** `text` on one line, cut to `max` characters. */
function shorten(text: string, max = 100): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** Starts Envoy with the demo's filter, sends its requests, shows the results, stops Envoy. */
async function runDemo(demo: FilterDemo, upstream: HttpUpstream, authz: HttpUpstream): Promise<void> {
  console.log(`\n━━ ${demo.filter} ━━ ${demo.summary}`);
  console.log(`   config: ${shorten(JSON.stringify(demo.config), 160)}`);
  const envoy = await startEnvoy({
    runner: RUNNER, upstream, clusters: [cluster("authz", authz)],
    filters: [httpWasm(`build/${demo.filter}.wasm`, { config: demo.config })],
  });
  try {
    for (const request of demo.requests) await showRequest(envoy, demo, request, upstream);
    await demo.afterwards?.(envoy);
  } finally {
    await envoy.stop();
  }
}

/** Sends `request` through `envoy` and prints what the client sent and got and what the upstream saw. */
async function showRequest(envoy: Envoy, demo: FilterDemo, request: DemoRequest, upstream: HttpUpstream): Promise<void> {
  const sentHeaders = request.options?.headers ?? {};
  const before = upstream.requests.length;
  const response = await envoy.request(request.path, request.options);
  console.log(`\n   → ${request.options?.method ?? "GET"} ${request.path}   (${request.label})`);
  console.log(`     client sent   : ${pickHeaders(sentHeaders, [...demo.show])}`.replace(/Bearer (\S{12})\S+/g, "Bearer $1…"));
  console.log(`     client got    : ${response.status}  ${pickHeaders(response.headers, demo.show)}`);
  if (response.status >= 400) console.log(`     reply body    : ${shorten(response.text())}`);
  const reached = upstream.requests.length > before;
  if (request.options?.body !== undefined) {
    console.log(`     body sent     : ${shorten(String(request.options.body))}`);
    if (reached) console.log(`     upstream body : ${shorten(upstream.last().text())}`);
    if (response.status < 400) console.log(`     client body   : ${shorten(response.text())}`);
  }
  const seen = reached ? (demo.show.length > 0 ? pickHeaders(upstream.last().headers, demo.show) : "the request") : "nothing — Envoy answered locally";
  console.log(`     upstream saw  : ${seen}`.replace(/Bearer (\S{12})\S+/g, "Bearer $1…"));
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const demos = only.length > 0 ? DEMOS.filter((demo) => only.includes(demo.filter)) : DEMOS;
  if (demos.length === 0) throw new Error(`no demo for ${only.join(", ")}; available: ${DEMOS.map((d) => d.filter).join(", ")}`);
  console.log("Building the filters (node scripts/build.ts)…");
  await buildAll({ only: demos.map((demo) => demo.filter) });
  // The upstream answers like a legacy app: it advertises itself and marks responses cacheable.
  const upstream = await startHttpUpstream({
    respond: (request) => ({
      status: 200,
      headers: { "x-powered-by": "legacy-app/1.0", "cache-control": "max-age=3600", "content-type": request.header("content-type") ?? "text/plain" },
      body: request.body.length > 0 ? request.body : "hello from the upstream\n", // echoes request bodies
    }),
  });
  const authz = await startHttpUpstream({ respond: authorizationService });
  try {
    console.log(`Envoy runner: ${RUNNER} (set ENVOY_RUNNER=container to use Docker). Upstream on 127.0.0.1:${upstream.port}.`);
    for (const demo of demos) await runDemo(demo, upstream, authz);
  } finally {
    await upstream.close();
    await authz.close();
  }
  console.log("\nDone. Each filter's README explains its configuration, logs and counters; envoy-configs/<filter>.yaml runs it standalone.");
}

await main();
