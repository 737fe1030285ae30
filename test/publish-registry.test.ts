/**
 * `push` and `oci` against a real registry (Debian's docker-registry, the
 * CNCF distribution registry) on loopback, in plain HTTP behind a counting
 * proxy: what is uploaded, skipped, mounted or resumed, and what a failure
 * leaves (no tag); a registry killed mid-upload.  What the registry holds is
 * then read by independent clients: skopeo inspect and copy (which verifies
 * every digest), podman pull.  TLS and authentication:
 * publish-registry-auth.test.ts.  Missing tools skip on a laptop and fail in
 * CI (SLI_REQUIRE_CLIENTS=1).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { skipOrFail } from "./support/requirements.ts";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseTarLayout } from "../src/tar/inspect.ts";
import { runTool, toolMissing } from "./support/client-tools.ts";
import { runOurCli } from "./support/reference.ts";
import { EDITED_PATH, makePublishStore, useTemporaryCacheHome, type PublishStore } from "./support/publish-store.ts";
import { prepareImage } from "../src/image/image.ts";
import { LayerChangedError } from "../src/passes/entry-log.ts";
import { validateConf } from "../src/conf/validate.ts";
import { readConfFile } from "../src/conf/read.ts";
import { pushImage } from "../src/publish/push.ts";
import { parseImageReference } from "../src/remote/reference.ts";
import {
  runCliAsync,
  skipOrFailClients,
  startCountingProxy,
  startRegistry,
  type CountingProxy,
  type RunningRegistry,
} from "./support/registry.ts";
import { oneLine, registryTestsMissing, skopeo } from "./support/registry-checks.ts";

// push keeps a digest cache by default: here, not in the user's.
useTemporaryCacheHome();

const missing = registryTestsMissing();

interface Digests {
  image_id: string;
  layers: { diff_id: string; size: number }[];
}

/** `digest CONF`: what the image's digests are. */
function digestsOf(store: PublishStore): Digests {
  const result = runOurCli(["digest", "--root", store.root, store.conf], undefined);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout.toString("utf8")) as Digests;
}

/** The image id of our docker-archive: its config member's name. */
function archiveImageId(store: PublishStore, work: string): string {
  const tar = join(work, "image.tar");
  const result = runOurCli(["--quiet", "--root", store.root, "-o", tar, store.conf], undefined);
  assert.equal(result.status, 0, result.stderr);
  const config = parseTarLayout(readFileSync(tar)).members.map((m) => m.name.toString("utf8")).find((name) => /^[0-9a-f]{64}\.json$/.test(name));
  return `sha256:${config!.replace(".json", "")}`;
}

const layerLines = (stderr: string, word: string): number => stderr.split("\n").filter((line) => /^Layer \d+\/\d+ sha256:/.test(line) && line.includes(word)).length;

