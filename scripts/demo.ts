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
  type HttpUpstream,
  type RunnerKind,
  runnerKind,
  type TcpUpstream,
} from "@proxy-wasm-as/harness";
import { ALLOW_METHOD } from "../filters/grpc-check/authz-service.ts";
import {
  DEMOS,
  type DemoRequest,
  type FilterDemo,
  type TcpDemoRequest,
  authorizationService,
  grpcAuthorizationService,
  servedConfigDocument,
} from "./demo/filters.ts";

const RUNNER: RunnerKind = runnerKind();

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
        body: servedConfigDocument(),
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
