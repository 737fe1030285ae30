/**
 * RegistrySource reads what a real registry (Debian's docker-registry)
 * holds: our own `push` (an OCI manifest, layers uncompressed), skopeo's
 * copy (Docker schema 2, gzip), skopeo's zstd copy (an OCI manifest: a
 * second registry, since skopeo's blob cache would otherwise reuse the gzip
 * blobs), by tag and by digest, and an index narrowed to a platform.  Then
 * the faults, one line each: no registry, authentication, a manifest or
 * blob the registry does not have; and, from a stand-in registry, bytes
 * that are not their digest, a body broken off, an unknown media type, a
 * redirect to storage (never sent the credentials).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import zlib from "node:zlib";
import type http from "node:http";
import { BlobMismatchError, ImageSourceError } from "../src/oci/image-source.ts";
import { RegistrySource } from "../src/remote/image-source.ts";
import { runTool } from "./support/client-tools.ts";
import { runOurCli } from "./support/reference.ts";
import { freePort, skipOrFailClients, startRegistry, type RunningRegistry } from "./support/registry.ts";
import { registryTestsMissing } from "./support/registry-checks.ts";
import { BASIC, PASSWORD, USER, serve, type StandIn } from "./support/stand-in-registry.ts";
import { buildExampleImage, oneLineRejection, readBack, sha256, AMD64, type ExampleImage, type ReadBack } from "./support/image-sources.ts";
import { useTemporaryCacheHome } from "./support/publish-store.ts";

useTemporaryCacheHome();

const missing = registryTestsMissing();
const NO_RETRY = { retry: { retries: 0 } };
const HAS_ZSTD = typeof (zlib as { createZstdDecompress?: unknown }).createZstdDecompress === "function";

async function read(name: string, options = {}, platform = AMD64) {
  const source = new RegistrySource(name, { ...NO_RETRY, ...options });
  try {
    return await readBack(source, name, platform);
  } finally {
    await source.close();
  }
}

async function failure(name: string, options = {}, errorClass: typeof ImageSourceError | typeof BlobMismatchError = ImageSourceError, platform = AMD64): Promise<string> {
  const source = new RegistrySource(name, { ...NO_RETRY, ...options });
  try {
    return await oneLineRejection(readBack(source, name, platform), errorClass);
  } finally {
    await source.close();
  }
}

function skopeoCopy(args: string[]): void {
  const result = runTool("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", ...args]);
  assert.equal(result.status, 0, result.stderr);
}

describe("a real registry", () => {
  let image: ExampleImage;
  let registry: RunningRegistry;
  let zstdRegistry: RunningRegistry;
  let authRegistry: RunningRegistry;

  before(async () => {
    if (missing !== undefined) return;
    image = buildExampleImage("sources-registry");
    [registry, zstdRegistry, authRegistry] = await Promise.all([startRegistry(), startRegistry(), startRegistry({ basic: { user: USER, password: PASSWORD } })]);
    const pushed = runOurCli(["push", "--quiet", "--compress", "none", "--root", image.root, image.conf, `docker://${registry.endpoint}/ours/app:1`], undefined);
    assert.equal(pushed.status, 0, pushed.stderr);
    skopeoCopy([`docker-archive:${image.tar}`, `docker://${registry.endpoint}/skopeo/app:gzip`]);
    skopeoCopy(["--format", "oci", "--dest-compress-format", "zstd", `docker-archive:${image.tar}`, `docker://${zstdRegistry.endpoint}/skopeo/app:zstd`]);
    skopeoCopy(["--dest-creds", `${USER}:${PASSWORD}`, `docker-archive:${image.tar}`, `docker://${authRegistry.endpoint}/private/app:1`]);
  });
  after(async () => {
    await Promise.all([registry?.stop(), zstdRegistry?.stop(), authRegistry?.stop()]);
    image?.remove();
  });

  /** The manifest type and layer compression read, and every layer's content its diff_id. */
  function assertRead(got: ReadBack, manifestType: string, compression: string): void {
    assert.equal(got.manifestType, manifestType);
    assert.deepEqual(got.compressions, image.diffIds.map(() => compression));
    assert.deepEqual(got.contentDigests, image.diffIds);
    assert.deepEqual(got.configDiffIds, image.diffIds);
  }

  test("our push: OCI, layers uncompressed (their digests are the diff_ids), the config the image id", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const got = await read(`docker://${registry.endpoint}/ours/app:1`);
    assert.equal(got.manifestType, "application/vnd.oci.image.manifest.v1+json");
    assert.equal(got.configDigest, image.imageId);
    assert.deepEqual(got.layerDigests, image.diffIds);
    assert.deepEqual(got.compressions, image.diffIds.map(() => "none"));
    assert.deepEqual(got.contentDigests, image.diffIds);
    assert.deepEqual(got.configDiffIds, image.diffIds);
    assert.equal(got.platform, undefined);
  });

  test("by digest, and by tag and digest", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const source = new RegistrySource(`docker://${registry.endpoint}/ours/app:1`, NO_RETRY);
    const digest = (await source.resolve(AMD64)).manifest!.digest;
    await source.close();
    for (const name of [`docker://${registry.endpoint}/ours/app@${digest}`, `docker://${registry.endpoint}/ours/app:1@${digest}`]) {
      assert.deepEqual((await read(name)).contentDigests, image.diffIds, name);
    }
    const other = `sha256:${"0".repeat(64)}`;
    assert.match(await failure(`docker://${registry.endpoint}/ours/app@${other}`), /HTTP 404 \(MANIFEST_UNKNOWN/);
  });

  test("skopeo's copy: Docker schema 2, gzip layers, the config the image id", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const got = await read(`docker://${registry.endpoint}/skopeo/app:gzip`);
    assertRead(got, "application/vnd.docker.distribution.manifest.v2+json", "gzip");
    assert.equal(got.configDigest, image.imageId);
  });

  test("skopeo's zstd copy: read where node:zlib has zstd, else one line naming the Node needed", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const name = `docker://${zstdRegistry.endpoint}/skopeo/app:zstd`;
    if (!HAS_ZSTD) {
      assert.equal(await failure(name), `Cannot read image ${JSON.stringify(name)}: layer 1 is zstd-compressed: reading it needs Node ≥ 22.15 (this is ${process.version})`);
      return;
    }
    assertRead(await read(name), "application/vnd.oci.image.manifest.v1+json", "zstd");
  });

  test("an index: narrowed to the platform asked for, or the platforms it has listed", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const base = `http://${registry.endpoint}/v2/ours/app/manifests`;
    const manifest = Buffer.from(await (await fetch(`${base}/1`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } })).arrayBuffer());
    const entry = (platform: object) => ({ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: sha256(manifest), size: manifest.length, platform });
    const index = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [entry({ os: "linux", architecture: "amd64" }), entry({ os: "linux", architecture: "arm64", variant: "v8" })] });
    const put = await fetch(`${base}/multi`, { method: "PUT", headers: { "content-type": "application/vnd.oci.image.index.v1+json" }, body: index });
    assert.equal(put.status, 201, await put.text());
    const name = `docker://${registry.endpoint}/ours/app:multi`;
    const got = await read(name);
    assert.equal(got.platform, "linux/amd64");
    assert.deepEqual(got.contentDigests, image.diffIds);
    assert.equal((await read(name, {}, { os: "linux", architecture: "arm64" })).platform, "linux/arm64/v8");
    assert.equal(
      await failure(name, {}, ImageSourceError, { os: "linux", architecture: "s390x" }),
      `Cannot read image ${JSON.stringify(name)}: the manifest multi has no manifest for linux/s390x (it has linux/amd64, linux/arm64/v8; choose one with --platform)`,
    );
  });

  test("a tag the registry does not have", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const name = `docker://${registry.endpoint}/ours/app:nope`;
    assert.equal(await failure(name), `Cannot read image ${JSON.stringify(name)}: registry ${registry.endpoint}: GET /v2/ours/app/manifests/nope: HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)`);
  });

  test("no registry on the port: connection refused", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const port = await freePort();
    const name = `docker://127.0.0.1:${port}/app:1`;
    assert.match(await failure(name, { plainHttp: true }), new RegExp(`^Cannot read image "docker://127\\.0\\.0\\.1:${port}/app:1": registry 127\\.0\\.0\\.1:${port}: connection refused \\(http://127\\.0\\.0\\.1:${port}, ECONNREFUSED\\)$`));
  });

  test("authentication: none, wrong, right", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const name = `docker://${authRegistry.endpoint}/private/app:1`;
    const empty = { authFile: "/nonexistent/auth.json" };
    assert.match(await failure(name, empty), /: authentication required \(give --creds USER:PASSWORD, or log in with podman login \/ docker login\): HTTP 401$/);
    assert.match(await failure(name, { creds: `${USER}:wrong` }), new RegExp(`: authentication failed for user "${USER}" \\(credentials from --creds\\): HTTP 401 on GET /v2/private/app/manifests/1$`));
    assert.deepEqual((await read(name, { creds: `${USER}:${PASSWORD}` })).contentDigests, image.diffIds);
  });
});

