/**
 * Where `push` sends credentials (issue 23): only to the registry's own
 * origin, and Basic credentials to a token realm only to buy a token.  A
 * registry names other origins itself (an upload session's Location, a
 * redirect to blob storage, a token realm); those are followed without any
 * Authorization header, and never from HTTPS down to plain HTTP.  Real
 * sockets on loopback: a stand-in registry, blob storage on another port,
 * a token realm on a third.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RegistryClient } from "../src/remote/registry.ts";
import { RegistryError } from "../src/remote/errors.ts";
import { followsRedirect, followUrl } from "../src/remote/origin.ts";
import { makePublishStore, useTemporaryCacheHome, type PublishStore } from "./support/publish-store.ts";
import { commandMissing, makeCertificate, runCliAsync, type CliRun } from "./support/registry.ts";
import { skipOrFail } from "./support/requirements.ts";
import { BASIC, PASSWORD, SECRETS, TOKEN, USER, serveRealm, serveRegistry, serveStorage, type StandIn } from "./support/stand-in-registry.ts";

useTemporaryCacheHome();

let store: PublishStore;
let certDir: string;
before(() => {
  store = makePublishStore();
  certDir = mkdtempSync(join(tmpdir(), "sli-origin-certs-"));
});
after(() => {
  store.remove();
  rmSync(certDir, { recursive: true, force: true });
});

const servers: StandIn[] = [];
async function started(server: Promise<StandIn>): Promise<StandIn> {
  const running = await server;
  servers.push(running);
  return running;
}
after(() => Promise.all(servers.map((server) => server.close())));

/** `push --creds alice:s3cret --debug` of the publish store to `host/app:1`. */
function push(host: string, ...options: string[]): Promise<CliRun> {
  return runCliAsync(["push", "--debug", "--retry-times", "0", "--creds", `${USER}:${PASSWORD}`, ...options, "--root", store.root, store.conf, `docker://${host}/app:1`]);
}

/** Neither the password (plain or in Basic's base64) nor the token in what the CLI printed. */
function assertNoSecrets(result: CliRun): void {
  for (const secret of SECRETS) {
    assert.ok(!result.stderr.includes(secret), `stderr holds a secret: ${result.stderr}`);
    assert.ok(!result.stdout.includes(secret), `stdout holds a secret: ${result.stdout}`);
  }
}

function withoutAuthorization(server: StandIn): void {
  assert.ok(server.received.length > 0, "the other origin was asked something");
  for (const request of server.received) assert.equal(request.authorization, undefined, `${request.method} ${request.url} at another origin carried credentials`);
}

/** The CLI's error: one line, after the progress lines, before --debug's stack. */
function errorLine(result: CliRun): string {
  const line = result.stderr.split("\n").find((text) => text.startsWith("stream-layered-image: "));
  assert.ok(line !== undefined, result.stderr);
  return line;
}

/** A TLS stand-in needs openssl for its throwaway certificate. */
function tls(t: { skip(message?: string): void }): { key: string; cert: string } | undefined {
  const missing = commandMissing("openssl", ["version"]);
  if (missing === undefined) return makeCertificate(certDir, `c${servers.length}`);
  skipOrFail(t, "clients", missing);
  return undefined;
}

