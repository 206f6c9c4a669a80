// The statelessStreams opt-in of the SDK's build transform (sdk/transform/prune-callbacks.js): honoured for an
// HTTP context whose only field is a readonly reference to the root, ignored with a build-time warning (and the
// per-stream exports kept) when the HTTP context keeps state of its own.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, test, vi } from "vitest";
import { compileModule } from "../../scripts/build.ts";

const DIR = join("build", "tmp-stateless-opt-in");
const STREAM_LIFECYCLE = ["proxy_on_context_create", "proxy_on_delete"];

function source(extraField: string): string {
  return `import { RootContext, HttpContext, Action, registerRoot } from "@proxy-wasm-as/sdk";
class Root extends RootContext {
  static readonly statelessStreams: bool = true;
  newHttpContext(contextId: u32): HttpContext | null { return new Stream(this); }
}
class Stream extends HttpContext {
  constructor(private readonly root: Root) { super(); }
  ${extraField}
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action { return Action.Continue; }
}
registerRoot<Root>();
`;
}

async function lifecycleExports(name: string, extraField: string): Promise<string[]> {
  mkdirSync(DIR, { recursive: true });
  const entry = join(DIR, `${name}.ts`);
  writeFileSync(entry, source(extraField));
  await compileModule(entry, join(DIR, `${name}.wasm`));
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(join(DIR, `${name}.wasm`))));
  return exports
    .map((e) => e.name)
    .filter((n) => STREAM_LIFECYCLE.includes(n))
    .sort();
}

afterAll(() => rmSync(DIR, { recursive: true, force: true }));

test("opted in and stateless: no context create/delete", { timeout: 120_000 }, async () => {
  expect(await lifecycleExports("stateless", "")).toEqual([]);
});

test("opted in but with a mutable field: kept, and the build says why", { timeout: 120_000 }, async () => {
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  try {
    expect(await lifecycleExports("stateful", "seen: u32 = 0;")).toEqual(STREAM_LIFECYCLE);
    expect(warn.mock.calls.map((c) => String(c[0])).join("\n")).toContain(
      "Root.statelessStreams is ignored (per-stream contexts kept): Stream.seen is not a readonly reference to a root class",
    );
  } finally {
    warn.mockRestore();
  }
});
