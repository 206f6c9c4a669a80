// Reading wrk's report, and the command line and Lua script that make wrk send any method, headers and body.
import { describe, expect, test } from "vitest";
import { luaString, parseWrkReport, wrkCommand, wrkScript } from "./wrk.ts";

const REPORT = `Running 2s test @ http://127.0.0.1:10000/
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.31ms  412.00us  10.02ms   91.21%
    Req/Sec     4.82k   101.00     4.95k    70.00%
  Latency Distribution
     50%    3.27ms
     75%    3.40ms
     90%    3.62ms
     99%  850.00us
  9624 requests in 2.00s, 1.12MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:   4811.52
Transfer/sec:    572.11KB
`;

describe("parseWrkReport", () => {
  test("reads requests, req/s, percentiles in ms and every kind of error", () => {
    expect(parseWrkReport(REPORT)).toEqual({
      requests: 9624,
      requestsPerSecond: 4811.52,
      p50Ms: 3.27,
      p99Ms: 0.85,
      errors: 7,
    });
  });

  test("a report without the latency table is an error that shows what wrk printed", () => {
    expect(() => parseWrkReport("unable to connect to 127.0.0.1:1 Connection refused")).toThrow(
      /no 50% latency:\nunable to connect/,
    );
  });
});

describe("wrk's command line and script", () => {
  test("headers go on the command line; the path replaces the URL's; taskset pins wrk when asked", () => {
    const [command, args] = wrkCommand("http://127.0.0.1:9000/", {
      connections: 16,
      durationSeconds: 2.4,
      cpus: "1",
      request: { path: "/api?x=1", headers: [["origin", "https://a.example"]] },
    });
    expect(command).toBe("taskset");
    expect(args).toEqual([
      "-c",
      "1",
      "wrk",
      "-t1",
      "-c16",
      "-d2s",
      "--latency",
      "-H",
      "origin: https://a.example",
      "http://127.0.0.1:9000/api?x=1",
    ]);
    expect(wrkCommand("http://127.0.0.1:9000/", { connections: 1, durationSeconds: 0.2 }, "/tmp/s.lua")).toEqual([
      "wrk",
      ["-t1", "-c1", "-d1s", "--latency", "-s", "/tmp/s.lua", "http://127.0.0.1:9000/"],
    ]);
  });

  test("a method other than GET and a body become a Lua script; a plain GET needs none", () => {
    expect(wrkScript({ method: "GET", headers: [["a", "b"]] })).toBeUndefined();
    expect(wrkScript({ method: "OPTIONS" })).toBe('wrk.method = "OPTIONS"\n');
    expect(wrkScript({ method: "POST", body: '{"a":"b\\c"}\n' })).toBe(
      'wrk.method = "POST"\nwrk.body = "{\\034a\\034:\\034b\\092c\\034}\\010"\n',
    );
  });

  test("Lua string escapes are three digits, so a digit after an escape stays a digit", () => {
    expect(luaString("\n1")).toBe('"\\0101"');
    expect(luaString(new Uint8Array([0, 255, 65]))).toBe('"\\000\\255A"');
  });
});
