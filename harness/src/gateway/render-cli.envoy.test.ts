// `proxy-wasm-as gateway envoy <policy.yaml> --module … --run`, as a user runs it: Envoy starts with Envoy Gateway's
// configuration, the filter answers on the targeted route only, Ctrl-C (SIGINT) stops everything.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, test } from "vitest";
import { httpRequest } from "../traffic/index.ts";

const MAIN = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
const ADD_HEADER_WASM = resolve(import.meta.dirname, "../../../build/add-header.wasm");
const dir = mkdtempSync(join(tmpdir(), "pwas-gateway-run-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("--run serves the module, starts Envoy, runs the filter on the targeted route only, stops on Ctrl-C", {
  timeout: 90_000,
}, async () => {
  const policy = join(dir, "policy.yaml");
  writeFileSync(
    policy,
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata: { name: powered, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: api }]
  wasm:
  - code: { type: HTTP, http: { url: "https://modules.example.com/add-header.wasm" } }
`,
  );
  const child = spawn(process.execPath, [MAIN, "gateway", "envoy", policy, "--module", ADD_HEADER_WASM, "--run"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let origin = "";
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((done) => child.once("close", (code) => done(code)));
  try {
    for (const deadline = Date.now() + 60_000; !/listening on (\S+)/.test(stdout); ) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no URL printed:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    origin = /listening on (\S+)/.exec(stdout)![1]!;
    expect(stdout).toMatch(/^route \/api\*\s+envoyextensionpolicy\/default\/powered\/wasm\/0$/m);
    expect(stdout).toMatch(/^route \/\*\s+\(no extension\)$/m);
    expect((await httpRequest(origin, "/api/users")).headers["x-powered-by"]).toBe("proxy-wasm-as");
    expect((await httpRequest(origin, "/health")).headers["x-powered-by"]).toBeUndefined();
  } finally {
    child.kill("SIGINT");
  }
  // Ctrl-C: 0, or 130 (128 + SIGINT) when the harness's own signal handler ends the process after stopping Envoy.
  expect([0, 130]).toContain(await exited);
  await expect(httpRequest(origin, "/api/users", { timeoutMs: 2000 })).rejects.toThrow(); // Envoy is gone too
});
