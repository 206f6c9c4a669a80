// The differential library itself: normalisation, the field-by-field diff, expectations, known divergences and
// the compatibility table, on hand-made observations (no Envoy, no module).
import { describe, expect, it } from "vitest";
import { CompatibilityTable, compareScenario } from "./compare.ts";
import { runDifferential } from "./differential.ts";
import { checkExpectations, diffObservations, formatSideBySide } from "./diff.ts";
import { explainDivergence, type KnownDivergence } from "./known-divergences.ts";
import { headerRecord, normaliseEvent, normaliseText, CLIENT_TRANSPORT_HEADERS } from "./normalise.ts";
import type { ExchangeObservation, Scenario, ScenarioObservation } from "./types.ts";

const exchange = (over: Partial<ExchangeObservation> = {}): ExchangeObservation => ({
  protocol: "HTTP/1.1",
  client: { status: 200, headers: { "x-a": "1" }, body: "ok", trailers: {} },
  upstream: { method: "GET", path: "/", headers: { "x-b": "2" }, body: "", trailers: {} },
  events: ["on_request_headers headers=6 eos=1", "on_log"],
  ...over,
});
const observation = (
  backend: string,
  exchanges: ExchangeObservation[],
  metrics: Record<string, number | undefined> = {},
): ScenarioObservation => ({ scenario: "s", backend, exchanges, metrics });
const scenario: Scenario = { id: "s", title: "test scenario", probe: { on: {} } };

describe("normalisation", () => {
  it("replaces ports, request ids, dates and service times, and nothing else", () => {
    const line =
      "pairs -> [:authority: 127.0.0.1:38435, x-request-id: 4a557ae3-96f8-46e0-be8d-0463bc0a39d0, date: Mon, 30 Nov 2026 04:52:34 GMT, x-envoy-upstream-service-time: 16, x-a: 127]";
    expect(normaliseText(line)).toBe(
      "pairs -> [:authority: 127.0.0.1:<port>, x-request-id: <uuid>, date: <date>, x-envoy-upstream-service-time: <ms>, x-a: 127]",
    );
    expect(normaliseEvent("s1 on_log", "s1")).toBe("on_log");
    expect(normaliseEvent("abort: boom at x.ts:1:2", "s1")).toBe("abort: boom at x.ts:1:2");
  });

  it("drops transport headers and pseudo-headers, joins repeated headers, sorts names", () => {
    expect(
      headerRecord(
        [
          [":status", "200"],
          ["Server", "envoy"],
          ["x-b", "2"],
          ["x-a", "1"],
          ["x-a", "3"],
        ],
        CLIENT_TRANSPORT_HEADERS,
      ),
    ).toEqual({ "x-a": "1, 3", "x-b": "2" });
  });
});

describe("diff", () => {
  it("finds nothing in identical observations", () => {
    expect(diffObservations(observation("emulator", [exchange()]), observation("envoy", [exchange()]))).toEqual([]);
  });

  it("reports every differing field, the first differing event line and metrics", () => {
    const left = observation("emulator", [exchange()], { hits: 1 });
    const right = observation(
      "envoy",
      [
        exchange({
          client: { status: 503, headers: {}, body: "ok", trailers: {} },
          upstream: null,
          events: ["on_request_headers headers=6 eos=1", "on_done"],
        }),
      ],
      { hits: 2 },
    );
    const fields = diffObservations(left, right).map((d) => `${d.field} ${d.left} ${d.right}`);
    expect(fields).toEqual([
      "client.status 200 503",
      'client.headers.x-a "1" (absent)',
      'upstream "received the request" "nothing"',
      'events[1] "on_log" "on_done"',
      "metrics.hits 1 2",
    ]);
    const report = formatSideBySide(left, right, diffObservations(left, right));
    expect(report).toContain("≠ on_log");
    expect(report).toContain("scenario s: 5 divergence(s)");
  });

  it("checks expectations against one observation", () => {
    const s: Scenario = {
      ...scenario,
      expect: {
        responses: [{ status: 201, upstream: null }],
        events: ["on_log", "on_request_headers headers=6 eos=1"],
        metrics: { hits: 1 },
      },
    };
    expect(checkExpectations(s, observation("envoy", [exchange()], { hits: 1 }))).toEqual([
      "envoy: request 0 status 200, expected 201",
      "envoy: request 0 reached the upstream, expected it not to",
      'envoy: event "on_request_headers headers=6 eos=1" not logged after "on_log"',
    ]);
  });
});

describe("verdicts", () => {
  const known: KnownDivergence[] = [
    { id: "k", scenarios: ["s"], field: /^client\.status$/, versions: ["1.40.0"], reason: "r", trace: "t" },
  ];
  const left = observation("emulator", [exchange()]);
  const right = observation("envoy", [
    exchange({ client: { status: 404, headers: { "x-a": "1" }, body: "ok", trailers: {} } }),
  ]);

  it("a divergence is known only for the listed scenarios, fields and versions", () => {
    const [d] = diffObservations(left, right);
    expect(explainDivergence(d!, "1.40.0", known)?.id).toBe("k");
    expect(explainDivergence(d!, "1.36.4", known)).toBeUndefined();
    expect(explainDivergence({ ...d!, scenario: "other" }, "1.40.0", known)).toBeUndefined();
  });

  it("pass, diverged-known and diverged, and the table that counts them", () => {
    const table = new CompatibilityTable();
    table.record(compareScenario(scenario, left, left, "1.40.0", known));
    table.record(compareScenario(scenario, left, right, "1.40.0", known));
    const unexplained = compareScenario(scenario, left, right, "1.36.4", known);
    table.record(unexplained);
    expect(unexplained.verdict).toBe("diverged");
    expect(unexplained.report).toContain("client.status");
    const text = table.format("t");
    expect(text).toMatch(/^s +diverged +diverged-known/m);
    expect(text).toContain(
      "1.36.4: 0 pass, 0 diverged-known, 1 diverged | 1.40.0: 0 pass, 1 diverged-known, 0 diverged",
    );
  });
});

describe("the report of a failing scenario", () => {
  const ok = observation("emulator", [exchange()]);
  const envoy = { ...observation("envoy-1.40.0", [exchange()]), envoyLog: ["[warning][router] upstream reset"] };

  it("a failed expectation with no divergence is failed-expectation: the backends agree, the expectation does not hold", () => {
    const wrong: Scenario = { ...scenario, expect: { responses: [{ status: 418 }] } };
    const result = compareScenario(wrong, ok, envoy, "1.40.0", []);
    expect(result.verdict).toBe("failed-expectation");
    expect(result.divergences).toEqual([]);
    expect(result.report).toContain("the emulator and envoy-1.40.0 agree; 2 expectation(s) of the scenario failed");
    expect(result.report).not.toContain("divergence(s)");
    expect(result.report).toContain(
      "envoy-1.40.0's own warnings and errors meanwhile:\n    [warning][router] upstream reset",
    );
  });

  it("Envoy's own warnings stay out of a passing scenario's report", () => {
    const result = compareScenario(scenario, ok, envoy, "1.40.0", []);
    expect([result.verdict, result.report]).toEqual(["pass", ""]);
  });
});

describe("runDifferential", () => {
  it("rejects a scenario with neither or both of probe and plugin before starting anything", async () => {
    await expect(runDifferential([{ id: "x", title: "" }], { wasm: "none.wasm" })).rejects.toThrow(
      /exactly one of probe .* and plugin/,
    );
    await expect(runDifferential([{ ...scenario, plugin: {} }], { wasm: "none.wasm" })).rejects.toThrow(/scenario "s"/);
  });
});
