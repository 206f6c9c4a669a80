// Support for the hostile-traffic suite (hostile.test.ts): one real Envoy with a listener per sample filter, a
// raw HTTP/1.1 client that sends exact bytes (invalid header bytes, oversized headers), probes that tag each
// request so an upstream leak can be found, and a report of VM failures (Envoy's `wasm` stats and failure lines).
import { connect } from "node:net";
import { signJwt } from "../../filters/jwt-auth/jwt-tokens.ts";
import { decodeAllowRequest, encodeAllowResponse, headerOf } from "../../filters/grpc-check/authz-service.ts";
import { filterWasm } from "../../filters/test-support/helpers.ts";
import {
  cluster,
  httpRequest,
  httpWasm,
  networkWasm,
  startEnvoy,
  startGrpcUpstream,
  startHttpUpstream,
  startTcpUpstream,
  wasmService,
  type Envoy,
  type GrpcUpstream,
  type HttpRequestOptions,
  type HttpUpstream,
  type ListenerSpec,
  type TcpUpstream,
} from "@proxy-wasm-as/harness";

export const API_KEY = "k-ci-7f3a";
export const JWT_SECRET = "0123456789abcdef0123456789abcdef-orders";
/** A JWT valid for an hour from now (real Envoy uses the real clock). */
export const GOOD_JWT = signJwt(
  { iss: "https://auth.example.com", aud: "orders-api", sub: "user-42", exp: Math.floor(Date.now() / 1000) + 3600 },
  JWT_SECRET,
);

/** Every sample HTTP filter the suite covers, each behind its own listener named after it. */
export const HTTP_FILTERS = [
  "api-key-auth",
  "jwt-auth",
  "body-redact",
  "ext-authz",
  "grpc-check",
  "config-service",
  "rate-limit",
  "headers",
  "canary-router",
  "metrics",
] as const;
export type HttpFilterName = (typeof HTTP_FILTERS)[number];

/** The running setup: Envoy, the shared recording upstream, the authorization services, the TCP upstream. */
export interface HostileSetup {
  envoy: Envoy;
  upstream: HttpUpstream;
  tcpUpstream: TcpUpstream;
  extAuthz: HttpUpstream;
  grpcAuthz: GrpcUpstream;
  /** The config-service poller's endpoint: always 503, so the initial deny list stays. */
  configEndpoint: HttpUpstream;
  close(): Promise<void>;
}

/** Starts the services and one Envoy with a listener per filter (and "tcp-guard" for the network filter). */
export async function startHostileSetup(runner: "process" | "container"): Promise<HostileSetup> {
  const upstream = await startHttpUpstream();
  const tcpUpstream = await startTcpUpstream();
  const extAuthz = await startHttpUpstream({
    respond: (r) =>
      r.header("authorization") === "Bearer good"
        ? { status: 200, headers: { "x-auth-user": "alice" } }
        : { status: 403, body: "forbidden" },
  });
  const grpcAuthz = await startGrpcUpstream({
    "/authz.v1.Check/Allow": (call) =>
      encodeAllowResponse(
        headerOf(decodeAllowRequest(call.message), "authorization") === "Bearer alice"
          ? { allowed: true }
          : { allowed: false, statusCode: 403, reason: "no" },
      ),
  });
  const configEndpoint = await startHttpUpstream({ respond: () => ({ status: 503 }) });
  const http = (name: HttpFilterName, config: object, extra: object = {}): ListenerSpec => ({
    name,
    protocol: "http",
    cluster: "upstream",
    filters: [httpWasm(filterWasm(name), { name, config, ...extra })],
  });
  const listeners: ListenerSpec[] = [
    http("api-key-auth", { keys: [{ client: "ci-bot", key: API_KEY }], realm: "orders" }),
    http("jwt-auth", {
      secret: JWT_SECRET,
      issuer: "https://auth.example.com",
      audiences: ["orders-api"],
      realm: "orders",
    }),
    http("body-redact", { fields: ["password", "ssn"] }),
    http("ext-authz", { cluster: "ext-authz", forwardHeaders: ["authorization"], timeoutMs: 2000 }),
    http("grpc-check", { cluster: "grpc-authz", forwardHeaders: ["authorization"], timeoutMs: 2000 }),
    http("config-service", {}, { rootId: "deny-list", vmId: "deny-list" }),
    http("rate-limit", { capacity: 1000, refillPerSecond: 1000, keyHeader: "x-client-id" }),
    http("headers", { request: { set: { "x-env": "prod" }, remove: ["x-internal"] } }),
    http("canary-router", { percentage: 30, hashKeyHeader: "x-user-id" }),
    http("metrics", { routes: [{ name: "orders", prefix: "/orders" }] }),
    {
      name: "tcp-guard",
      protocol: "tcp",
      cluster: "tcp",
      filters: [
        networkWasm(filterWasm("tcp-guard"), { name: "tcp-guard", config: { denyPrefixes: ["GET /admin", "SSH-"] } }),
      ],
    },
  ];
  const envoy = await startEnvoy({
    runner,
    listeners,
    clusters: [
      cluster("upstream", upstream),
      cluster("tcp", tcpUpstream),
      cluster("ext-authz", extAuthz),
      cluster("grpc-authz", grpcAuthz),
      cluster("config", configEndpoint),
    ],
    services: [
      wasmService(filterWasm("config-service"), {
        name: "config-service-poller",
        rootId: "config-service",
        vmId: "deny-list",
        config: {
          cluster: "config",
          path: "/deny-list-unused",
          pollMs: 3_600_000,
          initial: { deny: { clients: ["mallory"], paths: ["/admin"] } },
        },
      }),
    ],
    // The suite reports VM failures itself (with the filter that failed), instead of failing at start.
    allowWasmErrors: true,
  });
  const close = async () => {
    await envoy.stop();
    await Promise.all([
      upstream.close(),
      tcpUpstream.close(),
      extAuthz.close(),
      grpcAuthz.close(),
      configEndpoint.close(),
    ]);
  };
  return { envoy, upstream, tcpUpstream, extAuthz, grpcAuthz, configEndpoint, close };
}

