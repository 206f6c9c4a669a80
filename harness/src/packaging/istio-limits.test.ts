// `istio check` against hostile and dead registries (issue #24 item 4): a gzip bomb layer (about 1 MiB that
// inflates to 1 GiB) is read as a stream and cut at the layer limit as istio-agent cuts it, with memory staying
// flat (measured in a child process: its peak RSS before and after), and a registry that never answers, or stalls
// in the middle of a body, ends with a one-line timeout error instead of undici's 300 s.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { sha256Digest } from "./image.ts";
import { ISTIO_MAX_WASM_BYTES, pullWasmLikeIstio } from "./istio-fetch.ts";
import * as mt from "./media-types.ts";
import { writeTar } from "./tar.ts";
import { type FakeAnswer, sampleWasm, startFakeRegistry } from "./test-support.ts";

const run = promisify(execFile);
const MiB = 1024 * 1024;
const wasm = sampleWasm(32 * 1024, "limits");

/** A 512-byte ustar header for a regular file `name` that declares `size` bytes (the data follows separately). */
function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.from(writeTar([{ name, data: new Uint8Array(0) }]).subarray(0, 512));
  header.write(`${size.toString(8).padStart(11, "0")}\u0000`, 124, "latin1");
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, "latin1");
  return header;
}

/**
 * A compat layer whose tar holds a `filler` file of `fillerMiB` MiB of zeros, then plugin.wasm. Built as concatenated
 * gzip members (which gunzip reads as one stream, as Go's gzip reader does), so the 1 GiB filler costs one
 * compression of 1 MiB: about 1 KiB per inflated MiB.
 */
function bombLayer(fillerMiB: number): Buffer {
  const zeros = gzipSync(Buffer.alloc(MiB), { level: 9 });
  return Buffer.concat([
    gzipSync(tarHeader("filler", fillerMiB * MiB)),
    ...Array.from({ length: fillerMiB }, () => zeros),
    gzipSync(writeTar([{ name: "plugin.wasm", data: wasm }])),
  ]);
}

/** Routes of a one-layer OCI compat image `repo:v1` whose layer is `layer`. */
function compatImage(repo: string, layer: Buffer | FakeAnswer): Record<string, FakeAnswer> {
  const bytes = Buffer.isBuffer(layer) ? layer : Buffer.alloc(0);
  const layerDigest = Buffer.isBuffer(layer) ? sha256Digest(bytes) : sha256Digest(Buffer.from(repo));
  const config = Buffer.from("{}");
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: mt.OCI_MANIFEST,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256Digest(config), size: 2 },
    layers: [{ mediaType: mt.OCI_LAYER_TAR_GZIP, digest: layerDigest, size: bytes.length }],
  });
  return {
    [`${repo}/manifests/v1`]: { body: manifest, contentType: mt.OCI_MANIFEST },
    [`${repo}/blobs/${layerDigest}`]: Buffer.isBuffer(layer) ? { body: bytes } : layer,
  };
}