describe("push to a plain-HTTP registry", () => {
  let registry: RunningRegistry;
  let proxy: CountingProxy;
  let store: PublishStore;
  let work: string;
  const ref = (repo: string): string => `docker://${proxy.endpoint}/${repo}`;
  /** For skopeo and podman: the registry itself (runTool blocks this process, where the proxy runs). */
  const direct = (repo: string): string => `docker://${registry.endpoint}/${repo}`;
  const push = (...args: string[]) => runCliAsync(["push", "--root", store.root, ...args]);

  before(async () => {
    if (missing !== undefined) return;
    registry = await startRegistry();
    proxy = await startCountingProxy(registry.endpoint);
    store = makePublishStore();
    work = mkdtempSync(join(tmpdir(), "sli-push-"));
  });
  after(async () => {
    await proxy?.close();
    await registry?.stop();
    store?.remove();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  test("first push uploads every layer; skopeo and the config digest agree with our docker-archive", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const digests = digestsOf(store);
    proxy.reset();
    // Uncompressed, so that layer digests are diff_ids (compression: publish-compress.test.ts).
    const result = await push("--compress", "none", store.conf, ref("team/app"));
    assert.equal(result.status, 0, result.stderr);
    assert.equal(layerLines(result.stderr, "uploaded"), 4, result.stderr);
    const layerBytes = digests.layers.reduce((total, layer) => total + layer.size, 0);
    const configBytes = proxy.requests.filter((r) => r.method === "PUT" && r.path.includes("/blobs/uploads/")).reduce((total, r) => total + r.bytes, 0) - 0;
    assert.ok(proxy.uploadedBytes() >= layerBytes && proxy.uploadedBytes() === layerBytes + (configBytes > 0 ? configBytes : 0), `bytes uploaded ${proxy.uploadedBytes()}, layers ${layerBytes}`);
    // The tag comes from the conf's repo_tag when IMAGE-REF has none.
    const manifest = JSON.parse(skopeo(["inspect", "--raw", "--tls-verify=false", `${direct("team/app")}:1.0`])) as { mediaType: string; config: { digest: string }; layers: { digest: string; mediaType: string }[] };
    assert.equal(manifest.mediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.deepEqual(manifest.layers.map((layer) => layer.digest), digests.layers.map((layer) => layer.diff_id), "uncompressed: layer digests are the diff_ids");
    assert.equal(manifest.config.digest, digests.image_id);
    assert.equal(manifest.config.digest, archiveImageId(store, work), "config digest is the docker-archive's image id");
    const config = JSON.parse(skopeo(["inspect", "--config", "--tls-verify=false", `${direct("team/app")}:1.0`])) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(config.rootfs.diff_ids, digests.layers.map((layer) => layer.diff_id));
    assert.match(result.stdout, new RegExp(`^docker://${proxy.endpoint}/team/app@sha256:[0-9a-f]{64}\\n$`));
    // skopeo copy checks every blob against its digest.
    skopeo(["copy", "--quiet", "--src-tls-verify=false", `${direct("team/app")}:1.0`, `oci:${join(work, "copied")}:1.0`]);
  });

  test("second push of the same conf uploads no byte", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    proxy.reset();
    const result = await push("--compress", "none", store.conf, `${ref("team/app")}:again`);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(layerLines(result.stderr, "skipped"), 4, result.stderr);
    assert.equal(proxy.uploadedBytes(), 0);
    assert.equal(proxy.requests.filter((r) => r.method === "POST").length, 0, "no upload session opened");
    assert.match(result.stderr, /0 layers uploaded \(0 B\), 4 layers skipped/);
    skopeo(["inspect", "--raw", "--tls-verify=false", `${direct("team/app")}:again`]);
  });

  test("a changed store path uploads exactly its layer", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    store.edit("second version, longer than the first\n");
    try {
      const digests = digestsOf(store);
      proxy.reset();
      const result = await push("--compress", "none", store.conf, `${ref("team/app")}:edited`);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(layerLines(result.stderr, "uploaded"), 1, result.stderr);
      assert.equal(layerLines(result.stderr, "skipped"), 3, result.stderr);
      const patched = proxy.requests.filter((r) => r.method === "PATCH");
      assert.equal(patched.length, 1);
      assert.equal(patched[0]!.bytes, digests.layers[1]!.size, "the edited layer's bytes, and no other");
      skopeo(["copy", "--quiet", "--src-tls-verify=false", `${direct("team/app")}:edited`, `oci:${join(work, "edited")}:x`]);
    } finally {
      store.edit("first version\n");
    }
  });

  test("--format docker pushes a Docker schema 2 manifest; --from-repo mounts instead of uploading", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    // gzip (Docker schema 2 has no uncompressed layers): the blob cache knows the blobs team/gz got.
    const gzip = await push(store.conf, `${ref("team/gz")}:1`);
    assert.equal(gzip.status, 0, gzip.stderr);
    proxy.reset();
    const result = await push("--format", "docker", "--from-repo", "team/gz", store.conf, `${ref("other/app")}:docker`);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(layerLines(result.stderr, "mounted"), 4, result.stderr);
    assert.equal(proxy.uploadedBytes(), 0);
    const manifest = JSON.parse(skopeo(["inspect", "--raw", "--tls-verify=false", `${direct("other/app")}:docker`])) as { mediaType: string };
    assert.equal(manifest.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
    skopeo(["copy", "--quiet", "--src-tls-verify=false", `${direct("other/app")}:docker`, `oci:${join(work, "docker")}:x`]);
  });

  test("a connection cut in the middle of an upload is resumed where the registry stopped", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    proxy.reset();
    // Cut in the big layer's second 1 MiB PATCH (the three small layers, 10 KiB
    // each, may go before or beside it: two upload at a time), and the
    // registry keeps the first.
    proxy.onUploadBytes((1 << 20) + 40 * 1024, (socket) => socket.destroy());
    const result = await push("--retry-delay", "0.05", "--chunk-size", String(1 << 20), store.conf, `${ref("resumed/app")}:1`);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`resuming at byte ${1 << 20} of`), "resumed after the last whole PATCH, not restarted");
    skopeo(["copy", "--quiet", "--src-tls-verify=false", `${direct("resumed/app")}:1`, `oci:${join(work, "resumed")}:x`]);
  });

  test("a store file changed after the hash pass fails the push, naming it; no tag", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const image = prepareImage(validateConf(readConfFile(store.conf, "3.13"), store.conf), { root: store.root });
    store.edit("changed after the hash pass\n");
    try {
      const target = parseImageReference(`${direct("changed/app")}:1`);
      await assert.rejects(pushImage(image, target, { retries: 0 }), (error: unknown) => error instanceof LayerChangedError && error.message.includes(`${EDITED_PATH}/bin/edited`));
    } finally {
      store.edit("first version\n");
    }
    const inspect = runTool("skopeo", ["inspect", "--raw", "--tls-verify=false", `${direct("changed/app")}:1`]);
    assert.notEqual(inspect.status, 0, "no tag after a failed push");
  });

  test("podman pulls the pushed image; its image id is our config digest", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const podmanMissing = toolMissing("podman");
    if (podmanMissing !== undefined) return skipOrFailClients(t, podmanMissing);
    if (process.getuid?.() !== 0) return skipOrFail(t, "privilege", "podman pull is tried as root only (rootless podman needs subordinate id maps)");
    const podRoot = mkdtempSync(join(tmpdir(), "sli-podman-"));
    try {
      const args = ["--root", join(podRoot, "root"), "--runroot", join(podRoot, "run"), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"];
      const pull = runTool("podman", [...args, "pull", "--quiet", "--tls-verify=false", `${direct("team/app")}:1.0`]);
      assert.equal(pull.status, 0, `podman pull: ${pull.stderr}`);
      const images = JSON.parse(runTool("podman", [...args, "images", "--format", "json"]).stdout) as { Id: string }[];
      assert.equal(`sha256:${images[0]?.Id}`, digestsOf(store).image_id);
    } finally {
      rmSync(podRoot, { recursive: true, force: true });
    }
  });

  test("oci CONF DIR: a layout skopeo reads; a second write adds no layer", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const dir = join(work, "layout");
    const first = await runCliAsync(["oci", "--compress", "none", "--root", store.root, store.conf, dir]);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(layerLines(first.stderr, "written"), 4, first.stderr);
    const digests = digestsOf(store);
    const blob = join(dir, "blobs", "sha256", digests.layers[0]!.diff_id.slice(7));
    const before = statSync(blob);
    const config = JSON.parse(skopeo(["inspect", "--config", `oci:${dir}:1.0`])) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(config.rootfs.diff_ids, digests.layers.map((layer) => layer.diff_id));
    skopeo(["copy", "--quiet", `oci:${dir}:1.0`, `oci:${join(work, "layout-copy")}:x`]);
    const second = await runCliAsync(["oci", "--compress", "none", "--root", store.root, "--tag", "two", store.conf, dir]);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(layerLines(second.stderr, "skipped"), 4, second.stderr);
    assert.equal(statSync(blob).ino, before.ino, "the layer blob was not written again");
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: { annotations: Record<string, string> }[] };
    assert.deepEqual(index.manifests.map((m) => m.annotations["org.opencontainers.image.ref.name"]), ["1.0", "two"]);
  });

  test("an unknown host: one line naming it, exit 1", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const result = await push("--quiet", store.conf, "docker://no-such-host.invalid:5000/team/app:1");
    assert.equal(result.status, 1);
    assert.match(oneLine(result.stderr), /^stream-layered-image: registry no-such-host\.invalid:5000: unknown host "no-such-host\.invalid"/);
    assert.equal(result.stdout, "");
  });

  test("bad IMAGE-REF and credentials are bad input: exit 2, nothing sent", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    proxy.reset();
    const bad = await push(store.conf, `${proxy.endpoint}/team/app`);
    assert.equal(bad.status, 2);
    assert.match(oneLine(bad.stderr), /must start with docker:\/\//);
    const creds = await push("--creds", "nocolon", store.conf, ref("team/app"));
    assert.equal(creds.status, 2);
    assert.match(oneLine(creds.stderr), /--creds must be USERNAME:PASSWORD/);
    assert.equal(proxy.requests.length, 0);
  });
});

