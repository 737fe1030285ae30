/**
 * The publishing pieces that need no registry: IMAGE-REF parsing, where
 * credentials come from, the WWW-Authenticate challenge, the manifests.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseImageReference } from "../src/remote/reference.ts";
import { authFileCandidates, findCredentials } from "../src/remote/credentials.ts";
import { parseChallenge } from "../src/remote/auth.ts";
import { buildManifest } from "../src/oci/manifest.ts";
import { ImageRefError, CredentialsError } from "../src/remote/errors.ts";
import type { ImageDescription } from "../src/image/types.ts";

describe("IMAGE-REF", () => {
  test("host, port, repository path and tag", () => {
    assert.deepEqual(parseImageReference("docker://registry.example:5000/team/app:1.2"), { registry: "registry.example:5000", endpoint: "registry.example:5000", repository: "team/app", tag: "1.2", tagGiven: true });
    assert.deepEqual(parseImageReference("docker://localhost/app"), { registry: "localhost", endpoint: "localhost", repository: "app", tag: "latest", tagGiven: false });
    assert.deepEqual(parseImageReference("docker://[::1]:5000/a/b:c"), { registry: "[::1]:5000", endpoint: "[::1]:5000", repository: "a/b", tag: "c", tagGiven: true });
  });
  test("a first component that is no host is a Docker Hub path (library/ for one component)", () => {
    assert.deepEqual(parseImageReference("docker://alpine:3"), { registry: "docker.io", endpoint: "registry-1.docker.io", repository: "library/alpine", tag: "3", tagGiven: true });
    assert.equal(parseImageReference("docker://team/app").repository, "team/app");
  });
  test("bad references are one-line errors", () => {
    for (const [text, message] of [
      ["localhost:5000/app", /must start with docker:\/\//],
      ["docker://localhost:5000/App", /invalid repository component "App"/],
      ["docker://localhost:5000/app:bad tag", /invalid tag/],
      ["docker://localhost:5000/app@sha256:00", /digest/],
    ] as const) {
      assert.throws(() => parseImageReference(text), (error: unknown) => error instanceof ImageRefError && message.test(error.message));
    }
  });
});

describe("credentials", () => {
  const dir = mkdtempSync(join(tmpdir(), "sli-creds-"));
  const auth = (user: string, password: string) => ({ auth: Buffer.from(`${user}:${password}`).toString("base64") });
  test("--creds first; then the auth files in podman's order; the longest key wins", (t) => {
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const registryAuth = join(dir, "registry-auth.json");
    writeFileSync(registryAuth, JSON.stringify({ auths: { "r.example": auth("a", "1"), "r.example/team": auth("b", "2") } }));
    mkdirSync(join(dir, "run", "containers"), { recursive: true });
    writeFileSync(join(dir, "run", "containers", "auth.json"), JSON.stringify({ auths: { "https://other.example": auth("c", "3") } }));
    mkdirSync(join(dir, "home", ".docker"), { recursive: true });
    writeFileSync(join(dir, "home", ".docker", "config.json"), JSON.stringify({ auths: { "third.example": auth("d", "4:5") } }));
    const env = { REGISTRY_AUTH_FILE: registryAuth, XDG_RUNTIME_DIR: join(dir, "run"), HOME: join(dir, "home") };
    assert.deepEqual(authFileCandidates(env), [registryAuth, join(dir, "run", "containers", "auth.json"), join(dir, "home", ".docker", "config.json")]);
    assert.equal(findCredentials("r.example", "x/app", { creds: "me:pw", env })?.username, "me");
    assert.equal(findCredentials("r.example", "x/app", { env })?.username, "a");
    assert.equal(findCredentials("r.example", "team/app", { env })?.username, "b");
    assert.equal(findCredentials("other.example", "app", { env })?.username, "c");
    assert.deepEqual(findCredentials("third.example", "app", { env }), { username: "d", password: "4:5", source: `auth file ${JSON.stringify(join(dir, "home", ".docker", "config.json"))}, "auths"["third.example"]` });
    assert.equal(findCredentials("none.example", "app", { env }), undefined);
    writeFileSync(registryAuth, "{not json");
    assert.throws(() => findCredentials("r.example", "app", { env }), (error: unknown) => error instanceof CredentialsError && error.message.includes("is not JSON"));
  });
});

describe("WWW-Authenticate", () => {
  test("Bearer with quoted parameters, Basic with a realm", () => {
    const bearer = parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"');
    assert.equal(bearer?.scheme, "bearer");
    assert.deepEqual([...bearer!.params], [
      ["realm", "https://auth.example/token"],
      ["service", "registry.example"],
      ["scope", "repository:a/b:pull,push"],
    ]);
    assert.deepEqual(parseChallenge('Basic realm="sli \\"test\\""'), { scheme: "basic", params: new Map([["realm", 'sli "test"']]) });
  });
});

describe("manifests", () => {
  const image: ImageDescription = {
    mtime: 0n,
    layers: [{ sha256: "a".repeat(64), size: 10240, path: "", storePaths: [], kind: "store", customisation: false }],
    configName: `${"c".repeat(64)}.json`,
    configBytes: Buffer.from("{}"),
    manifestBytes: Buffer.from("[]"),
  };
  test("OCI by default, Docker schema 2 on request; uncompressed layers named by their diff_ids", () => {
    const oci = JSON.parse(buildManifest(image).bytes.toString()) as Record<string, unknown>;
    assert.deepEqual(oci, {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${"c".repeat(64)}`, size: 2 },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${"a".repeat(64)}`, size: 10240 }],
    });
    const docker = buildManifest(image, "docker");
    assert.equal(docker.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
    assert.equal(docker.layers[0]!.mediaType, "application/vnd.docker.image.rootfs.diff.tar");
  });
});