describe("credentials stay with the registry's origin", () => {
  test("Basic: an upload Location on another origin gets PATCH and PUT without Authorization", async () => {
    const storage = await started(serveStorage());
    const registry = await started(serveRegistry({ auth: { scheme: "basic" }, uploadLocation: `${storage.origin}/upload` }));
    const result = await push(registry.host, "--plain-http");
    assert.equal(result.status, 0, result.stderr);
    assertNoSecrets(result);
    withoutAuthorization(storage);
    assert.deepEqual([...new Set(storage.received.map((request) => request.method))].sort(), ["PATCH", "PUT"]);
    assert.ok(storage.received.some((request) => request.method === "PATCH" && request.bytes > 3 << 20), "the big layer went to storage");
    const manifest = registry.received.find((request) => request.method === "PUT" && request.url.includes("/manifests/"));
    assert.equal(manifest?.authorization, BASIC, "the registry itself still gets the credentials");
  });

  test("Bearer: the realm on a third origin gets Basic once, for the token; storage gets neither", async () => {
    const storage = await started(serveStorage());
    const realm = await started(serveRealm());
    const registry = await started(serveRegistry({ auth: { scheme: "bearer", realm: `${realm.origin}/token` }, uploadLocation: `${storage.origin}/upload` }));
    const result = await push(registry.host, "--plain-http");
    assert.equal(result.status, 0, result.stderr);
    assertNoSecrets(result);
    withoutAuthorization(storage);
    assert.deepEqual(realm.received.map((request) => [request.method, request.authorization]), [["GET", BASIC]], "one token request, with the Basic credentials");
    assert.ok(registry.received.every((request) => request.authorization !== BASIC), "the registry is sent the token, not the password");
    assert.ok(registry.received.some((request) => request.authorization === `Bearer ${TOKEN}`));
  });

  test("a blob HEAD redirected to storage is followed without Authorization", async () => {
    const storage = await started(serveStorage());
    const registry = await started(serveRegistry({ auth: { scheme: "basic" }, uploadLocation: `${storage.origin}/upload`, blobLocation: `${storage.origin}/blobs` }));
    const result = await push(registry.host, "--plain-http");
    assert.equal(result.status, 0, result.stderr);
    withoutAuthorization(storage);
    assert.ok(storage.received.some((request) => request.method === "HEAD" && request.url.startsWith("/blobs/sha256:")));
  });

  test("a blob GET redirected to storage (Bearer) is followed without Authorization, its digest checked", async () => {
    const config = Buffer.from('{"a":1}');
    const digest = `sha256:${createHash("sha256").update(config).digest("hex")}`;
    const storage = await started(serveStorage({ blobs: new Map([[digest, config]]) }));
    const realm = await started(serveRealm());
    const registry = await started(serveRegistry({ auth: { scheme: "bearer", realm: `${realm.origin}/token` }, uploadLocation: `${storage.origin}/upload`, blobLocation: `${storage.origin}/blobs` }));
    const client = new RegistryClient(registry.host, registry.host, { plainHttp: true, credentials: { username: USER, password: PASSWORD, source: "--creds" } });
    try {
      await client.connect();
      assert.deepEqual(await client.getBlob("app", digest), config);
      const other = `sha256:${"0".repeat(64)}`;
      await assert.rejects(client.getBlob("app", other), (error: unknown) => error instanceof RegistryError && /HTTP 404/.test(error.message));
    } finally {
      client.close();
    }
    withoutAuthorization(storage);
    assert.equal(storage.received.filter((request) => request.method === "GET").length, 2);
    assert.equal(realm.received.length, 1);
  });

  test("a 401 from another origin is an error, not a challenge: nothing is sent there again", async () => {
    const storage = await started(serveStorage({ challenge: true }));
    const registry = await started(serveRegistry({ auth: { scheme: "basic" }, uploadLocation: `${storage.origin}/upload` }));
    const result = await push(registry.host, "--plain-http");
    assert.equal(result.status, 1, result.stderr);
    assertNoSecrets(result);
    withoutAuthorization(storage);
    assert.equal(storage.received.length, 1, "one PATCH, answered 401, not retried with credentials");
    assert.match(errorLine(result), new RegExp(`PATCH ${storage.origin}/upload/1: HTTP 401 from another origin than the registry's \\(${registry.origin}\\)`));
    assert.ok(!registry.received.some((request) => request.url.includes("/manifests/")), "no tag moved");
  });
});