describe("a registry killed in the middle of an upload", () => {
  test("one line, exit 1, no tag; the next push completes", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const registry = await startRegistry();
    const proxy = await startCountingProxy(registry.endpoint);
    const store = makePublishStore();
    try {
      const ref = `docker://${proxy.endpoint}/crash/app:1`;
      const direct = `docker://${registry.endpoint}/crash/app:1`;
      proxy.onUploadBytes(1 << 20, () => registry.kill());
      const result = await runCliAsync(["push", "--quiet", "--retry-times", "1", "--retry-delay", "0.05", "--root", store.root, store.conf, ref]);
      assert.equal(result.status, 1, result.stderr);
      assert.match(oneLine(result.stderr), new RegExp(`^stream-layered-image: registry ${proxy.endpoint.replace(/\./g, "\\.")}: `));
      assert.equal(result.stdout, "");
      await registry.restart();
      const inspect = runTool("skopeo", ["inspect", "--raw", "--tls-verify=false", direct]);
      assert.notEqual(inspect.status, 0, "no tag after a failed push");
      assert.match(inspect.stderr, /manifest unknown|not found/i);
      const again = await runCliAsync(["push", "--root", store.root, store.conf, ref]);
      assert.equal(again.status, 0, again.stderr);
      skopeo(["copy", "--quiet", "--src-tls-verify=false", direct, `oci:${join(store.root, "crash-copy")}:x`]);
    } finally {
      await proxy.close();
      await registry.stop();
      store.remove();
    }
  });
});
