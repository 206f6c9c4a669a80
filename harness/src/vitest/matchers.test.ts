// The filter matchers on real emulator results (the SDK's add-header fixture and the scaffold's kind of filter)
// and on real HTTP responses/upstreams shapes: each passes when it should and fails with a message that says why.
import { resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { Emulator } from "../emulator/index.ts";
import { filterMatchers } from "./matchers.ts";

expect.extend(filterMatchers);

const ADD_HEADER = resolve("build/add-header.wasm");
const QUICKSTART = resolve("build/quickstart.wasm");

describe("filter matchers on emulator results", () => {
  test("status, response header present/absent/value, upstream header, reached upstream", async () => {
    const emulator = await Emulator.load(ADD_HEADER);
    const result = await emulator.request({ path: "/", headers: { "x-in": "1" } }, () => ({
      status: 201,
      headers: { "x-up": "a" },
    }));
    expect(result).toHaveStatus(201);
    expect(result).toHaveHeader("x-powered-by");
    expect(result).toHaveHeader("X-Powered-By", "proxy-wasm-as");
    expect(result).toHaveHeader("x-powered-by", /wasm/);
    expect(result).not.toHaveHeader("x-absent");
    expect(result).toHaveUpstreamHeader("x-in", "1");
    expect(result).toHaveReachedUpstream();
    expect(result).not.toBeLocalReply();
    expect(() => expect(result).toHaveStatus(200)).toThrow("expected status 200, got 201");
    expect(() => expect(result).toHaveHeader("x-powered-by", "other")).toThrow(
      /to have header x-powered-by = other, but it has "proxy-wasm-as"/,
    );
    expect(() => expect(result).not.toHaveHeader("x-powered-by")).toThrow(/not to have header x-powered-by/);
    expect(() => expect(result).toBeLocalReply()).toThrow(/expected a local reply, got a response from the upstream/);
  });

  test("local reply, nothing upstream, logged line, metric delta", async () => {
    const emulator = await Emulator.load(QUICKSTART, { pluginConfig: { header: "x-key" } });
    const result = await emulator.request({ path: "/" }, () => ({ status: 200 }));
    expect(result).toBeLocalReply(401);
    expect(result).not.toHaveReachedUpstream();
    expect(() => expect(result).toBeLocalReply(403)).toThrow(
      /local reply with status 403, got a local reply with status 401/,
    );
    expect(() => expect(result).toHaveUpstreamHeader("x-key")).toThrow(/no request reached the upstream/);
    expect(() => expect(emulator).toHaveLogged(/never logged/)).toThrow(
      /expected a log line matching \/never logged\//,
    );
    await expect(async () => {}).toChangeMetric(emulator, "no.such.metric", 0);
    await expect(expect(async () => {}).toChangeMetric(emulator, "no.such.metric", 1)).rejects.toThrow(
      /changed by 0 \(0 → 0\)/,
    );
  });

  test("wrong subjects get a message naming what the matcher accepts", () => {
    expect(() => expect(42).toHaveStatus(200)).toThrow(
      /toHaveStatus expects an emulator result or an HTTP response, got number/,
    );
    expect(() => expect({}).toHaveLogged("x")).toThrow(/toHaveLogged expects an Emulator or a running Envoy/);
  });
});

describe("filter matchers on real-traffic shapes", () => {
  const response = (headers: Record<string, string | string[]>, status = 200) => ({
    status,
    headers,
    body: Buffer.from(""),
    trailers: {},
    text: () => "",
    json: () => null,
  });

  test("a response from the upstream carries x-envoy-upstream-service-time; a local reply does not", () => {
    expect(response({ "x-envoy-upstream-service-time": "3", "x-a": ["1", "2"] })).not.toBeLocalReply();
    expect(response({ "x-a": ["1", "2"] })).toHaveHeader("x-a", "2");
    expect(response({}, 403)).toBeLocalReply(403);
  });

  test("what a recording upstream saw: its latest request", () => {
    const upstream = { requests: [{ headers: { "x-a": ["old"] } }, { headers: { "x-a": ["new"] } }], respondWith() {} };
    expect(upstream).toHaveUpstreamHeader("x-a", "new");
    expect(upstream).toHaveReachedUpstream();
    expect({ requests: [], respondWith() {} }).not.toHaveReachedUpstream();
  });
});