describe("never from HTTPS down to plain HTTP", () => {
  test("an upload Location on http:// is refused, naming both URLs; no tag moved", async (t) => {
    const certificate = tls(t);
    if (certificate === undefined) return;
    const storage = await started(serveStorage());
    const registry = await started(serveRegistry({ auth: { scheme: "basic" }, uploadLocation: `${storage.origin}/upload`, tls: certificate }));
    const result = await push(registry.host, "--tls-verify=false");
    assert.equal(result.status, 1, result.stderr);
    assertNoSecrets(result);
    assert.equal(storage.received.length, 0, "nothing reached the plain-HTTP origin");
    assert.match(errorLine(result), new RegExp(`refusing the Location of POST /v2/app/blobs/uploads/ from ${registry.origin}/v2/app/blobs/uploads/ to ${storage.origin}/upload/1: it would leave HTTPS for plain HTTP`));
    assert.ok(!registry.received.some((request) => request.url.includes("/manifests/")), "no tag moved");
  });

  test("a redirect to http:// is refused", async (t) => {
    const certificate = tls(t);
    if (certificate === undefined) return;
    const storage = await started(serveStorage());
    const registry = await started(serveRegistry({ auth: { scheme: "basic" }, uploadLocation: "https://127.0.0.1:1/upload", blobLocation: `${storage.origin}/blobs`, tls: certificate }));
    const result = await push(registry.host, "--tls-verify=false");
    assert.equal(result.status, 1, result.stderr);
    assertNoSecrets(result);
    assert.equal(storage.received.length, 0);
    assert.match(errorLine(result), new RegExp(`refusing the redirect of HEAD from ${registry.origin}/v2/app/blobs/sha256:[0-9a-f]{64} to ${storage.origin}/blobs/sha256:[0-9a-f]{64}: it would leave HTTPS for plain HTTP`));
    assert.ok(!registry.received.some((request) => request.url.includes("/manifests/")), "no tag moved");
  });

  test("a token realm on http:// is refused before the credentials are sent", async (t) => {
    const certificate = tls(t);
    if (certificate === undefined) return;
    const realm = await started(serveRealm());
    const registry = await started(serveRegistry({ auth: { scheme: "bearer", realm: `${realm.origin}/token` }, uploadLocation: "https://127.0.0.1:1/upload", tls: certificate }));
    const result = await push(registry.host, "--tls-verify=false");
    assert.equal(result.status, 1, result.stderr);
    assertNoSecrets(result);
    assert.equal(realm.received.length, 0, "the realm was sent nothing");
    assert.match(errorLine(result), new RegExp(`refusing the token realm from ${registry.origin}/v2/ to ${realm.origin}/token: it would leave HTTPS for plain HTTP`));
  });
});

describe("followUrl and followsRedirect", () => {
  const https = new URL("https://registry.example/v2/app/blobs/uploads/");
  const http = new URL("http://127.0.0.1:5000/v2/");
  test("relative and absolute URLs; userinfo dropped; other schemes and downgrades refused", () => {
    assert.equal(followUrl("r", https, "/upload/1?_state=x", "it").href, "https://registry.example/upload/1?_state=x");
    assert.equal(followUrl("r", https, "https://u:p@storage.example/b", "it").href, "https://storage.example/b");
    assert.equal(followUrl("r", http, "http://other:6000/u", "it").href, "http://other:6000/u", "plain HTTP stays allowed from a plain-HTTP registry");
    assert.throws(() => followUrl("r", https, "http://storage.example/b?sig=1", "it"), /refusing it from https:\/\/registry\.example\/v2\/app\/blobs\/uploads\/ to http:\/\/storage\.example\/b: it would leave HTTPS for plain HTTP/);
    assert.throws(() => followUrl("r", http, "file:///etc/passwd", "it"), /not an HTTP or HTTPS URL/);
  });
  test("reads follow every redirect; bodies only 307/308 and only when they can be sent again", () => {
    assert.deepEqual(
      [301, 302, 303, 307, 308, 304, 200].map((status) => followsRedirect("GET", status, true)),
      [true, true, true, true, true, false, false],
    );
    assert.equal(followsRedirect("HEAD", 302, true), true);
    assert.equal(followsRedirect("PUT", 307, true), true);
    assert.equal(followsRedirect("PUT", 302, true), false);
    assert.equal(followsRedirect("PATCH", 307, false), false);
  });
});
