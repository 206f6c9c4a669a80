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
  method: "POST", path: "/signup", body, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers },
});

describe("body-redact (emulator)", () => {
  it("redacts configured fields at any depth in the request body, keeping everything else byte for byte", async () => {
    const emu = await load();
    const body = '{"user":"ana","password":"hunter2","profile":{"ssn":"123-45-6789","tags":["a",{"card":{"n":"4111"}}]},"passwordHint":"pet", "note":"my password is \\"x\\""}';
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
    const body = '[{"secret": 42}, {"secret": {"a": [1, {"secret": 2}]}}, {"secret": [true, null]}, {"secret": null}, {"secret": -1.5e3}]';
    const result = await emu.request(jsonPost(body), () => ({ status: 200 }));
    expect(JSON.parse(result.upstream!.body)).toEqual(Array(5).fill({ secret: "[REDACTED]" }));
  });

  it("redacts JSON responses (including +json types) before the client sees them", async () => {
    const emu = await load({ ...CONFIG, replacement: "***" });
    const result = await emu.request({ path: "/me" }, () => ({
      status: 200, headers: { "content-type": "application/vnd.api+json; charset=utf-8", "content-length": "40" }, body: '{"name":"ana","ssn":"123-45-6789"}',
    }));
    expect(result.body).toBe('{"name":"ana","ssn":"***"}');
    expect(result.headers.get("content-length")).toBeUndefined();
  });

  it("leaves non-JSON and invalid JSON bodies alone", async () => {
    const emu = await load();
    const text = await emu.request({ method: "POST", path: "/", body: "password=hunter2", headers: { "content-type": "application/x-www-form-urlencoded" } }, () => ({ status: 200 }));
    expect(text.upstream!.body).toBe("password=hunter2");
    const invalid = await emu.request(jsonPost('{"password": "hunter2"'), () => ({ status: 200 }));
    expect(invalid.upstream!.body).toBe('{"password": "hunter2"');
    expect(emu.metric("body_redact.unparsable")).toBe(1);
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
    const result = await emu.request(jsonPost('{"password":"p"}'), () => ({ status: 200, headers: { "content-type": "application/json" }, body: '{"password":"q"}' }));
    expect(result.upstream!.body).toBe('{"password":"p"}');
    expect(result.body).toBe('{"password":"[REDACTED]"}');
  });

  it("rejects bad configurations with one clear log line", async () => {
    await expectEmulatorRejects("body-redact", "{\"fields\": [\"a\"", /invalid plugin configuration/);
    await expectEmulatorRejects("body-redact", { maxBodyBytes: 10 }, /fields is required/);
    await expectEmulatorRejects("body-redact", { fields: [] }, /fields must not be empty/);
    await expectEmulatorRejects("body-redact", { fields: ["a"], maxBodyBytes: 0 }, /maxBodyBytes must be an integer from 1 to 16777216/);
    await expectEmulatorRejects("body-redact", { fields: ["a"], replacement: 'x"y' }, /replacement must not contain quotes/);
  });
});
