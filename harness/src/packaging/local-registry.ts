// A real OCI registry on loopback for tests and local trials: the distribution registry v2 (`docker-registry`
// from Debian's docker-registry package, or $REGISTRY_BINARY) with temp storage and optional auth:
// basic (htpasswd, bcrypt) or bearer tokens from a small token service on loopback (ES256 JWTs whose
// x5c certificate the registry trusts; needs the `openssl` CLI to make the certificate).
//
// Realms: istio-agent (1.27.8+, 1.28.5+, 1.29.1+, 1.30+; see realm.ts) refuses a challenge whose realm is not an
// http(s) URL or whose host is "localhost" or a private/loopback/link-local IP LITERAL. It does not resolve the
// name, so on a loopback-only network the realms here use a host NAME that resolves to 127.0.0.1 (the machine's
// hostname, which /etc/hosts maps to loopback on Debian-style systems): exactly what Istio accepts, and still
// only loopback traffic. Where no such name exists, `istioAcceptsRealm` is false and the realms use 127.0.0.1.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createPrivateKey, randomUUID, sign } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { lookup } from "node:dns/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { PackagingError } from "./errors.ts";
import { unsafeRealmReason } from "./realm.ts";
import { setting } from "../settings.ts";

/** Options of {@link startLocalRegistry}. */
export interface LocalRegistryOptions {
  /** "none" (default), "basic" (htpasswd) or "token" (bearer tokens from a loopback token service). */
  auth?: "none" | "basic" | "token";
  /** The one account for "basic" and "token"; default "wasm" / "s3cret". */
  username?: string;
  password?: string;
  /** Realm of the basic challenge; default `http://<realmHost>:<port>/` (an http URL istio-agent accepts). */
  basicRealm?: string;
  /** Host of the token realm URL; default {@link loopbackHostName} (a name resolving to 127.0.0.1). */
  tokenRealmHost?: string;
}

/** A running registry; stop it with `stop()` or `await using`. */
export interface LocalRegistry extends AsyncDisposable {
  /** "127.0.0.1:<port>": the registry part of image references. */
  readonly host: string;
  /** Token service origin for auth "token". */
  readonly tokenRealm?: string;
  /** Whether istio-agent's realm check accepts this registry's challenge realm (see the file comment). */
  readonly istioAcceptsRealm: boolean;
  readonly username?: string;
  readonly password?: string;
  /** Registry log so far (stderr of the registry process). */
  log(): string;
  /** Stops the registry (and token service) and deletes its storage. Idempotent. */
  stop(): Promise<void>;
}

/** Path of the registry binary: $REGISTRY_BINARY, else /usr/bin/docker-registry. */
export function registryBinary(): string {
  return setting("REGISTRY_BINARY");
}

/**
 * Starts a distribution registry on 127.0.0.1 (a free port) and resolves once `/v2/` answers. Throws a
 * {@link PackagingError} with installation advice when the binary (or openssl for "token") is missing.
 */
