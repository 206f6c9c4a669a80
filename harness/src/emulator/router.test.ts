// The router and connection-manager rules on their own (the differential scenarios of test/differential/
// cm-router.scenarios.ts check the same rules against real Envoy), and the Envoy config the harness renders from
// the same RouteSpec.
import { describe, expect, it } from "vitest";
import { buildBootstrap } from "../envoy/config.ts";
import { decodeClientRequest, decodeUpstreamResponse } from "./connection-manager.ts";
import { EmulatorUsageError } from "./errors.ts";
import { HeaderMap } from "./header-map.ts";
import { Router } from "./router.ts";

const request = (path: string, extra: Record<string, string> = {}) =>
  new HeaderMap({ ":authority": "a.example", ":path": path, ":method": "GET", "x-forwarded-proto": "http", ...extra });

describe("Router", () => {
  const router = new Router([
    { prefix: "/b/", cluster: "b" },
    { path: "/exact", cluster: "exact" },
    { regex: "/items/[0-9]+", cluster: "items" },
    { authority: { suffix: ".internal" }, cluster: "internal" },
    { headers: { "x-tier": { prefix: "gold" } }, cluster: "gold" },
    { headers: { "x-v": { regex: "v[0-9]" }, "x-w": { present: true } }, cluster: "both" },
    { headers: { "x-exact": "1" }, cluster: "exact-header" },
  ]);
  const cluster = (h: HeaderMap) => {
    const d = router.route(h);
    return d.kind === "route" ? d.cluster : d.details;
  };

  it("matches prefix (query included), exact path and full-match regex (query excluded), in order", () => {
    expect(cluster(request("/b/x?q"))).toBe("b");
    expect(cluster(request("/exact?q=1"))).toBe("exact");
    expect(cluster(request("/exact/more"))).toBe("upstream");
    expect(cluster(request("/items/42?x=1"))).toBe("items");
    expect(cluster(request("/items/42/more"))).toBe("upstream");
  });

  it("matches :authority and headers by exact, prefix, regex and presence; several values are joined with ','", () => {
    expect(cluster(new HeaderMap({ ":authority": "db.internal", ":path": "/", "x-forwarded-proto": "http" }))).toBe(
      "internal",
    );
    expect(cluster(request("/", { "x-tier": "gold-1" }))).toBe("gold");
    expect(cluster(request("/", { "x-tier": "silver" }))).toBe("upstream");
    expect(cluster(request("/", { "x-v": "v1" }))).toBe("upstream"); // x-w missing
    expect(cluster(request("/", { "x-v": "v1", "x-w": "" }))).toBe("both");
    const twice = request("/");
    twice.add("x-exact", "1");
    twice.add("x-exact", "2");
    expect(cluster(twice)).toBe("upstream"); // "1,2" is not "1"
  });

  it("finds no route without x-forwarded-proto: 404 route_not_found (traces h1-set-all, h2-remove-forwarded-proto)", () => {
    expect(router.route(new HeaderMap({ ":path": "/b/" }))).toEqual({
      kind: "no-route",
      status: 404,
      details: "route_not_found",
    });
  });

  it("rejects a route with two path matchers and an invalid regex, with what to do", () => {
    expect(() => new Router([{ prefix: "/", regex: "/x", cluster: "c" }])).toThrow(/keep one/);
    expect(() => new Router([{ regex: "(", cluster: "c" }])).toThrow(EmulatorUsageError);
  });

  it("renders the same routes for Envoy: prefix, path, safe_regex, :authority and header matchers", () => {
    const bootstrap = buildBootstrap(
      {
        listeners: [
          {
            name: "l",
            protocol: "http",
            filters: [],
            cluster: "main",
            routes: [
              { regex: "/items/[0-9]+", cluster: "b" },
              {
                authority: "other.example",
                headers: { "x-a": { present: false }, "x-b": { regex: "v." }, "x-c": "1" },
                cluster: "b",
              },
            ],
          },
        ],
        clusters: [
          { name: "main", host: "127.0.0.1", port: 1 },
          { name: "b", host: "127.0.0.1", port: 2 },
        ],
      },
      { envoyVersion: "1.40.0", wasmPath: (p) => p },
    );
    const text = JSON.stringify(bootstrap);
    expect(text).toContain('{"match":{"safe_regex":{"regex":"/items/[0-9]+"}},"route":{"cluster":"b"}}');
    expect(text).toContain('{"name":":authority","string_match":{"exact":"other.example"}}');
    expect(text).toContain('{"name":"x-a","present_match":true,"invert_match":true}');
    expect(text).toContain('{"name":"x-b","string_match":{"safe_regex":{"regex":"v."}}}');
  });
});

