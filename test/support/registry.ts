/**
 * A real registry for the publishing tests: Debian's `docker-registry`
 * (the CNCF distribution registry, installed by .ci/run), started on a free
 * loopback port with a temporary storage directory, in plain HTTP, or behind
 * TLS (a throwaway self-signed certificate made with openssl) with htpasswd
 * Basic auth, or with Bearer-token auth whose tokens a small token server in
 * the test signs.  Also a counting proxy (bytes of every upload, and a hook
 * to break an upload off), and our CLI run without blocking the event loop
 * (the proxy and the token server live in the test process).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSign, randomBytes, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { REPO_ROOT } from "./reference.ts";
import { skipOrFail } from "./requirements.ts";
// No digest cache of the user's is read or filled (the CLI and streamImage keep one by default).
import "./cache-home.ts";

/** Skips with `why` on a laptop; fails in CI, where SLI_REQUIRE_CLIENTS=1 says every client must be there. */
export function skipOrFailClients(t: { skip(message?: string): void }, why: string): void {
  skipOrFail(t, "clients", why);
}

export function commandMissing(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 30_000 });
  if (result.error !== undefined) return `${command} is not installed here (.ci/run installs it with apt-get): ${String(result.error)}`;
  return undefined;
}

/** Why a registry cannot be started here (docker-registry, openssl or htpasswd missing), or undefined. */
export function registryMissing(): string | undefined {
  return commandMissing("docker-registry", ["--version"]) ?? commandMissing("openssl", ["version"]) ?? commandMissing("htpasswd", ["-h"]);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A self-signed certificate for 127.0.0.1/localhost: key.pem and cert.pem in `dir`. */
export function makeCertificate(dir: string, name = "localhost"): { key: string; cert: string } {
  const key = join(dir, `${name}-key.pem`);
  const cert = join(dir, `${name}-cert.pem`);
  const result = spawnSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", `/CN=${name}`, "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
    { encoding: "utf8" },
  );
  assert.equal(result.status, 0, `openssl: ${result.stderr}`);
  return { key, cert };
}

export interface RegistryConfig {
  readonly tls?: boolean;
  /** htpasswd Basic auth with this user. */
  readonly basic?: { readonly user: string; readonly password: string };
  /** Bearer tokens from `realm`, signed by the key of `cert` (the token server's). */
  readonly token?: { readonly realm: string; readonly service: string; readonly issuer: string; readonly cert: string };
}

export interface RunningRegistry {
  /** 127.0.0.1:PORT */
  readonly endpoint: string;
  readonly dir: string;
  /** The certificate a TLS registry presents. */
  readonly cert: string | undefined;
  /** Kills it at once (SIGKILL), as a crash would. */
  kill(): void;
  /** Starts it again on the same port and storage. */
  restart(): Promise<void>;
  /** What it logged so far. */
  log(): string;
  stop(): Promise<void>;
}