export async function startLocalRegistry(options: LocalRegistryOptions = {}): Promise<LocalRegistry> {
  const binary = registryBinary();
  if (!existsSync(binary)) {
    throw new PackagingError(`registry binary ${binary} not found`, {
      hint: "install the distribution registry: `apt-get install docker-registry` (Debian/Ubuntu), or set REGISTRY_BINARY to a `registry` binary",
    });
  }
  const auth = options.auth ?? "none";
  const username = options.username ?? "wasm";
  const password = options.password ?? "s3cret";
  const dir = await mkdtemp(join(tmpdir(), "pwas-registry-"));
  let tokenServer: Server | undefined;
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    if (tokenServer) await new Promise((resolve) => tokenServer!.close(resolve));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    let authYaml = "";
    let tokenRealm: string | undefined;
    let challengeRealm = "";
    if (auth === "basic") {
      challengeRealm = options.basicRealm ?? `http://${(await loopbackHostName()) ?? "127.0.0.1"}:${port}/`;
      await writeFile(join(dir, "htpasswd"), `${username}:${bcrypt.hashSync(password, 4)}\n`);
      authYaml = `auth:\n  htpasswd:\n    realm: ${JSON.stringify(challengeRealm)}\n    path: ${join(dir, "htpasswd")}\n`;
    } else if (auth === "token") {
      const token = await startTokenService(
        dir,
        username,
        password,
        options.tokenRealmHost ?? (await loopbackHostName()) ?? "127.0.0.1",
      );
      tokenServer = token.server;
      tokenRealm = token.realm;
      challengeRealm = `${token.realm}/token`;
      authYaml = `auth:\n  token:\n    realm: ${challengeRealm}\n    service: ${TOKEN_SERVICE}\n    issuer: ${TOKEN_ISSUER}\n    rootcertbundle: ${token.certPath}\n`;
    }
    const configPath = join(dir, "config.yml");
    await writeFile(
      configPath,
      `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${authYaml}`,
    );
    let log = "";
    child = spawn(binary, ["serve", configPath], { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    child.once("exit", () => running.delete(child!));
    child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    const host = `127.0.0.1:${port}`;
    await waitForRegistry(host, child, () => log);
    return {
      host,
      tokenRealm,
      istioAcceptsRealm: auth === "none" || unsafeRealmReason(`realm="${challengeRealm}"`) === undefined,
      username: auth === "none" ? undefined : username,
      password: auth === "none" ? undefined : password,
      log: () => log,
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Registries started by this process: killed if the process exits without stopping them. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

const TOKEN_SERVICE = "proxy-wasm-as-registry";
const TOKEN_ISSUER = "proxy-wasm-as-token-service";

/** A loopback Docker token service: GET /token?service&scope with basic auth → ES256 JWT granting the scope. */
async function startTokenService(dir: string, username: string, password: string, realmHost: string) {
  const keyPath = join(dir, "token.key");
  const certPath = join(dir, "token.crt");
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        keyPath,
        "-out",
        certPath,
        "-days",
        "2",
        "-subj",
        "/CN=proxy-wasm-as-token",
      ],
      { stdio: "ignore" },
    );
  } catch (cause) {
    throw new PackagingError("could not create the token service certificate with openssl", {
      hint: "install openssl (`apt-get install openssl`)",
      cause,
    });
  }
  const key = createPrivateKey(await readFile(keyPath));
  const certDer = Buffer.from((await readFile(certPath, "utf8")).replace(/-----[^-]+-----|\s/g, ""), "base64");
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/token") return void res.writeHead(404).end();
    if (req.headers.authorization !== expected) {
      res
        .writeHead(401, { "content-type": "application/json" })
        .end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }));
      return;
    }
    const access = url.searchParams.getAll("scope").flatMap((scope) => {
      const [type, name, actions] = scope.split(":");
      return type && name && actions ? [{ type, name, actions: actions.split(",") }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "ES256", x5c: [certDer.toString("base64")] };
    const claims = {
      iss: TOKEN_ISSUER,
      sub: username,
      aud: url.searchParams.get("service") ?? TOKEN_SERVICE,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
    const token = `${input}.${b64url(signature)}`;
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const realm = `http://${realmHost.includes(":") ? `[${realmHost}]` : realmHost}:${(server.address() as AddressInfo).port}`;
  return { server, realm, certPath };
}

/**
 * A host name other than "localhost" that resolves only to 127.0.0.0/8 (the machine's hostname on Debian-style
 * systems), or undefined when there is none. Such a name passes istio-agent's realm check while traffic stays
 * on loopback (the token service listens on 127.0.0.1).
 */
export async function loopbackHostName(): Promise<string | undefined> {
  for (const name of [hostname(), "localhost.localdomain"]) {
    if (!name || name === "localhost") continue;
    try {
      const addresses = await lookup(name, { all: true });
      if (addresses.length > 0 && addresses.every((a) => a.family === 4 && a.address.startsWith("127."))) return name;
    } catch {
      // not resolvable here
    }
  }
  return undefined;
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForRegistry(host: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new PackagingError(`registry exited with code ${child.exitCode}: ${log().trim().slice(-800)}`, {
        hint: "check the registry binary and the port",
      });
    }
    try {
      const response = await fetch(`http://${host}/v2/`);
      await response.arrayBuffer();
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new PackagingError(`registry on ${host} did not answer /v2/ within 15 s: ${log().trim().slice(-800)}`);
}