/** A stand-in registry serving one small image, with a fault on request. */
interface Fault {
  /** Answers a request itself, or returns false to let the image be served. */
  (path: string, response: http.ServerResponse): boolean;
}

function smallImage(layerType = "application/vnd.oci.image.layer.v1.tar+gzip") {
  const content = Buffer.alloc(10240, 7);
  const layer = zlib.gzipSync(content);
  const config = Buffer.from(JSON.stringify({ rootfs: { type: "layers", diff_ids: [sha256(content)] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256(config), size: config.length },
      layers: [{ mediaType: layerType, digest: sha256(layer), size: layer.length }],
    }),
  );
  return { content, layer, config, manifest, blobs: new Map([[sha256(layer), layer], [sha256(config), config]]) };
}

function serveImage(built: ReturnType<typeof smallImage>, fault: Fault = () => false, auth = false): Promise<StandIn> {
  return serve((request, response) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    if (auth && request.headers.authorization !== BASIC) {
      response.writeHead(401, { "www-authenticate": 'Basic realm="stand-in"', "content-length": "0" });
      return response.end();
    }
    if (fault(path, response)) return;
    if (path === "/v2/") return response.end("{}");
    if (/^\/v2\/app\/manifests\/[^/]+$/.test(path)) {
      response.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json", "content-length": String(built.manifest.length) });
      return response.end(built.manifest);
    }
    const blob = built.blobs.get(path.replace("/v2/app/blobs/", ""));
    if (blob === undefined) {
      response.writeHead(404, { "content-type": "application/json" });
      return response.end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}');
    }
    response.writeHead(200, { "content-length": String(blob.length) });
    response.end(blob);
  });
}

