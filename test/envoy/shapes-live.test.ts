// Config shapes running for real (not just validated): a filter chain, a Wasm service next to a filter, the
// failure policy when a filter traps, and a user-named image.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type HttpUpstream,
  cluster,
  httpWasm,
  startGrpcUpstream,
  startEnvoy,
  startHttpUpstream,
  wasmService,
} from "@proxy-wasm-as/harness";
import { localEnvoyImageName } from "@proxy-wasm-as/harness/envoy";
import { RUNNERS, fixture } from "./support.ts";

const runner = "process" as const;

describe("config shapes, live", () => {
  let upstream: HttpUpstream;
  beforeAll(async () => {
    upstream = await startHttpUpstream();
  });
  afterAll(() => upstream.close());

  test("a chain of two filters: response path in reverse order; a shared vm_id means one VM", async () => {
    const chain = (vmIds: [string, string]) =>
      startEnvoy({
        runner,
        filters: [
          httpWasm(fixture("ok"), { name: "first", rootId: "first", vmId: vmIds[0], config: "one" }),
          httpWasm(fixture("ok"), { name: "second", rootId: "second", vmId: vmIds[1], config: "two" }),
        ],
        upstream,
      });
    {
      await using separate = await chain(["vm_a", "vm_b"]);
      const res = await separate.request("/chain");
      expect(res.headers["x-wat"]).toEqual(["two", "one"]); // encoder path: second filter first
      expect(upstream.last().headers["x-wat-req"]).toEqual(["1", "1"]);
    }
    {
      // The fixture keeps its configuration in a VM global: with one shared VM the second configure wins for both.
      await using shared = await chain(["shared", "shared"]);
      expect((await shared.request("/chain")).headers["x-wat"]).toEqual(["two", "two"]);
    }
  });

  test("an HTTP callout to a cluster pointing at a loopback upstream started by the test", async () => {
    await using auth = await startHttpUpstream({ respond: () => ({ status: 200, body: "allowed" }) });
    await using envoy = await startEnvoy({
      runner,
      filters: [httpWasm(fixture("callout"))],
      upstream,
      clusters: [cluster("auth", auth)],
    });
    const delta = await envoy.statsDelta(() => envoy.request("/guarded"), "^cluster\\.auth\\.upstream_rq_total$");
    expect(delta.get("cluster.auth.upstream_rq_total")).toBe(1);
    expect(auth.last().path).toBe("/auth");
    expect(auth.last().method).toBe("GET");
    expect(upstream.last().path).toBe("/guarded");
    expect(upstream.last().header("x-callout")).toBe("done"); // added after the callout answered
  });

  test.each([
    ["a reply", () => Buffer.from("re:hi"), "ok"],
    ["status 7", () => ({ status: 7, message: "denied" }), "error"],
  ] as const)(
    "a gRPC callout to an h2c gRPC upstream answering %s: resumed with x-grpc-close: %s",
    async (_what, reply, header) => {
      await using grpc = await startGrpcUpstream({ "/echo.Echo/Say": reply });
      await using envoy = await startEnvoy({
        runner,
        filters: [httpWasm(fixture("grpc-callout"))],
        upstream,
        clusters: [cluster("grpc", grpc)],
      });
      const res = await envoy.request("/needs-grpc");
      expect(res.status).toBe(200);
      expect(grpc.calls.map((c) => [c.method, c.message.toString()])).toEqual([["/echo.Echo/Say", "hi"]]);
      // Success ends in proxy_on_grpc_receive, failure in proxy_on_grpc_close; the fixture resumes from either.
      expect(upstream.last().header("x-grpc-close")).toBe(header);
    },
  );

  test("a singleton Wasm service starts with the filters and logs from its root context", async () => {
    await using envoy = await startEnvoy({
      runner,
      filters: [httpWasm(fixture("ok"), { name: "filter", config: "f" })],
      services: [wasmService(fixture("ok"), { name: "service", rootId: "svc", vmId: "svc_vm", config: "tick" })],
      upstream,
    });
    const line = await envoy.waitForWasmLog("configured");
    expect(envoy.wasmLogs().some((l) => l.prefix.includes("svc"))).toBe(true); // root-context lines carry root id and vm id
    expect(line.level).toBe("info");
    expect((await envoy.request("/svc")).headers["x-wat"]).toBe("f");
  });

  test.each([
    // The request that traps always gets 503; the policy decides what happens to the following ones.
    ["FAIL_CLOSED", [503, 503, 503], 0],
    ["FAIL_OPEN", [503, 200, 200], 2],
    ["FAIL_RELOAD", [503, 503, 503], 0], // the reloaded VM traps again
  ] as const)(
    "a filter that traps, %s: statuses %j, upstream reached %i times",
    async (failurePolicy, statuses, reached) => {
      await using own = await startHttpUpstream();
      await using envoy = await startEnvoy({
        runner,
        filters: [httpWasm(fixture("trap-on-request"), { failurePolicy })],
        upstream: own,
        allowWasmErrors: true,
      });
      const seen: number[] = [];
      for (let i = 0; i < 3; i++) seen.push((await envoy.request("/trap")).status);
      expect(seen).toEqual(statuses);
      expect(own.requests).toHaveLength(reached);
      expect(
        envoy.log
          .wasmErrors()
          .map((l) => l.message)
          .join("\n"),
      ).toMatch(/proxy_on_request_headers failed: Uncaught RuntimeError: unreachable/);
    },
  );
});

test.skipIf(!RUNNERS.includes("container"))(
  "a user-named image is run as is (ENVOY_IMAGE / image option)",
  async () => {
    const image = localEnvoyImageName("1.40.0"); // stands in for envoyproxy/envoy:… or istio/proxyv2:… where pulls work
    await using envoy = await startEnvoy({
      runner: "container",
      image,
      filters: [httpWasm(fixture("ok"), { config: "img" })],
    });
    expect(envoy.source).toBe(image);
    expect(envoy.version).toBe("1.40.0"); // read from the tag
    expect((await envoy.request("/")).headers["x-wat"]).toBe("img");
  },
);
