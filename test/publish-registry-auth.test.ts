/**
 * `push` to a real registry (Debian's docker-registry) that wants
 * credentials: TLS with htpasswd Basic auth (credentials from --creds or an
 * auth file, the certificate trusted or not), and Bearer tokens from a
 * token server written here (the registry checks its signed tokens); skopeo
 * reads back what was pushed.  Missing tools skip on a laptop and fail in
 * CI (SLI_REQUIRE_CLIENTS=1).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makePublishStore, useTemporaryCacheHome, type PublishStore } from "./support/publish-store.ts";
import { runAsync, runCliAsync, skipOrFailClients, startRegistry, startTokenServer, type RunningRegistry } from "./support/registry.ts";
import { oneLine, registryTestsMissing, skopeo } from "./support/registry-checks.ts";

// push keeps a digest cache by default: here, not in the user's.
useTemporaryCacheHome();

const missing = registryTestsMissing();

describe("push to a TLS registry with Basic auth", () => {
  let registry: RunningRegistry;
  let store: PublishStore;
  const user = { user: "pusher", password: "s3cret:with-colon" };

  before(async () => {
    if (missing !== undefined) return;
    registry = await startRegistry({ tls: true, basic: user });
    store = makePublishStore();
  });
  after(async () => {
    await registry?.stop();
    store?.remove();
  });

  test("with --creds and --tls-verify=false: pushed, skopeo reads it", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const ref = `docker://${registry.endpoint}/secure/app:1`;
    const result = await runCliAsync(["push", "--tls-verify=false", "--creds", `${user.user}:${user.password}`, "--root", store.root, store.conf, ref]);
    assert.equal(result.status, 0, result.stderr);
    skopeo(["copy", "--quiet", "--src-tls-verify=false", "--src-creds", `${user.user}:${user.password}`, ref, `oci:${join(store.root, "tls-copy")}:x`]);
  });

  test("credentials from $REGISTRY_AUTH_FILE; the certificate trusted through NODE_EXTRA_CA_CERTS", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const authFile = join(store.root, "auth.json");
    writeFileSync(authFile, JSON.stringify({ auths: { [registry.endpoint]: { auth: Buffer.from(`${user.user}:${user.password}`).toString("base64") } } }));
    const result = await runCliAsync(["push", "--root", store.root, store.conf, `docker://${registry.endpoint}/secure/app:2`], { ...process.env, REGISTRY_AUTH_FILE: authFile, NODE_EXTRA_CA_CERTS: registry.cert });
    assert.equal(result.status, 0, result.stderr);
  });

  test("wrong credentials: one line naming the registry, exit 1", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const result = await runCliAsync(["push", "--quiet", "--tls-verify=false", "--creds", `${user.user}:wrong`, "--root", store.root, store.conf, `docker://${registry.endpoint}/secure/app:3`]);
    assert.equal(result.status, 1);
    assert.match(oneLine(result.stderr), new RegExp(`^stream-layered-image: registry ${registry.endpoint.replace(/\./g, "\\.")}: authentication failed for user "pusher" \\(credentials from --creds\\)`));
  });

  test("an untrusted certificate: one line naming the registry, exit 1", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const result = await runCliAsync(["push", "--quiet", "--creds", `${user.user}:${user.password}`, "--root", store.root, store.conf, `docker://${registry.endpoint}/secure/app:4`]);
    assert.equal(result.status, 1);
    assert.match(oneLine(result.stderr), new RegExp(`^stream-layered-image: registry ${registry.endpoint.replace(/\./g, "\\.")}: TLS failure: self[- ]signed certificate`));
  });
});

describe("push to a registry with Bearer-token auth", () => {
  test("a token for the repository's scope is fetched with the credentials; wrong ones give one line", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const dir = mkdtempSync(join(tmpdir(), "sli-token-"));
    const tokens = await startTokenServer(dir, "robot", "token-pass");
    const registry = await startRegistry({ token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, cert: tokens.cert } });
    const store = makePublishStore();
    try {
      const ref = `docker://${registry.endpoint}/tokens/app:1`;
      const result = await runCliAsync(["push", "--creds", "robot:token-pass", "--root", store.root, store.conf, ref]);
      assert.equal(result.status, 0, result.stderr);
      assert.ok(tokens.issued.some((scopes) => scopes.includes("repository:tokens/app:pull,push")), JSON.stringify(tokens.issued));
      // skopeo speaks the same token protocol to the same token server.
      const copy = await runAsync("skopeo", ["copy", "--quiet", "--src-tls-verify=false", "--src-creds", "robot:token-pass", ref, `oci:${join(dir, "copy")}:x`]);
      assert.equal(copy.status, 0, `skopeo copy: ${copy.stderr}`);
      const wrong = await runCliAsync(["push", "--quiet", "--creds", "robot:nope", "--root", store.root, store.conf, ref]);
      assert.equal(wrong.status, 1);
      assert.match(oneLine(wrong.stderr), new RegExp(`^stream-layered-image: registry ${registry.endpoint.replace(/\./g, "\\.")}: authentication failed for user "robot".* from the token server`));
    } finally {
      await registry.stop();
      await tokens.close();
      store.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