describe("a stand-in registry's faults", () => {
  const built = smallImage();
  const layerPath = `/v2/app/blobs/${sha256(built.layer)}`;
  let standIn: StandIn | undefined;
  after(async () => standIn?.close());
  const withStandIn = async (fault: Fault, body: (name: string) => Promise<void>, image = built, auth = false): Promise<void> => {
    standIn = await serveImage(image, fault, auth);
    try {
      await body(`docker://${standIn.host}/app:1`);
    } finally {
      await standIn.close();
      standIn = undefined;
    }
  };

  test("the image as served reads", async () => {
    await withStandIn(() => false, async (name) => assert.deepEqual((await read(name, { plainHttp: true })).contentDigests, [sha256(built.content)]));
  });

  test("a blob the registry does not have", async () => {
    const config = `/v2/app/blobs/${sha256(built.config)}`;
    await withStandIn(
      (path, response) => path === config && (response.writeHead(404, { "content-length": "0" }), response.end(), true),
      async (name) => assert.match(await failure(name, { plainHttp: true }), new RegExp(`: GET ${config}: HTTP 404$`)),
    );
  });

  test("a layer whose bytes are not its digest", async () => {
    const other = Buffer.from(built.layer);
    other[20]! ^= 1;
    await withStandIn(
      (path, response) => path === layerPath && (response.end(other), true),
      async (name) => assert.match(await failure(name, { plainHttp: true }, BlobMismatchError), new RegExp(`^Cannot trust image ".*": layer 1 has digest ${sha256(other)}, not the ${sha256(built.layer)} its manifest claims$`)),
    );
  });

  test("a layer broken off in its middle", async () => {
    await withStandIn(
      (path, response) => {
        if (path !== layerPath) return false;
        response.writeHead(200, { "content-length": String(built.layer.length) });
        response.write(built.layer.subarray(0, 10));
        setTimeout(() => response.socket?.destroy(), 20);
        return true;
      },
      async (name) => assert.match(await failure(name, { plainHttp: true }), new RegExp(`^Cannot read image ".*": ${layerPath}: registry [^ ]+: connection reset \\(http://[^ ]+, ECONNRESET\\)$`)),
    );
  });

  test("a manifest that is not the digest asked for, or its Docker-Content-Digest", async () => {
    await withStandIn(
      () => false,
      async (name) => {
        const asked = `sha256:${"a".repeat(64)}`;
        assert.match(await failure(name.replace(":1", `@${asked}`), { plainHttp: true }, BlobMismatchError), new RegExp(`: GET /v2/app/manifests/${asked}: the manifest served has digest ${sha256(built.manifest)}$`));
      },
    );
    await withStandIn(
      (path, response) => {
        if (!path.startsWith("/v2/app/manifests/")) return false;
        response.writeHead(200, { "docker-content-digest": `sha256:${"b".repeat(64)}` });
        response.end(built.manifest);
        return true;
      },
      async (name) => assert.match(await failure(name, { plainHttp: true }, BlobMismatchError), /its Docker-Content-Digest says sha256:b{64}$/),
    );
  });

  test("an unknown layer media type", async () => {
    const odd = smallImage("application/x-odd-layer");
    await withStandIn(() => false, async (name) => assert.match(await failure(name, { plainHttp: true }), /: layer 1 of the manifest 1 has unknown media type "application\/x-odd-layer"$/), odd);
  });

  test("a blob redirected to storage elsewhere is fetched there without the credentials", async () => {
    const storage = await serve((request, response) => {
      const blob = built.blobs.get(new URL(request.url ?? "/", "http://x").pathname.slice(1));
      response.writeHead(blob === undefined ? 404 : 200);
      response.end(blob);
    });
    try {
      await withStandIn(
        (path, response) => {
          if (!path.startsWith("/v2/app/blobs/")) return false;
          response.writeHead(307, { location: `${storage.origin}/${path.slice("/v2/app/blobs/".length)}`, "content-length": "0" });
          response.end();
          return true;
        },
        async (name) => assert.deepEqual((await read(name, { plainHttp: true, creds: `${USER}:${PASSWORD}` })).contentDigests, [sha256(built.content)]),
        built,
        true,
      );
      assert.equal(storage.received.length, 2);
      assert.ok(storage.received.every((request) => request.authorization === undefined), "no credentials to the storage");
    } finally {
      await storage.close();
    }
  });
});
