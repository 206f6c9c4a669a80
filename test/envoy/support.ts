// Shared helpers for the real-Envoy tests.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { RunnerKind } from "@proxy-wasm-as/harness";
import { type FixtureKind, writeFixtureModule } from "./fixtures/wat-modules.ts";

const dir = mkdtempSync(join(tmpdir(), "envoy-fixtures-"));

/** Path of the fixture module `kind`, assembled on first use into a per-worker temp directory. */
export function fixture(kind: FixtureKind): string {
  const path = join(dir, `fixture-${kind}.wasm`);
  return existsSync(path) ? path : writeFixtureModule(kind, dir);
}

/** Runners the parametrised tests cover: both, or those listed in ENVOY_TEST_RUNNERS (comma separated). */
export const RUNNERS: RunnerKind[] = (process.env.ENVOY_TEST_RUNNERS ?? "container,process")
  .split(",")
  .map((r) => r.trim() as RunnerKind);

/** The SDK-built headers filter, when the build has produced it. */
export const HEADERS_WASM = resolve("build/headers.wasm");