function configYaml(dir: string, port: number, config: RegistryConfig, cert: { key: string; cert: string } | undefined): string {
  const lines = [
    "version: 0.1",
    "log:",
    "  level: info",
    "  accesslog:",
    "    disabled: false",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(dir, "storage")}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${port}`,
  ];
  if (cert !== undefined) lines.push("  tls:", `    certificate: ${cert.cert}`, `    key: ${cert.key}`);
  if (config.basic !== undefined) {
    const hash = spawnSync("htpasswd", ["-Bbn", config.basic.user, config.basic.password], { encoding: "utf8" });
    assert.equal(hash.status, 0, `htpasswd: ${hash.stderr}`);
    writeFileSync(join(dir, "htpasswd"), hash.stdout.trim() + "\n");
    lines.push("auth:", "  htpasswd:", "    realm: sli-test", `    path: ${join(dir, "htpasswd")}`);
  }
  if (config.token !== undefined) {
    lines.push("auth:", "  token:", `    realm: ${config.token.realm}`, `    service: ${config.token.service}`, `    issuer: ${config.token.issuer}`, `    rootcertbundle: ${config.token.cert}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Any answer on /v2/ means it is up; bounded: 15 s. */
async function waitUntilUp(endpoint: string, tls: boolean, child: ChildProcess, logFile: string): Promise<void> {
  for (let tries = 0; tries < 150; tries++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${readFileSync(logFile, "utf8").slice(-2000)}`);
    const up = await new Promise<boolean>((resolve) => {
      const request = (tls ? https : http).get(`${tls ? "https" : "http"}://${endpoint}/v2/`, { rejectUnauthorized: false, agent: false }, (response) => {
        response.resume();
        resolve(true);
      });
      request.on("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`docker-registry did not answer on ${endpoint}: ${readFileSync(logFile, "utf8").slice(-2000)}`);
}

export async function startRegistry(config: RegistryConfig = {}): Promise<RunningRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "sli-registry-"));
  const port = await freePort();
  const endpoint = `127.0.0.1:${port}`;
  const cert = config.tls === true ? makeCertificate(dir) : undefined;
  const configFile = join(dir, "config.yml");
  writeFileSync(configFile, configYaml(dir, port, config, cert));
  const logFile = join(dir, "registry.log");
  let child: ChildProcess;
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("REGISTRY_")));
  const launch = async (): Promise<void> => {
    writeFileSync(logFile, "", { flag: "a" });
    const { openSync, closeSync } = await import("node:fs");
    const fd = openSync(logFile, "a");
    child = spawn("docker-registry", ["serve", configFile], { stdio: ["ignore", fd, fd], env });
    closeSync(fd);
    await waitUntilUp(endpoint, cert !== undefined, child, logFile);
  };
  await launch();
  const exited = (): Promise<void> => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));
  return {
    endpoint,
    dir,
    cert: cert?.cert,
    kill: () => child.kill("SIGKILL"),
    restart: async () => {
      await exited();
      await launch();
    },
    log: () => readFileSync(logFile, "utf8"),
    stop: async () => {
      child.kill("SIGKILL");
      await exited();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface UploadRecord {
  readonly method: string;
  readonly path: string;
  bytes: number;
}

/**
 * A plain-HTTP proxy in front of a registry that counts the body bytes of
 * every request and can act when an upload has passed a number of bytes
 * (kill the registry, or cut the client's connection).  The Host header is
 * passed on, so the registry's Locations point at the proxy.
 */
export interface CountingProxy {
  readonly endpoint: string;
  readonly requests: UploadRecord[];
  /** Body bytes of PATCH and PUT requests to blob upload sessions. */
  uploadedBytes(): number;
  /** Once uploads have carried `bytes` more bytes, run `action` (once). */
  onUploadBytes(bytes: number, action: (socket: net.Socket) => void): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const requests: UploadRecord[] = [];
  let trigger: { at: number; action: (socket: net.Socket) => void } | undefined;
  const uploadedBytes = (): number => requests.filter((r) => (r.method === "PATCH" || r.method === "PUT") && r.path.includes("/blobs/uploads/")).reduce((total, r) => total + r.bytes, 0);
  const agent = new http.Agent({ keepAlive: false });
  const server = http.createServer((request, response) => {
    const record: UploadRecord = { method: request.method ?? "", path: request.url ?? "", bytes: 0 };
    requests.push(record);
    const upstream = http.request(`http://${target}${request.url}`, { method: request.method, headers: request.headers, agent }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on("error", () => response.destroy());
    request.on("data", (data: Buffer) => {
      record.bytes += data.length;
      if (trigger !== undefined && uploadedBytes() >= trigger.at) {
        const { action } = trigger;
        trigger = undefined;
        action(request.socket);
        if (request.socket.destroyed) upstream.destroy();
      }
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `127.0.0.1:${port}`,
    requests,
    uploadedBytes,
    onUploadBytes: (bytes, action) => (trigger = { at: uploadedBytes() + bytes, action }),
    reset: () => requests.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

/**
 * A token server (Docker's token protocol) for a registry configured with
 * `auth.token`: checks Basic credentials, grants the scopes asked for, and
 * signs an ES256 JWT whose x5c header carries its certificate (the
 * registry's rootcertbundle).
 */
export interface TokenServer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly cert: string;
  /** Token requests answered, with the scopes asked. */
  readonly issued: string[][];
  close(): Promise<void>;
}

export async function startTokenServer(dir: string, user: string, password: string): Promise<TokenServer> {
  const { key, cert } = makeCertificate(dir, "token-issuer");
  const keyPem = readFileSync(key, "utf8");
  const certDer = new X509Certificate(readFileSync(cert)).raw;
  const service = "sli-test-registry";
  const issuer = "sli-test-issuer";
  const issued: string[][] = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://token");
    const expected = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    if (request.headers.authorization !== expected) {
      response.writeHead(401, { "content-type": "application/json" });
      response.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }));
      return;
    }
    const scopes = url.searchParams.getAll("scope");
    issued.push(scopes);
    const access = scopes.map((scope) => {
      const [type, name, actions] = scope.split(":");
      return { type, name, actions: (actions ?? "").split(",") };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "ES256", x5c: [certDer.toString("base64")] };
    const claims = { iss: issuer, sub: user, aud: service, exp: now + 600, nbf: now - 60, iat: now, jti: randomBytes(8).toString("hex"), access };
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = createSign("SHA256").update(input).sign({ key: keyPem, dsaEncoding: "ieee-p1363" });
    const token = `${input}.${base64url(signature)}`;
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ token, access_token: token, expires_in: 600 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    cert,
    issued,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command in a child process, awaited without blocking this process's servers (bounded: 120 s). */
export function runAsync(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (data: Buffer) => out.push(data));
    child.stderr.on("data", (data: Buffer) => err.push(data));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}

/** Our CLI in a child process, awaited without blocking this process's servers. */
export function runCliAsync(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  return runAsync(process.execPath, [join(REPO_ROOT, "dist", "cli.js"), ...args], env);
}
