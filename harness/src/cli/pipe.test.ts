// The executable when whoever reads its stdout stops reading (`proxy-wasm-as list … | head`): a quiet stop, as Unix
// tools do, never an unhandled EPIPE stack trace.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

it("stops quietly when the reader of stdout has gone", async () => {
  const child = spawn(process.execPath, [MAIN, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
  // Close the read end before the CLI has started: its first write then meets a closed pipe (EPIPE).
  child.stdout.destroy();
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const [code] = await once(child, "close");
  expect(stderr).not.toMatch(/EPIPE|Error/);
  expect(code).toBe(0);
}, 30_000);