describe("connection manager", () => {
  it("decorates a client's request per protocol and frames its body (traces h1-log-everything, h2-log-everything, h2-post-body)", () => {
    const h1 = decodeClientRequest(
      {
        method: "POST",
        path: "/p",
        authority: "h",
        headers: { "x-a": "1" },
        body: ["one", "two"],
        trailers: { "x-t": "3" },
      },
      "id-1",
    );
    expect(h1.headers).toEqual([
      [":authority", "h"],
      [":path", "/p"],
      [":method", "POST"],
      [":scheme", "http"],
      ["x-a", "1"],
      ["trailer", "x-t"],
      ["x-forwarded-proto", "http"],
      ["x-request-id", "id-1"],
    ]);
    expect(
      h1.frames.map((f) => (f.kind === "data" ? `${new TextDecoder().decode(f.bytes)}:${f.endOfStream}` : "trailers")),
    ).toEqual(["one:false", "two:false", "trailers"]);
    const h2 = decodeClientRequest(
      { method: "POST", path: "/p", authority: "h", body: "whole", protocol: "HTTP/2" },
      "id-2",
    );
    expect(h2.headers.map(([k]) => k)).toEqual([
      ":authority",
      ":method",
      ":path",
      ":scheme",
      "content-length",
      "x-forwarded-proto",
      "x-request-id",
    ]);
    expect(h2.frames).toHaveLength(1);
    expect(h2.headersEndStream).toBe(false);
    const forwarded = decodeClientRequest(
      { headers: { "x-forwarded-proto": "https", "x-request-id": "mine" } },
      "id-3",
    );
    expect(forwarded.headers).toContainEqual([":scheme", "https"]); // trace h1-client-forwarded-headers
    expect(forwarded.headers.filter(([k]) => k === "x-request-id")).toEqual([["x-request-id", "mine"]]);
  });

  it("shapes the upstream's answer as Envoy's router hands it over (traces h1-get, h1-empty-200, h1-upstream-own-date)", () => {
    const ok = decodeUpstreamResponse({ headers: { "x-up": "1" }, body: "answer" }, { date: "D", serviceTimeMs: 3 });
    expect(ok.headers).toEqual([
      [":status", "200"],
      ["connection", "keep-alive"],
      ["x-up", "1"],
      ["date", "D"],
      ["content-length", "6"],
      ["x-envoy-upstream-service-time", "3"],
    ]);
    expect(ok.frames.map((f) => f.kind === "data" && f.endOfStream)).toEqual([false, true]);
    const empty = decodeUpstreamResponse({ body: "" }, { date: "D", serviceTimeMs: 0 });
    expect(empty.headersEndStream).toBe(true);
    expect(empty.headers).toContainEqual(["content-length", "0"]);
    expect(
      decodeUpstreamResponse({ status: 204 }, { date: "D", serviceTimeMs: 0 }).headers.map(([k]) => k),
    ).not.toContain("content-length");
    const ownDate = decodeUpstreamResponse({ headers: { date: "X", "x-first": "1" } }, { date: "D", serviceTimeMs: 0 });
    expect(ownDate.headers.slice(0, 4)).toEqual([
      [":status", "200"],
      ["connection", "keep-alive"],
      ["date", "X"],
      ["x-first", "1"],
    ]);
  });
});
