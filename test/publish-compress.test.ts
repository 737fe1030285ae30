/**
 * `push` and `oci` with compressed layers, against a real registry (Debian's
 * docker-registry) behind a counting proxy: what skopeo and podman read back
 * (media types, blob digests, the diff_ids of the layers decompressed into a
 * docker-archive), determinism, the blob cache (a second push compresses
 * nothing; a changed store path compresses and uploads its layer alone; a
 * corrupt or wrong entry), the size against skopeo's own gzip, and a
 * registry killed mid-upload.  skopeo and podman run with a private
 * blob-info cache (isolated-tools.ts).  Missing tools skip on a laptop and
 * fail in CI (SLI_REQUIRE_CLIENTS=1).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as zlib from "node:zlib";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseTarLayout } from "../src/tar/inspect.ts";
import { runOurCli } from "./support/reference.ts";
import { makePublishStore, useTemporaryCacheHome, type PublishStore } from "./support/publish-store.ts";
import { runIsolated, succeeded } from "./support/isolated-tools.ts";
import { podmanPulledImageId } from "./support/podman-pull.ts";
import { toolMissing } from "./support/client-tools.ts";
import { skipOrFail } from "./support/requirements.ts";
import { runCliAsync, skipOrFailClients, startCountingProxy, startRegistry, type CountingProxy, type RunningRegistry } from "./support/registry.ts";
import { oneLine, registryTestsMissing } from "./support/registry-checks.ts";

/** zstd needs node:zlib's (Node 22.15 or later); the nested run as nobody may run under an older Node. */
const NO_ZSTD = typeof (zlib as { zstdCompress?: unknown }).zstdCompress === "function" ? undefined : `node:zlib has no zstd in Node ${process.version} (22.15 or later has)`;

const cacheDigests = useTemporaryCacheHome();
const blobCacheDir = join(cacheDigests, "..", "blobs");
const missing = registryTestsMissing();

const TYPES = {
  none: "application/vnd.oci.image.layer.v1.tar",
  gzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
} as const;

interface Manifest {
  mediaType: string;
  layers: { mediaType: string; digest: string; size: number }[];
}

const layerLines = (stderr: string, word: string): number => stderr.split("\n").filter((line) => /^Layer \d+\/\d+ sha256:/.test(line) && line.includes(word)).length;

/** The layer digests of a docker-archive skopeo wrote: each layer file's sha256 (skopeo decompresses into it). */
function archiveLayerDigests(file: string): string[] {
  const tar = readFileSync(file);
  const members = new Map(parseTarLayout(tar).members.map((m) => [m.name.toString("utf8"), tar.subarray(m.dataOffset, m.dataOffset + m.dataSize)]));
  const manifest = JSON.parse(members.get("manifest.json")!.toString("utf8")) as { Layers: string[] }[];
  return manifest[0]!.Layers.map((name) => `sha256:${createHash("sha256").update(members.get(name)!).digest("hex")}`);
}