let probeCounter = 0;

/** A fresh probe id; every hostile request carries one in its path, so that the upstream's records can be searched. */
export function probeId(): string {
  return `p${process.pid}-${++probeCounter}`;
}

/** What one hostile request produced. */
export interface ProbeResult {
  /** Response status, or 0 when the connection closed without a response. */
  status: number;
  /** True when the probe's request (even partially, then reset) reached the upstream. */
  leaked: boolean;
  /** The request the upstream recorded, when it arrived complete. */
  upstreamRequest?: ReturnType<HttpUpstream["last"]>;
}

/** True when the upstream saw the probe `id` (complete or reset). */
export function upstreamSaw(upstream: HttpUpstream, id: string): ProbeResult["upstreamRequest"] | true | undefined {
  const request = upstream.requests.find((r) => r.path.includes(id));
  if (request) return request;
  return upstream.resets.some((r) => r.path.includes(id)) ? true : undefined;
}

/** Sends a request built with the harness client to listener `listener`, tagged with a probe id in the query. */
export async function probe(
  setup: HostileSetup,
  listener: HttpFilterName,
  path: string,
  options: HttpRequestOptions = {},
): Promise<ProbeResult> {
  const id = probeId();
  const tagged = `${path}${path.includes("?") ? "&" : "?"}probe=${id}`;
  let status = 0;
  try {
    status = (await httpRequest(setup.envoy.origin(listener), tagged, { timeoutMs: 20_000, ...options })).status;
  } catch {
    status = 0; // Envoy closed or reset the connection (e.g. a header it refuses); judged by the caller
  }
  return settle(setup, id, status);
}

/**
 * Sends the exact bytes of a request head (`head` lines, without the final blank line) and `body` over a raw TCP
 * connection to listener `listener`: for bytes an HTTP library refuses to send. The probe id is added to the path.
 */
export async function rawProbe(
  setup: HostileSetup,
  listener: HttpFilterName,
  method: string,
  path: string,
  headerLines: (string | Buffer)[],
  body: Buffer = Buffer.alloc(0),
): Promise<ProbeResult> {
  const id = probeId();
  const tagged = `${path}${path.includes("?") ? "&" : "?"}probe=${id}`;
  const head = Buffer.concat([
    Buffer.from(
      `${method} ${tagged} HTTP/1.1\r\nhost: hostile\r\nconnection: close\r\ncontent-length: ${body.length}\r\n`,
      "latin1",
    ),
    ...headerLines.flatMap((line) => [
      typeof line === "string" ? Buffer.from(line, "latin1") : line,
      Buffer.from("\r\n"),
    ]),
    Buffer.from("\r\n"),
  ]);
  const response = await new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    // write, not end: Envoy treats a client's half-close as the client going away and aborts the request. The
    // request says `connection: close`, so Envoy closes once it has answered.
    const socket = connect({ host: "127.0.0.1", port: setup.envoy.port(listener) }, () =>
      socket.write(Buffer.concat([head, body])),
    );
    const timer = setTimeout(() => socket.destroy(), 20_000);
    socket.on("data", (c: Buffer) => {
      chunks.push(c);
      // The status line and headers are all a probe needs; Envoy may hold the connection open a while (its
      // delayed-close timeout) after a local reply.
      if (Buffer.concat(chunks).includes("\r\n\r\n")) socket.destroy();
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.on("error", () => undefined); // a reset by Envoy is a possible answer; judged by the status below
  });
  const match = /^HTTP\/1\.1 (\d{3})/.exec(response.toString("latin1"));
  return settle(setup, id, match ? Number(match[1]) : 0);
}

/** Waits briefly for the upstream side to settle (a reset may be recorded just after the client's answer). */
async function settle(setup: HostileSetup, id: string, status: number): Promise<ProbeResult> {
  await new Promise((r) => setTimeout(r, 20));
  const seen = upstreamSaw(setup.upstream, id);
  return { status, leaked: seen !== undefined, upstreamRequest: seen === true ? undefined : seen };
}

/** VM failures Envoy reported: failure log lines (traps, failed VMs) and `wasm.*` stats that count failures. */
export async function vmFailures(envoy: Envoy): Promise<string[]> {
  const stats = await envoy.stats("wasm");
  // Envoy's own `wasm.<plugin>.vm_reload*` stats (not the filters' `wasmcustom.*` counters): a VM was replaced.
  const failed = [...stats]
    .filter(([name, value]) => value > 0 && /^wasm\.[^.]+\.vm_reload(_failure)?$/.test(name))
    .map(([name, value]) => `stat ${name} = ${value}`);
  const lines = envoy.log.lines
    .filter((l) => /Function: proxy_on_\w+ failed|Wasm VM failed|Uncaught|RuntimeError|wasm_fail_stream/.test(l.raw))
    .map((l) => `log ${l.raw.slice(0, 300)}`);
  return [...failed, ...lines];
}
