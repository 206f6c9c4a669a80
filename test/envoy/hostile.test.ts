// Hostile traffic through every sample filter in real Envoy: oversized and invalid headers, malformed credentials,
// nested and truncated JSON, chunked HTTP/1.1 and HTTP/2 bodies with trailers, a 10 MiB body Envoy refuses
// mid-stream. For each filter the suite asserts what would fail on a fail-open or a VM crash: no upstream leak of
// an unauthorized request, no 5xx, no VM failure (Envoy's `wasm` stats and failure lines) — and prints a report.
// One Envoy (process runner, or $ENVOY_RUNNER) with a listener per filter keeps it fast.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ENVOY_RUNNER } from "../../filters/test-support/helpers.ts";
import {
  API_KEY,
  GOOD_JWT,
  type HostileSetup,
  type HttpFilterName,
  type ProbeResult,
  probe,
  rawProbe,
  startHostileSetup,
  vmFailures,
} from "./hostile-support.ts";

/** Every probe's outcome, per filter, for the report printed at the end. */
const report = new Map<string, { probes: number; leaks: string[]; fiveXx: string[] }>();

function record(filter: string, label: string, result: ProbeResult, leakIsBad: boolean): void {
  const row = report.get(filter) ?? { probes: 0, leaks: [], fiveXx: [] };
  row.probes++;
  if (leakIsBad && result.leaked) row.leaks.push(label);
  if (result.status >= 500) row.fiveXx.push(`${label}: ${result.status}`);
  report.set(filter, row);
}

/** Asserts a hostile request was refused: it never reached the upstream and got no 5xx. */
function expectRefused(filter: HttpFilterName, label: string, result: ProbeResult): void {
  record(filter, label, result, true);
  // Soft: every probe runs and every failure is listed, not only the first.
  expect.soft(result.leaked, `${filter}: "${label}" reached the upstream (fail-open)`).toBe(false);
  expect.soft(result.status, `${filter}: "${label}" got ${result.status}`).toBeLessThan(500);
}

/** Asserts a hostile request got a clean answer (any non-5xx, or a refusal by Envoy's codec: 0 = connection closed). */
function expectClean(filter: HttpFilterName, label: string, result: ProbeResult): void {
  record(filter, label, result, false);
  expect.soft(result.status, `${filter}: "${label}" got ${result.status}`).toBeLessThan(500);
}

const BIG = "a".repeat(50 * 1024); // under Envoy's 60 KiB header limit
const HUGE = "a".repeat(70 * 1024); // over it: Envoy answers 431 before any filter
/** Header lines no filter should trip on: invalid UTF-8, control characters, many and huge headers. */
const HOSTILE_HEADER_SETS: [string, (string | Buffer)[]][] = [
  ["invalid UTF-8 bytes", [Buffer.from([0x78, 0x2d, 0x62, 0x3a, 0x20, 0xc3, 0x28, 0xff, 0xfe, 0xa0, 0xa1])]],
  ["control characters", ["x-ctl: a\x01b\x7fc\tz"]],
  ["500 headers", Array.from({ length: 500 }, (_, i) => `x-h${i}: ${i}`)],
  ["a 50 KiB header value", [`x-big: ${BIG}`]],
  ["a 70 KiB header value (Envoy: 431)", [`x-huge: ${HUGE}`]],
  ["an empty header value and odd names", ["x-empty:", "X-UPPER: 1", "x-dup: 1", "x-dup: 2"]],
];