describe("istio check reads layers as a stream, cut at the layer limit", () => {
  const bomb = bombLayer(1024);

  test("the bomb layer is about 1 MiB and its tar stream is over 1 GiB", () => {
    expect(bomb.length).toBeLessThan(1.2 * MiB);
    expect(bomb.length).toBeGreaterThan(0.9 * MiB);
  });

  test("a layer whose tar passes the limit before plugin.wasm is refused with the limit in the reason", async () => {
    await using registry = await startFakeRegistry(compatImage("bomb", bomb));
    const error = await pullWasmLikeIstio(`${registry.host}/bomb:v1`, { maxLayerBytes: 16 * MiB }).catch((e) => e);
    expect(String(error.message)).toMatch(/inflates past the limit of 16777216 bytes of tar before the file Istio/);
    expect(error.hint).toMatch(/ISTIO_WASM_MAX_BINARY_SIZE_BYTES/);
  });

  test("within the limit, plugin.wasm after the filler is found, as istio-agent finds it", async () => {
    const small = bombLayer(8);
    await using registry = await startFakeRegistry(compatImage("small", small));
    const pulled = await pullWasmLikeIstio(`${registry.host}/small:v1`, { maxLayerBytes: 16 * MiB });
    expect(pulled.variant).toBe("oci-compat");
    expect(pulled.wasm.equals(wasm)).toBe(true);
    const refused = await pullWasmLikeIstio(`${registry.host}/small:v1`, { maxLayerBytes: 8 * MiB }).catch((e) => e);
    expect(String(refused.message)).toMatch(/inflates past the limit of 8388608 bytes/);
  });

  test("a layer download over the limit is refused from its Content-Length, before its bytes are read", async () => {
    const small = bombLayer(8);
    await using registry = await startFakeRegistry(compatImage("big", small));
    const error = await pullWasmLikeIstio(`${registry.host}/big:v1`, { maxLayerBytes: 1024 }).catch((e) => e);
    expect(String(error.message)).toMatch(
      /^blob sha256:[0-9a-f]{64} from 127\.0\.0\.1:\d+ is \d+ bytes, over the limit of 1024 bytes/,
    );
  });

  // The peak RSS of a child process that pulls the 1 GiB bomb: with Istio's default limit (256 MiB of tar: refused) and
  // with a 2 GiB limit (the whole 1 GiB filler streams past, then plugin.wasm is found). Reading the layer whole
  // would take the peak past 1 GiB (it was 3.2 GiB); streamed, it stays within a few tens of MiB of the start.
  /** What the bomb inflates to, in MiB. */
  const INFLATED_MIB = 1024;
  test("peak memory stays flat while the 1 GiB bomb streams through, with the default limit and with a 2 GiB one", async () => {
    await using registry = await startFakeRegistry(compatImage("bomb", bomb));
    const fetchModule = fileURLToPath(new URL("./istio-fetch.ts", import.meta.url));
    const script = `
      const { pullWasmLikeIstio } = await import(${JSON.stringify(fetchModule)});
      const peak = () => process.resourceUsage().maxRSS * 1024;
      const ref = ${JSON.stringify(`${registry.host}/bomb:v1`)};
      const start = peak();
      const refused = await pullWasmLikeIstio(ref).then(() => "accepted", (e) => e.message.split("\\n")[0]);
      const afterDefault = peak();
      const accepted = await pullWasmLikeIstio(ref, { maxLayerBytes: 2 * 1024 ** 3 }).then((p) => p.wasm.length, (e) => e.message);
      const afterLarge = peak();
      console.log(JSON.stringify({ start, afterDefault, afterLarge, refused, accepted }));
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      maxBuffer: MiB,
    });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, number | string>;
    const growth = (key: string) => ((result[key] as number) - (result.start as number)) / MiB;
    console.log(
      `bomb (${(bomb.length / MiB).toFixed(2)} MiB → 1 GiB): peak RSS growth ${growth("afterDefault").toFixed(1)} MiB ` +
        `with the default ${ISTIO_MAX_WASM_BYTES / MiB} MiB limit, ${growth("afterLarge").toFixed(1)} MiB after streaming all of it`,
    );
    expect(result.refused).toMatch(/inflates past the limit of 268435456 bytes/);
    expect(result.accepted).toBe(wasm.length);
    // Streamed, the growth is tens of MiB (44 MiB on Node 22, 80 MiB on Node 24, whose heap grows more eagerly);
    // read whole, it passes the inflated size. A quarter of that tells the two apart on any Node.
    expect(growth("afterDefault")).toBeLessThan(INFLATED_MIB / 4);
    expect(growth("afterLarge")).toBeLessThan(INFLATED_MIB / 4);
  }, 120_000);
});

describe("every registry request has a timeout", () => {
  test("a registry that never answers: one error naming the request and the limit", async () => {
    await using registry = await startFakeRegistry({ "dead/manifests/v1": "hang" });
    const error = await pullWasmLikeIstio(`${registry.host}/dead:v1`, { timeoutMs: 300 }).catch((e) => e);
    expect(String(error.message).split("\n")[0]).toBe(
      `registry ${registry.host} did not answer GET http://${registry.host}/v2/dead/manifests/v1 within 0.3 s`,
    );
    expect(error.hint).toMatch(/--timeout <seconds>/);
  });

  test("a registry that stalls in the middle of a layer: the same error, naming the blob", async () => {
    const routes = compatImage("stall", "hang-after-headers");
    await using registry = await startFakeRegistry(routes);
    const error = await pullWasmLikeIstio(`${registry.host}/stall:v1`, { timeoutMs: 300 }).catch((e) => e);
    expect(String(error.message).split("\n")[0]).toMatch(
      /^registry 127\.0\.0\.1:\d+ did not answer GET http:\/\/127\.0\.0\.1:\d+\/v2\/stall\/blobs\/sha256:[0-9a-f]{64} \(while sending blob sha256:[0-9a-f]{64}\) within 0\.3 s$/,
    );
  });
});
