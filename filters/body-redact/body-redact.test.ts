// body-redact on the emulator: redaction at any depth in requests and responses, content-length handling,
// size limit, non-JSON and invalid JSON bodies, bad configurations.
import { describe, expect, it } from "vitest";
import { Emulator } from "@proxy-wasm-as/harness";
import { expectEmulatorRejects, filterWasm } from "../test-support/helpers.ts";

const CONFIG = { fields: ["password", "ssn", "card"], maxBodyBytes: 2048 };

async function load(config: object = CONFIG) {
  return Emulator.load(filterWasm("body-redact"), { pluginConfig: config });
}

const jsonPost = (body: string, headers: Record<string, string> = {}) => ({
  method: "POST",
  path: "/signup",
  body,
  headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers },
});

describe("body-redact (emulator)", () => {
  it("redacts configured fields at any depth in the request body, keeping everything else byte for byte", async () => {
    const emu = await load();
    const body =
      '{"user":"ana","password":"hunter2","profile":{"ssn":"123-45-6789","tags":["a",{"card":{"n":"4111"}}]},"passwordHint":"pet", "note":"my password is \\"x\\""}';
    const result = await emu.request(jsonPost(body), () => ({ status: 200 }));
    expect(result.status).toBe(200);
    expect(result.upstream!.body).toBe(
      '{"user":"ana","password":"[REDACTED]","profile":{"ssn":"[REDACTED]","tags":["a",{"card":"[REDACTED]"}]},"passwordHint":"pet", "note":"my password is \\"x\\""}',
    );
    expect(JSON.parse(result.upstream!.body).profile.ssn).toBe("[REDACTED]");
    expect(result.upstream!.headers.get("content-length")).toBeUndefined(); // the stale length is not forwarded
    expect(emu.metric("body_redact.redacted_bodies")).toBe(1);
    expect(emu.metric("body_redact.redacted_fields")).toBe(3);
  });

  it("redacts numbers, objects, arrays and literals as whole values", async () => {
    const emu = await load({ fields: ["secret"] });
    const body =
      '[{"secret": 42}, {"secret": {"a": [1, {"secret": 2}]}}, {"secret": [true, null]}, {"secret": null}, {"secret": -1.5e3}]';
    const result = await emu.request(jsonPost(body), () => ({ status: 200 }));
    expect(JSON.parse(result.upstream!.body)).toEqual(Array(5).fill({ secret: "[REDACTED]" }));
  });

  it("redacts JSON responses (including +json types) before the client sees them", async () => {
    const emu = await load({ ...CONFIG, replacement: "***" });
    const result = await emu.request({ path: "/me" }, () => ({
      status: 200,
      headers: { "content-type": "application/vnd.api+json; charset=utf-8", "content-length": "40" },
      body: '{"name":"ana","ssn":"123-45-6789"}',
    }));
    expect(result.body).toBe('{"name":"ana","ssn":"***"}');
    expect(result.headers.get("content-length")).toBeUndefined();
  });

  it('leaves non-JSON bodies alone; refuses invalid JSON with 400 unless invalidJson is "pass"', async () => {
    const emu = await load();
    const text = await emu.request(
      {
        method: "POST",
        path: "/",
        body: "password=hunter2",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      },
      () => ({ status: 200 }),
    );
    expect(text.upstream!.body).toBe("password=hunter2");
    const invalid = await emu.request(jsonPost('{"password": "hunter2"'), () => ({ status: 200 }));
    expect(invalid.status).toBe(400);
    expect(invalid.upstream).toBeNull();
    expect(JSON.parse(invalid.body)).toEqual({ error: "invalid_json", message: "body is not valid JSON" });
    expect(emu.metric("body_redact.unparsable")).toBe(1);
    const lenient = await load({ ...CONFIG, invalidJson: "pass" });
    const passed = await lenient.request(jsonPost('{"password": "hunter2"'), () => ({ status: 200 }));
    expect(passed.upstream!.body).toBe('{"password": "hunter2"');
  });

  // Issue 13, finding 1: 20,000 '[' then 20,000 ']' (40 KB, under the size limit) overflowed the recursive
  // scanner's stack ("Maximum call stack size exceeded"); under FAIL_OPEN the next password then went upstream.
  for (const failurePolicy of ["fail-closed", "fail-open"] as const) {
    it(`answers 400 to JSON nested 20,000 deep without a trap, and still redacts the next body (${failurePolicy})`, async () => {
      const emu = await Emulator.load(filterWasm("body-redact"), {
        pluginConfig: { fields: ["password"] },
        failurePolicy,
      });
      const deep = "[".repeat(20_000) + "]".repeat(20_000);
      const refused = await emu.request(jsonPost(deep), () => ({ status: 200 }));
      expect(refused.status).toBe(400);
      expect(refused.upstream).toBeNull();
      expect(JSON.parse(refused.body)).toEqual({ error: "invalid_json", message: "JSON nested deeper than 64 levels" });
      expect(emu.failures).toEqual([]);
      const next = await emu.request(jsonPost('{"password":"hunter2"}'), () => ({ status: 200 }));
      expect(next.status).toBe(200);
      expect(next.upstream!.body).toBe('{"password":"[REDACTED]"}');
      expect(emu.metric("body_redact.too_deep")).toBe(1);
    });
  }

  it("enforces maxDepth and maxValues exactly, and resets responses that break them", async () => {
    const emu = await load({ fields: ["password"], maxDepth: 3, maxValues: 5 });
    expect((await emu.request(jsonPost('{"a":[{"password":1}]}'), () => ({ status: 200 }))).upstream!.body).toBe(
      '{"a":[{"password":"[REDACTED]"}]}',
    );
    const deeper = await emu.request(jsonPost('{"a":[{"b":[]}]}'), () => ({ status: 200 }));
    expect(deeper.status).toBe(400);
    expect(JSON.parse(deeper.body).message).toBe("JSON nested deeper than 3 levels");
    expect((await emu.request(jsonPost("[1,2,3,4]"), () => ({ status: 200 }))).status).toBe(200); // 5 values
    const many = await emu.request(jsonPost("[1,2,3,4,5]"), () => ({ status: 200 }));
    expect(many.status).toBe(400);
    expect(JSON.parse(many.body).message).toBe("JSON with more than 5 values");
    expect(emu.metric("body_redact.too_many_values")).toBe(1);
    const stream = emu.httpStream();
    stream.requestHeaders({ ":method": "GET", ":path": "/", ":authority": "x" }, { endOfStream: true });
    stream.responseHeaders({ ":status": "200", "content-type": "application/json" });
    stream.responseBody('[[[[{"password":"x"}]]]]', { endOfStream: true });
    expect(stream.resetReason).not.toBeNull();
    expect(stream.response.body).not.toContain("password");
  });

  // Found by the fuzz suite (issue 13): with trailers the end of stream comes with the trailers, not with a body
  // callback, and the buffered body went on unredacted (HTTP/1.1 chunked trailers, HTTP/2 trailing HEADERS).
  it("redacts a body that ends with trailers, in requests (split in chunks) and responses; refuses invalid JSON there too", async () => {
    const emu = await load();
    const request = {
      method: "POST",
      path: "/signup",
      headers: { "content-type": "application/json" },
      trailers: { "x-checksum": "1" },
    };
    const result = await emu.request({ ...request, body: ['{"pass', 'word":"hunter2"', ',"x":{"ssn":1}}'] }, () => ({
      status: 200,
      headers: { "content-type": "application/json" },
      body: '{"card":"4111","ok":true}',
      trailers: { "grpc-status": "0" },
    }));
    expect(result.status).toBe(200);
    expect(result.upstream!.body).toBe('{"password":"[REDACTED]","x":{"ssn":"[REDACTED]"}}');
    expect(result.upstream!.trailers?.get("x-checksum")).toBe("1"); // the trailers still go on, after the body
    expect(result.body).toBe('{"card":"[REDACTED]","ok":true}');
    expect(emu.metric("body_redact.redacted_bodies")).toBe(2);
    const invalid = await emu.request({ ...request, body: ['{"password":', '"hunter2"'] }, () => ({ status: 200 }));
    expect(invalid.status).toBe(400);
    expect(invalid.upstream).toBeNull();
    // A response that cannot be redacted at its trailers is reset, never passed on.
    const stream = emu.httpStream();
    stream.requestHeaders({ ":method": "GET", ":path": "/", ":authority": "x" }, { endOfStream: true });
    stream.responseHeaders({ ":status": "200", "content-type": "application/json" });
    stream.responseBody('{"password":"resp-secret"');
    stream.responseTrailers({ "grpc-status": "0" });
    expect(stream.resetReason).not.toBeNull();
    expect(stream.response.body).not.toContain("resp-secret");
  });

  it('decodes JSON escapes in keys before comparing them: "pass\\u0077ord" is redacted like "password"', async () => {
    const emu = await load();
    const body =
      '{"pass\\u0077ord":"hunter2","\\u0073\\u0073n":"1","c\\u0061rd":{"n":1},"pa\\nss":"kept","\\"card\\"":"kept"}';
    const result = await emu.request(jsonPost(body), () => ({ status: 200 }));
    expect(result.status).toBe(200);
    // Replaced values; the keys themselves are kept as written.
    expect(result.upstream!.body).toBe(
      '{"pass\\u0077ord":"[REDACTED]","\\u0073\\u0073n":"[REDACTED]","c\\u0061rd":"[REDACTED]","pa\\nss":"kept","\\"card\\"":"kept"}',
    );
    // An invalid escape in a key is not JSON: refused, not compared as written.
    for (const bad of ['{"pass\\x77ord":"hunter2"}', '{"pass\\u00":"hunter2"}', '{"pass\\u00zzord":"hunter2"}']) {
      const refused = await emu.request(jsonPost(bad), () => ({ status: 200 }));
      expect(refused.status, bad).toBe(400);
      expect(refused.upstream, bad).toBeNull();
    }
  });

  it("treats a body that is not UTF-8 as invalid JSON instead of altering its bytes", async () => {
    const emu = await load();
    const body = Buffer.concat([Buffer.from('{"password":"hunter2","n":"'), Buffer.from([0xc3]), Buffer.from('"}')]);
    const result = await emu.request(
      { method: "POST", path: "/", body, headers: { "content-type": "application/json" } },
      () => ({ status: 200 }),
    );
    expect(result.status).toBe(400);
    expect(result.upstream).toBeNull();
  });

  it("refuses request bodies over the limit with 413, and resets responses over it", async () => {
    const emu = await load();
    const big = JSON.stringify({ password: "x", filler: "y".repeat(3000) });
    const request = await emu.request(jsonPost(big), () => ({ status: 200 }));
    expect(request.status).toBe(413);
    expect(request.upstream).toBeNull();
    const stream = emu.httpStream();
    stream.requestHeaders({ ":method": "GET", ":path": "/", ":authority": "x" }, { endOfStream: true });
    stream.responseHeaders({ ":status": "200", "content-type": "application/json" });
    stream.responseBody(big, { endOfStream: true });
    expect(stream.resetReason).not.toBeNull();
    expect(stream.response.body).not.toContain("password");
    expect(emu.metric("body_redact.oversize")).toBe(2);
  });

  it("can be limited to one direction", async () => {
    const emu = await load({ ...CONFIG, requests: false });
    const result = await emu.request(jsonPost('{"password":"p"}'), () => ({
      status: 200,
      headers: { "content-type": "application/json" },
      body: '{"password":"q"}',
    }));
    expect(result.upstream!.body).toBe('{"password":"p"}');
    expect(result.body).toBe('{"password":"[REDACTED]"}');
  });

  it("rejects bad configurations with one clear log line", async () => {
    await expectEmulatorRejects("body-redact", '{"fields": ["a"', /invalid plugin configuration/);
    await expectEmulatorRejects(
      "body-redact",
      { maxBodyBytes: 10 },
      /^invalid plugin configuration: fields: missing \(required\)$/,
    );
    await expectEmulatorRejects(
      "body-redact",
      { fields: [] },
      /^invalid plugin configuration: fields: expected a non-empty list, got \[\]$/,
    );
    await expectEmulatorRejects(
      "body-redact",
      { fields: ["a"], maxBodyBytes: 0 },
      /^invalid plugin configuration: maxBodyBytes: expected an integer from 1 to 16777216, got 0$/,
    );
    await expectEmulatorRejects(
      "body-redact",
      { fields: ["a"], replacement: 'x"y' },
      /^invalid plugin configuration: replacement: must not contain quotes/,
    );
    await expectEmulatorRejects(
      "body-redact",
      { fields: ["a"], maxDepth: 0 },
      /^invalid plugin configuration: maxDepth: expected an integer from 1 to 10000, got 0$/,
    );
    await expectEmulatorRejects(
      "body-redact",
      { fields: ["a"], invalidJson: "drop" },
      /^invalid plugin configuration: invalidJson: expected one of "reject", "pass", got "drop"$/,
    );
  });
});