describe("hostile traffic through every sample filter (real Envoy)", () => {
  let setup: HostileSetup;
  beforeAll(async () => {
    setup = await startHostileSetup(ENVOY_RUNNER);
  }, 180_000);
  afterAll(async () => {
    const failures = setup ? await vmFailures(setup.envoy) : [];
    console.log(
      [
        "hostile-traffic report (real Envoy):",
        ...[...report].map(
          ([filter, row]) =>
            `  ${filter.padEnd(15)} probes ${String(row.probes).padStart(3)}  upstream leaks ${row.leaks.length}  5xx ${row.fiveXx.length}${[...row.leaks, ...row.fiveXx].map((x) => `\n    - ${x}`).join("")}`,
        ),
        `  VM failures: ${failures.length}${failures.map((f) => `\n    - ${f}`).join("")}`,
      ].join("\n"),
    );
    await setup?.close();
  });

  test("api-key-auth: malformed and altered keys never reach the upstream; a valid key does", async () => {
    const f = "api-key-auth";
    for (const [label, lines] of [
      ["no key", []],
      ["wrong key", ["x-api-key: k-ci-7f3b"]],
      ["valid key + invalid UTF-8 byte", [Buffer.concat([Buffer.from(`x-api-key: ${API_KEY}`), Buffer.from([0xc3])])]],
      ["valid key + 0xff", [Buffer.concat([Buffer.from(`x-api-key: ${API_KEY}`), Buffer.from([0xff])])]],
      ["valid key as prefix", [`x-api-key: ${API_KEY}${API_KEY}`]],
      [
        "bearer with valid key + 0xc3",
        [Buffer.concat([Buffer.from(`authorization: Bearer ${API_KEY}`), Buffer.from([0xc3])])],
      ],
      ["huge key", [`x-api-key: ${BIG}`]],
      ["empty bearer", ["authorization: Bearer "]],
    ] as [string, (string | Buffer)[]][]) {
      expectRefused(f, label, await rawProbe(setup, f, "GET", "/orders", lines));
    }
    for (const [label, lines] of HOSTILE_HEADER_SETS)
      expectRefused(f, `no key, ${label}`, await rawProbe(setup, f, "GET", "/", lines));
    const ok = await rawProbe(setup, f, "GET", "/orders", [`x-api-key: ${API_KEY}`]);
    expect(ok.status).toBe(200); // the probe would see a leak: the check is not vacuous
    expect(ok.leaked).toBe(true);
  });

  test("jwt-auth: forged, truncated and altered tokens never reach the upstream; a valid token does", async () => {
    const f = "jwt-auth";
    const [head, payload, signature] = GOOD_JWT.split(".") as [string, string, string];
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${payload}.`;
    const tampered = `${head}.${Buffer.from('{"iss":"https://auth.example.com","aud":"orders-api","sub":"admin","exp":9999999999}').toString("base64url")}.${signature}`;
    for (const [label, value] of [
      ["alg none", `Bearer ${none}`],
      ["tampered payload", `Bearer ${tampered}`],
      ["truncated", `Bearer ${head}.${payload}`],
      ["signature cut", `Bearer ${head}.${payload}.${signature.slice(0, 10)}`],
      ["nested JSON header", `Bearer ${Buffer.from("[".repeat(5000)).toString("base64url")}.${payload}.${signature}`],
      ["token of 50 KiB", `Bearer ${BIG}`],
      ["basic scheme", `Basic ${GOOD_JWT}`],
      ["two tokens", `Bearer ${GOOD_JWT} ${GOOD_JWT}`],
    ]) {
      expectRefused(f, label, await rawProbe(setup, f, "GET", "/orders", [`authorization: ${value}`]));
    }
    for (const [label, byte] of [
      ["valid token + 0xff", 0xff],
      ["valid token + 0xc3", 0xc3],
    ] as const) {
      expectRefused(
        f,
        label,
        await rawProbe(setup, f, "GET", "/orders", [
          Buffer.concat([Buffer.from(`authorization: Bearer ${GOOD_JWT}`), Buffer.from([byte])]),
        ]),
      );
    }
    for (const [label, lines] of HOSTILE_HEADER_SETS)
      expectRefused(f, `no token, ${label}`, await rawProbe(setup, f, "GET", "/", lines));
    const ok = await probe(setup, f, "/orders", { headers: { authorization: `Bearer ${GOOD_JWT}` } });
    expect(ok.status).toBe(200);
    expect(ok.leaked).toBe(true);
  });

  test("body-redact: a 10 MiB body gets Envoy's 413 mid-stream; the upstream records the reset, nothing is unhandled", async () => {
    // Runs before the nested-JSON probes, which crash a VM without a depth limit (then every request gets 503).
    const f = "body-redact";
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    // Paced: the first bytes, a pause (Envoy forwards the headers and the upstream starts reading the body), then
    // the rest, which the filter buffers until it refuses the body and Envoy resets the upstream request.
    async function* paced() {
      yield Buffer.from('{"data":"');
      await new Promise((r) => setTimeout(r, 500));
      for (let i = 0; i < 10; i++) yield chunk;
    }
    const resetsBefore = setup.upstream.resets.length;
    const result = await probe(setup, f, "/upload", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: paced(),
      timeoutMs: 30_000,
    });
    record(f, "10 MiB body", result, false);
    expect([413, 0]).toContain(result.status); // 413, or the connection closed while we still sent
    // Finding 5 of issue 13: the upstream had started reading the body when Envoy reset it. The reset is an event
    // (before the fix: an unhandled `Error: aborted`, which fails this file).
    for (let i = 0; i < 100 && setup.upstream.resets.length === resetsBefore; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(setup.upstream.resets.slice(resetsBefore).map((r) => r.phase)).toEqual(["request"]);
    expect(result.upstreamRequest, "a truncated request must not be recorded as complete").toBeUndefined();
  });

  test("body-redact: whole, chunked, HTTP/2 and trailer-ended bodies, escaped keys, nested and truncated JSON never leak a secret nor crash the VM", async () => {
    const f = "body-redact";
    const json = { "content-type": "application/json" };
    const secretOf = (r: ProbeResult) => r.upstreamRequest?.text() ?? "";
    // Secrets in every body shape a client can send: whole, split, chunked, HTTP/2, followed by trailers, and keys
    // spelled with JSON escapes.
    for (const [label, options] of [
      ["plain", {}],
      ["HTTP/1.1 chunks", { body: ['{"pass', 'word":"hunter2"', ',"x":1}'] }],
      ["HTTP/2 chunks", { http2: true, body: ['{"a":[{"password"', ':"hunter2"}]}'] }],
      // Found by the fuzz suite: with trailers the body's end came with them and the body went on unredacted.
      ["HTTP/1.1 chunked with trailers", { body: ['{"password":', '"hunter2"}'], trailers: { "x-checksum": "1" } }],
      ["HTTP/2 with trailers", { http2: true, body: ['{"password":', '"hunter2"}'], trailers: { "x-checksum": "1" } }],
      ["escaped key", { body: '{"pass\\u0077ord":"hunter2"}' }],
      [
        "escaped key, HTTP/2 with trailers",
        { http2: true, body: ['{"\\u0070assword":', '"hunter2"}'], trailers: { "x-checksum": "1" } },
      ],
    ] as [string, Partial<Parameters<typeof probe>[3]>][]) {
      const result = await probe(setup, f, "/signup", {
        method: "POST",
        headers: json,
        body: '{"password":"hunter2"}',
        ...options,
      });
      // For this filter a leak is the secret reaching the upstream, not the (allowed) request itself.
      record(f, `${label}: secret upstream`, { ...result, leaked: secretOf(result).includes("hunter2") }, true);
      expect.soft(result.status, `${label}: status`).toBe(200);
      expect.soft(secretOf(result), `${label}: the secret reached the upstream`).not.toContain("hunter2");
      expect.soft(secretOf(result), `${label}: the redacted body reached the upstream`).toContain("[REDACTED]");
    }
    // Last, as a VM without a depth limit dies here (then every later request gets 503):
    // 20,000 levels of nesting (40 KB, under the 64 KiB limit) must get a clean 400/413 or pass, never trap.
    expectClean(
      f,
      "20,000 nested arrays",
      await probe(setup, f, "/nested", {
        method: "POST",
        headers: json,
        body: `${"[".repeat(20_000)}${"]".repeat(20_000)}`,
      }),
    );
    expectClean(
      f,
      "20,000 nested objects, truncated",
      await probe(setup, f, "/nested", { method: "POST", headers: json, body: '{"a":'.repeat(10_000) }),
    );
    expectClean(
      f,
      "truncated JSON",
      await probe(setup, f, "/t", { method: "POST", headers: json, body: '{"password":"hunt' }),
    );
  });

  test("ext-authz and grpc-check: malformed credentials and hostile headers never reach the upstream", async () => {
    for (const [f, good] of [
      ["ext-authz", "Bearer good"],
      ["grpc-check", "Bearer alice"],
    ] as const) {
      for (const [label, lines] of [
        ["no credential", []],
        ["wrong credential", ["authorization: Bearer nope"]],
        ["credential + 0xc3", [Buffer.concat([Buffer.from(`authorization: ${good}`), Buffer.from([0xc3])])]],
        ["huge credential", [`authorization: Bearer ${BIG}`]],
        ["spoofed x-auth-user", ["x-auth-user: admin"]],
        ...HOSTILE_HEADER_SETS,
      ] as [string, (string | Buffer)[]][]) {
        expectRefused(f, label, await rawProbe(setup, f, "GET", "/orders", lines));
      }
      const ok = await probe(setup, f, "/orders", { headers: { authorization: good } });
      expect(ok.status, `${f}: the valid credential`).toBe(200);
      expect(ok.leaked).toBe(true);
    }
  });

  test("config-service: denied clients and paths never reach the upstream, whatever else the request carries", async () => {
    const f = "config-service";
    for (const [label, path, lines] of [
      ["denied client", "/orders", ["x-client-id: mallory"]],
      ["denied path", "/admin", []],
      ["denied sub-path", "/admin/users", []],
      ["denied path with query", "/admin?x=1", []],
      [
        "denied client + hostile headers",
        "/",
        ["x-client-id: mallory", ...HOSTILE_HEADER_SETS[0]![1], ...HOSTILE_HEADER_SETS[1]![1]],
      ],
    ] as [string, string, (string | Buffer)[]][]) {
      expectRefused(f, label, await rawProbe(setup, f, "GET", path, lines));
    }
    for (const [label, lines] of HOSTILE_HEADER_SETS)
      expectClean(f, label, await rawProbe(setup, f, "GET", "/", lines));
  });

  test("rate-limit, headers, canary-router and metrics: hostile headers, methods and bodies get clean answers", async () => {
    for (const f of ["rate-limit", "headers", "canary-router", "metrics"] as const) {
      for (const [label, lines] of HOSTILE_HEADER_SETS)
        expectClean(f, label, await rawProbe(setup, f, "GET", "/orders", lines));
      for (const [label, lines] of [
        [
          "key with invalid bytes",
          [
            Buffer.concat([Buffer.from("x-client-id: "), Buffer.from([0xff, 0xc3])]),
            Buffer.concat([Buffer.from("x-user-id: "), Buffer.from([0xc3])]),
          ],
        ],
        ["a 50 KiB key", [`x-client-id: ${BIG}`, `x-user-id: ${BIG}`]],
      ] as [string, (string | Buffer)[]][]) {
        expectClean(f, label, await rawProbe(setup, f, "GET", "/orders", lines));
      }
      expectClean(f, "odd method", await rawProbe(setup, f, "PROPFIND", "/orders/..%2f..", []));
      expectClean(
        f,
        "HTTP/2 body with trailers",
        await probe(setup, f, "/orders", { http2: true, body: ["a", "b"], trailers: { "x-t": "1" } }),
      );
      expectClean(
        f,
        "rotating keys",
        await probe(setup, f, "/orders", { headers: { "x-client-id": `client-${Math.random()}` } }),
      );
    }
  });

  test("tcp-guard: denied greetings, split or not, never reach the upstream", async () => {
    for (const greeting of ["GET /admin HTTP/1.1\r\n\r\n", "SSH-2.0-OpenSSH\r\n"]) {
      const before = setup.tcpUpstream.received().length;
      await setup.envoy
        .tcp(greeting, { listener: "tcp-guard", timeoutMs: 1000, partialOnTimeout: true })
        .catch(() => Buffer.alloc(0));
      expect(setup.tcpUpstream.received().length, `${JSON.stringify(greeting)} reached the upstream`).toBe(before);
    }
    const echoed = await setup.envoy.tcp("HELLO", { listener: "tcp-guard" });
    expect(echoed.toString()).toBe("HELLO");
  });

  test("no VM failed during the hostile traffic (Envoy's wasm stats and failure lines)", async () => {
    expect(await vmFailures(setup.envoy)).toEqual([]);
  });
});