describe("push and oci with compressed layers", () => {
  let registry: RunningRegistry;
  let proxy: CountingProxy;
  let store: PublishStore;
  let work: string;
  let diffIds: string[];
  const ref = (repo: string): string => `docker://${proxy.endpoint}/${repo}`;
  const direct = (repo: string): string => `docker://${registry.endpoint}/${repo}`;
  const push = (...args: string[]) => runCliAsync(["push", "--root", store.root, ...args]);
  const skopeo = async (...args: string[]): Promise<string> => succeeded(await runIsolated("skopeo", args)).toString("utf8");
  const inspect = async (repo: string): Promise<Manifest> => JSON.parse(await skopeo("inspect", "--raw", "--tls-verify=false", direct(repo))) as Manifest;
  /**
   * skopeo copies IMAGE into a docker-archive (decompressing and checking
   * every blob): its layers' digests.  skopeo 1.9.3 cannot write zstd layers
   * into a docker-archive ("zstd compression is not supported for docker
   * images"): those are copied into an OCI layout (every blob's digest
   * checked) and decompressed here by node:zlib.
   */
  const copiedDiffIds = async (image: string, name: string, compression: "gzip" | "zstd" | "none"): Promise<string[]> => {
    const file = join(work, name);
    if (compression !== "zstd") {
      await skopeo("copy", "--quiet", "--src-tls-verify=false", image, `docker-archive:${file}.tar:copied:1`);
      return archiveLayerDigests(`${file}.tar`);
    }
    await skopeo("copy", "--quiet", "--src-tls-verify=false", image, `oci:${file}:copied`);
    const blob = (digest: string): Buffer => readFileSync(join(file, "blobs", "sha256", digest.slice("sha256:".length)));
    const index = JSON.parse(readFileSync(join(file, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    const manifest = JSON.parse(blob(index.manifests[0]!.digest).toString("utf8")) as Manifest;
    return manifest.layers.map((layer) => `sha256:${createHash("sha256").update(zlib.zstdDecompressSync(blob(layer.digest))).digest("hex")}`);
  };

  before(async () => {
    if (missing !== undefined) return;
    registry = await startRegistry();
    proxy = await startCountingProxy(registry.endpoint);
    store = makePublishStore();
    work = mkdtempSync(join(tmpdir(), "sli-compress-"));
    const digests = runOurCli(["digest", "--root", store.root, store.conf], undefined);
    diffIds = (JSON.parse(digests.stdout.toString("utf8")) as { layers: { diff_id: string }[] }).layers.map((layer) => layer.diff_id);
  });
  after(async () => {
    await proxy?.close();
    await registry?.stop();
    store?.remove();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  for (const format of ["none", "gzip", "zstd"] as const) {
    test(`--compress ${format}: skopeo reads the media types and blobs; its docker-archive's layers are digest's diff_ids`, async (t) => {
      if (missing !== undefined) return skipOrFailClients(t, missing);
      if (format === "zstd" && NO_ZSTD !== undefined) return skipOrFail(t, "clients", NO_ZSTD);
      const result = await push("--compress", format, store.conf, `${ref(`c/${format}`)}:1`);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, format === "none" ? /; layers uncompressed;/ : new RegExp(`; 4 layers compressed \\(${format} level ${format === "gzip" ? 5 : 3}\\);`));
      const manifest = await inspect(`c/${format}:1`);
      assert.equal(manifest.mediaType, "application/vnd.oci.image.manifest.v1+json");
      assert.deepEqual(manifest.layers.map((layer) => layer.mediaType), diffIds.map(() => TYPES[format]));
      if (format === "none") assert.deepEqual(manifest.layers.map((layer) => layer.digest), diffIds);
      else assert.equal(manifest.layers.filter((layer, i) => layer.digest === diffIds[i]).length, 0, "compressed blobs are not named by diff_ids");
      assert.deepEqual(await copiedDiffIds(`${direct(`c/${format}`)}:1`, `registry-${format}`, format), diffIds);
    });
  }

  test("podman pulls the zstd push; its image id is the config digest", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const podmanMissing = toolMissing("podman");
    if (podmanMissing !== undefined) return skipOrFailClients(t, podmanMissing);
    if (process.getuid?.() !== 0) return skipOrFail(t, "privilege", "podman pull is tried as root only (rootless podman needs subordinate id maps)");
    if (NO_ZSTD !== undefined) return skipOrFail(t, "clients", NO_ZSTD);
    const config = JSON.parse(await skopeo("inspect", "--raw", "--tls-verify=false", `${direct("c/zstd")}:1`)) as { config: { digest: string } };
    assert.equal(await podmanPulledImageId(`${direct("c/zstd")}:1`), config.config.digest);
  });

  test("--format docker: gzip layers skopeo reads; none and zstd are refused in one line, exit 2", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const result = await push("--format", "docker", store.conf, `${ref("c/docker")}:1`);
    assert.equal(result.status, 0, result.stderr);
    const manifest = await inspect("c/docker:1");
    assert.equal(manifest.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
    assert.deepEqual(new Set(manifest.layers.map((layer) => layer.mediaType)), new Set(["application/vnd.docker.image.rootfs.diff.tar.gzip"]));
    assert.deepEqual(await copiedDiffIds(`${direct("c/docker")}:1`, "docker", "gzip"), diffIds);
    for (const [compress, why] of [["none", /Docker schema 2 layers are gzip-compressed/], ["zstd", /no zstd layer type/]] as const) {
      proxy.reset();
      const refused = await push("--format", "docker", "--compress", compress, store.conf, `${ref("c/refused")}:1`);
      assert.equal(refused.status, 2);
      assert.match(oneLine(refused.stderr), why);
      assert.equal(proxy.requests.length, 0, "nothing sent");
    }
    for (const level of [["gzip", "0"], ["gzip", "10"], ["zstd", "23"], ["none", "3"]] as const) {
      const refused = await push("--compress", level[0], "--compress-level", level[1], store.conf, `${ref("c/refused")}:1`);
      assert.equal(refused.status, 2, refused.stderr);
      assert.match(oneLine(refused.stderr), /^stream-layered-image: push: .*(level|--compress-level)/);
    }
  });

  test("the same image pushed again elsewhere, with the blob cache off and another worker count: the same manifest digest", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    if (NO_ZSTD !== undefined) return skipOrFail(t, "clients", NO_ZSTD);
    const first = await push("--compress", "zstd", store.conf, `${ref("c/zstd")}:again`);
    const other = await runCliAsync(["push", "--no-digest-cache", "--compress", "zstd", "--root", store.root, store.conf, `${ref("c/elsewhere")}:1`], { ...process.env, SLI_COMPRESS_WORKERS: "0" });
    assert.equal(other.status, 0, other.stderr);
    assert.match(other.stderr, /4 layers compressed/);
    assert.equal(first.stdout.split("@")[1], other.stdout.split("@")[1]);
  });

  test("a second push compresses and sends nothing: every layer skipped from the blob cache; a changed store path is the only layer compressed", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    proxy.reset();
    const again = await push(store.conf, `${ref("c/gzip")}:2`);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(layerLines(again.stderr, "skipped, the registry has it (gzip sha256:"), 4, again.stderr);
    assert.match(again.stderr, /; 0 layers compressed \(gzip level 5\); 0 B sent;/);
    assert.equal(proxy.uploadedBytes(), 0);
    assert.equal(readdirSync(blobCacheDir).filter((name) => name.endsWith(".json")).length, 4 * (NO_ZSTD === undefined ? 2 : 1), "gzip and zstd: 4 entries each (--format docker's gzip blobs are the same)");
    store.edit("second version, longer than the first\n");
    try {
      proxy.reset();
      const edited = await push(store.conf, `${ref("c/gzip")}:edited`);
      assert.equal(edited.status, 0, edited.stderr);
      assert.equal(layerLines(edited.stderr, "uploaded as gzip"), 1, edited.stderr);
      assert.match(edited.stderr, /; 1 layer compressed \(gzip level 5\);/);
      assert.equal(proxy.requests.filter((r) => r.method === "PATCH").length, 1);
    } finally {
      store.edit("first version\n");
    }
  });

  test("a blob cache entry that is corrupt is ignored; one whose digest is wrong is dropped in one line and the layer uploaded", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const files = readdirSync(blobCacheDir).filter((name) => name.endsWith(".json")).map((name) => join(blobCacheDir, name));
    const entries = files.map((file) => ({ file, entry: JSON.parse(readFileSync(file, "utf8")) as { key: string; digest: string; compression: string; size: number; diffId: string } }));
    // The image's layers only (the cache also holds the layer of the store edited in an earlier test).
    const gzip = entries.filter(({ entry }) => entry.compression === "gzip" && diffIds.includes(entry.diffId));
    writeFileSync(gzip[0]!.file, '{"format": "stream-layered-image blob cache 1", "dig');
    const bad = gzip[1]!;
    const forged = { ...bad.entry, digest: `sha256:${"0".repeat(64)}` };
    writeFileSync(bad.file, JSON.stringify(forged));
    const ignored = await push(store.conf, `${ref("c/corrupt")}:1`);
    assert.equal(ignored.status, 0, ignored.stderr);
    assert.equal(layerLines(ignored.stderr, "its blob cache entry said"), 0, "an entry failing its own check is not used: " + ignored.stderr);
    // Well formed with its check right, but naming a blob no one has: compressed again, found different, dropped.
    const check = createHash("sha256").update(JSON.stringify(["stream-layered-image blob cache 1", bad.entry.key, forged.digest, forged.size])).digest("hex");
    writeFileSync(bad.file, JSON.stringify({ ...forged, check }));
    const dropped = await push(store.conf, `${ref("c/dropped")}:1`);
    assert.equal(dropped.status, 0, dropped.stderr);
    assert.equal(layerLines(dropped.stderr, `its blob cache entry said ${forged.digest}`), 1, dropped.stderr);
    assert.equal(JSON.parse(readFileSync(bad.file, "utf8")).digest, bad.entry.digest, "the entry is written again with the true digest");
  });

  test("oci: gzip and zstd layouts skopeo copies into a docker-archive; a second write compresses nothing", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    for (const format of ["gzip", "zstd"] as const) {
      const dir = join(work, `layout-${format}`, format);
      const written = await runCliAsync(["oci", "--compress", format, "--root", store.root, store.conf, dir]);
      assert.equal(written.status, 0, written.stderr);
      const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: { digest: string }[] };
      const manifest = JSON.parse(readFileSync(join(dir, "blobs", "sha256", index.manifests[0]!.digest.slice(7)), "utf8")) as Manifest;
      assert.deepEqual(new Set(manifest.layers.map((layer) => layer.mediaType)), new Set([TYPES[format]]));
      for (const layer of manifest.layers) assert.ok(existsSync(join(dir, "blobs", "sha256", layer.digest.slice(7))), layer.digest);
      assert.deepEqual(await copiedDiffIds(`oci:${dir}:1.0`, `layout-${format}`, format), diffIds);
      const second = await runCliAsync(["oci", "--compress", format, "--root", store.root, "--tag", "two", store.conf, dir]);
      assert.equal(second.status, 0, second.stderr);
      assert.equal(layerLines(second.stderr, "skipped, the layout has it"), 4, second.stderr);
      assert.match(second.stderr, /; 0 layers compressed/);
      if (format === "gzip" && NO_ZSTD !== undefined) return skipOrFail(t, "clients", `${NO_ZSTD}: the gzip layout checked, not the zstd one`);
    }
  });

  test("gzip at the default level (5) is within 10% of the size skopeo's own gzip (its default, 5) sends for the same image", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const tar = join(work, "image.tar");
    assert.equal(runOurCli(["--quiet", "--root", store.root, "-o", tar, store.conf], undefined).status, 0);
    await skopeo("copy", "--quiet", "--dest-tls-verify=false", `docker-archive:${tar}`, `${direct("c/skopeo")}:1`);
    const sizes = async (repo: string): Promise<number> => (await inspect(repo)).layers.reduce((total, layer) => total + layer.size, 0);
    const [ours, theirs] = [await sizes("c/gzip:1"), await sizes("c/skopeo:1")];
    t.diagnostic(`compressed layers: ours ${ours} bytes, skopeo's ${theirs} bytes (${((ours / theirs - 1) * 100).toFixed(2)}%)`);
    assert.ok(Math.abs(ours / theirs - 1) < 0.1, `ours ${ours}, skopeo's ${theirs}`);
  });

  test("the registry killed in the middle of a compressed upload: one line, exit 1, no tag, no blob cache entry for that layer", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const before = new Set(readdirSync(blobCacheDir));
    proxy.reset();
    proxy.onUploadBytes(1 << 20, () => registry.kill());
    const result = await push("--quiet", "--compress-level", "1", "--retry-times", "1", "--retry-delay", "0.05", store.conf, `${ref("c/crash")}:1`);
    await registry.restart();
    assert.equal(result.status, 1, result.stderr);
    assert.match(oneLine(result.stderr), new RegExp(`^stream-layered-image: registry ${proxy.endpoint.replace(/\./g, "\\.")}: `));
    assert.equal(result.stdout, "");
    const tag = await runIsolated("skopeo", ["inspect", "--raw", "--tls-verify=false", `${direct("c/crash")}:1`]);
    assert.notEqual(tag.status, 0, "no tag after a failed push");
    const added = readdirSync(blobCacheDir).filter((name) => !before.has(name));
    assert.equal(added.length, 2, `the two small layers before the big one have entries, the big one none: ${added.join(", ")}`);
  });
});
