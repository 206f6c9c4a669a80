// The metadata a pushed image carries, without a registry: module facts read from real builds, where the
// annotations go per image format (manifest, or a Docker image's config labels), determinism, and the defaults taken
// from a user's package.json and SOURCE_DATE_EPOCH.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { IMAGE_FORMATS, packageWasm } from "./image.ts";
import * as mt from "./media-types.ts";
import { createdFromEpoch, imageAnnotations, moduleFacts, parseImageMetadata } from "./metadata.ts";
import { describeImage, repositoryUrl } from "./project-metadata.ts";
import { sampleWasm } from "./test-support.ts";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const headers = readFileSync(fileURLToPath(new URL("../../../build/headers.wasm", import.meta.url)));

describe("module facts", () => {
  test("a sample filter: ABI marker and proxy_on_* exports as WebAssembly.Module reports them", () => {
    const facts = moduleFacts(headers, ["headers"]);
    const names = WebAssembly.Module.exports(new WebAssembly.Module(new Uint8Array(headers))).map((e) => e.name);
    expect(facts.abiVersions).toEqual(["0.2.1"]);
    expect(names).toContain("proxy_abi_version_0_2_1");
    expect(facts.exports).toEqual(names.filter((n) => n.startsWith("proxy_on_")).sort());
    expect(facts.size).toBe(headers.length);
    expect(facts.rootIds).toEqual(["headers"]);
  });

  test("a damaged module is refused with what to do", () => {
    const cut = headers.subarray(0, 200);
    expect(() => moduleFacts(cut)).toThrow(/cannot be read as WebAssembly[\s\S]*Fix: pass the \.wasm file/);
  });

  test("annotations round-trip; malformed module annotations from a registry are ignored, not thrown", () => {
    const description = {
      title: "t",
      version: "1",
      source: "https://x",
      description: "d",
      created: "2026-01-02T03:04:05Z",
    };
    const annotations = imageAnnotations(moduleFacts(headers), description, { "com.example.team": "edge" });
    expect(Object.keys(annotations)).toEqual(Object.keys(annotations).sort());
    expect(parseImageMetadata(annotations)).toEqual({ ...description, module: moduleFacts(headers) });
    expect(parseImageMetadata({ ...annotations, [mt.MODULE_EXPORTS]: "[1,2]" }).module).toBeUndefined();
    expect(parseImageMetadata({ ...annotations, [mt.MODULE_SIZE]: "-3" }).module).toBeUndefined();
    expect(() => imageAnnotations(moduleFacts(headers), { created: "yesterday" })).toThrow(
      /created "yesterday" is not an RFC 3339 date-time[\s\S]*SOURCE_DATE_EPOCH/,
    );
    expect(() => imageAnnotations(moduleFacts(headers), { description: "x".repeat(70_000) })).toThrow(
      /annotation org\.opencontainers\.image\.description is 70000 bytes, over 65536/,
    );
  });
});

describe("where the annotations go", () => {
  const description = { title: "headers", version: "1.0.0", created: "2026-01-02T03:04:05Z" };

  test.each(IMAGE_FORMATS)(
    "%s: deterministic, and the module facts are where a reader of that format looks",
    (format) => {
      const image = packageWasm(headers, { format, description });
      expect(packageWasm(Buffer.from(headers), { format, description }).digest).toBe(image.digest);
      expect(
        packageWasm(headers, { format, description: { ...description, created: "2026-01-02T03:04:06Z" } }).digest,
      ).not.toBe(image.digest);
      const config = JSON.parse(image.blobs.get(image.manifest.config.digest)!.toString()) as {
        config?: { Labels?: Record<string, string> };
      };
      const where = format === "compat-docker" ? config.config!.Labels! : image.manifest.annotations!;
      expect(where[mt.MODULE_SHA256]).toBe(moduleFacts(headers).sha256);
      expect(where[mt.OCI_TITLE]).toBe("headers");
      if (format === "compat-docker") expect(image.manifest.annotations).toBeUndefined(); // Docker schema 2 has none
      if (format === "compat") expect(where[mt.VARIANT_ANNOTATION]).toBe("compat");
    },
  );
});

describe("defaults from the user's project", () => {
  async function project(packageJson: unknown): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "pwas-meta-"));
    dirs.push(dir);
    await writeFile(
      join(dir, "package.json"),
      typeof packageJson === "string" ? packageJson : JSON.stringify(packageJson),
    );
    await mkdir(join(dir, "build"));
    return dir;
  }

  test("package.json name (for the main module), version, description, repository; SOURCE_DATE_EPOCH; flags win", async () => {
    const dir = await project({
      name: "@me/my-filter",
      version: "0.3.1",
      description: "adds a header",
      repository: { type: "git", url: "git+https://github.com/me/my-filter.git" },
    });
    const main = await describeImage({
      cwd: join(dir, "build"),
      wasmPath: "build/my-filter.wasm",
      sourceDateEpoch: "0",
    });
    expect(main).toEqual({
      title: "@me/my-filter",
      version: "0.3.1",
      description: "adds a header",
      source: "https://github.com/me/my-filter",
      created: "1970-01-01T00:00:00Z",
    });
    const other = await describeImage({
      cwd: dir,
      wasmPath: "build/auth.wasm",
      now: new Date("2026-05-06T07:08:09.123Z"),
    });
    expect(other).toMatchObject({ title: "auth", created: "2026-05-06T07:08:09Z" });
    const given = await describeImage({
      cwd: dir,
      given: { title: "x", source: "gitlab:team/x", created: "2026-01-01T00:00:00Z" },
    });
    expect(given).toMatchObject({ title: "x", source: "https://gitlab.com/team/x", created: "2026-01-01T00:00:00Z" });
  });

  test("no package.json: the file's name; bad input: one error with what to do", async () => {
    const empty = await mkdtemp(join(tmpdir(), "pwas-meta-none-"));
    dirs.push(empty);
    expect(await describeImage({ cwd: empty, wasmPath: "/x/filter.wasm", sourceDateEpoch: "1765148400" })).toEqual({
      title: "filter",
      created: "2025-12-07T23:00:00Z",
    });
    await expect(describeImage({ cwd: await project("{ not json") })).rejects.toThrow(
      /package\.json is not valid JSON/,
    );
    expect(() => createdFromEpoch("soon")).toThrow(
      /SOURCE_DATE_EPOCH "soon" is not a number of seconds[\s\S]*git log -1/,
    );
    expect(repositoryUrl("me/f")).toBe("https://github.com/me/f");
    expect(repositoryUrl("https://git.example.com/me/f.git")).toBe("https://git.example.com/me/f");
    expect(repositoryUrl(42)).toBeUndefined();
  });

  test("sample modules still package in every format (a module without exports has empty facts)", () => {
    for (const format of IMAGE_FORMATS) {
      const facts = parseImageMetadata(
        format === "compat-docker"
          ? {}
          : (packageWasm(sampleWasm(100), { format }).manifest.annotations as Record<string, string>),
      ).module;
      if (format !== "compat-docker")
        expect(facts).toMatchObject({ abiVersions: [], exports: [], size: sampleWasm(100).length });
    }
  });
});
