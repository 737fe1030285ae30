/**
 * push's first pass: with compression and a digest cache, each store layer
 * the cache does not know is read once, hashed, compressed and uploaded
 * together.  Against a real registry (Debian's docker-registry) behind a
 * counting proxy: the same manifest as the two-pass push
 * (--no-digest-cache), which `verify --layers` checks blob by blob; the
 * digest cache it fills (a second push compresses and sends nothing);
 * pushConf's hashing progress and the image it hands back; confs with a
 * from_image base (plain, gzip: decompressed beside the uploads); a
 * connection cut mid-upload (the layer read again from its start, the
 * upload resumed); a store path found bad in a later layer (exit 2, one
 * line, no tag); the registry killed (exit 1, one line, no tag, no cache
 * entry for the layer).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIG_PATH, makePublishStore, type PublishStore } from "./support/publish-store.ts";
import { pushConf, pushImage } from "../src/publish/push.ts";
import { DigestCache } from "../src/passes/digest-cache.ts";
import { BlobCache } from "../src/passes/blob-cache.ts";
import { readConfFile } from "../src/conf/read.ts";
import { validateConf } from "../src/conf/validate.ts";
import { parseImageReference } from "../src/remote/reference.ts";
import type { ProgressEvent } from "../src/passes/progress-event.ts";
import { makeFixtureStore, skipIfUnavailable, type FixtureStore } from "./support/fixture-store.ts";
import { GOLDEN_DIR } from "./support/reference.ts";
import type { TreeEntry } from "./support/tree-spec.ts";

/** golden/current's store and confs: some with a from_image base (plain, gzip). */
const currentFixtures = JSON.parse(readFileSync(join(GOLDEN_DIR, "current", "fixtures.json"), "utf8")) as { store: TreeEntry[]; cases: { name: string; conf: string }[] };
import { runIsolated } from "./support/isolated-tools.ts";
import { runCliAsync, skipOrFailClients, startCountingProxy, startRegistry, type CountingProxy, type RunningRegistry } from "./support/registry.ts";
import { oneLine, registryTestsMissing } from "./support/registry-checks.ts";

const missing = registryTestsMissing();
const READ_ONCE = "read once: hashed, compressed and sent together";

const layerLines = (stderr: string, words: string): number => stderr.split("\n").filter((line) => /^Layer \d+\/4 sha256:/.test(line) && line.includes(words)).length;
const manifestDigest = (stdout: string): string => stdout.trim().split("@")[1]!;

describe("push reads a store layer the digest cache does not know once", () => {
  let registry: RunningRegistry;
  let proxy: CountingProxy;
  let store: PublishStore;
  let work: string;
  let caches = 0;
  const ref = (repo: string): string => `docker://${proxy.endpoint}/${repo}`;
  const direct = (repo: string): string => `docker://${registry.endpoint}/${repo}`;
  /** A digest cache of its own (its blob cache inside it), empty. */
  const freshCache = (): string => join(work, `cache-${++caches}`);
  const push = (cache: string | undefined, ...args: string[]) => runCliAsync(["push", "--root", store.root, ...(cache === undefined ? ["--no-digest-cache"] : ["--digest-cache", cache]), ...args]);
  const tagMissing = async (repo: string): Promise<boolean> => (await runIsolated("skopeo", ["inspect", "--raw", "--tls-verify=false", direct(repo)])).status !== 0;

  before(async () => {
    if (missing !== undefined) return;
    registry = await startRegistry();
    proxy = await startCountingProxy(registry.endpoint);
    store = makePublishStore();
    work = mkdtempSync(join(tmpdir(), "sli-first-pass-"));
  });
  after(async () => {
    await proxy?.close();
    await registry?.stop();
    store?.remove();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  let reference: string;

  test("the same manifest as the two-pass push, every blob checked by verify --layers; the caches it fills make a second push send nothing", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const cache = freshCache();
    const once = await push(cache, store.conf, `${ref("fp/once")}:1`);
    assert.equal(once.status, 0, once.stderr);
    assert.equal(layerLines(once.stderr, READ_ONCE), 3, once.stderr);
    assert.match(once.stderr, /4 layers uploaded .*; 4 layers compressed \(gzip level 5\);/);
    const twice = await push(undefined, store.conf, `${ref("fp/twice")}:1`);
    assert.equal(twice.status, 0, twice.stderr);
    assert.equal(layerLines(twice.stderr, READ_ONCE), 0, "--no-digest-cache hashes every layer first");
    reference = manifestDigest(once.stdout);
    assert.equal(reference, manifestDigest(twice.stdout));
    const verified = await runCliAsync(["verify", "--layers", "--root", store.root, store.conf, `${direct("fp/once")}:1`]);
    assert.equal(verified.status, 0, verified.stderr);
    proxy.reset();
    const again = await push(cache, store.conf, `${ref("fp/once")}:2`);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(layerLines(again.stderr, "skipped, the registry has it (gzip sha256:"), 4, again.stderr);
    assert.match(again.stderr, /; 0 layers compressed \(gzip level 5\); 0 B sent;/);
    assert.equal(proxy.uploadedBytes(), 0);
  });

  test("pushConf: the same manifest; hashing progress counts the image's bytes across the layers read once; the image it returns pushes again", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const conf = validateConf(readConfFile(store.conf, "3.13"), store.conf);
    const cache = freshCache();
    const events: ProgressEvent[] = [];
    const { image, summary } = await pushConf(conf, { root: store.root, digestCache: new DigestCache(cache), progress: (event) => events.push(event) }, parseImageReference(`${direct("fp/library")}:1`), { blobCache: new BlobCache(join(cache, "blobs")) });
    try {
      assert.equal(summary.manifestDigest, reference);
      assert.deepEqual(summary.layers.map((layer) => layer.outcome), ["uploaded", "uploaded", "uploaded", "uploaded"]);
      const hashing = events.filter((event) => event.phase === "hashing");
      const storeBytes = image.layers.filter((layer) => layer.kind === "store").reduce((total, layer) => total + layer.size, 0);
      assert.deepEqual(new Set(hashing.map((event) => event.layer)), new Set([0, 1, 2]));
      for (const [i, event] of hashing.entries()) if (i > 0) assert.ok(event.imageBytesDone >= hashing[i - 1]!.imageBytesDone, `event ${i}: ${event.imageBytesDone} after ${hashing[i - 1]!.imageBytesDone}`);
      assert.equal(hashing.at(-1)!.imageBytesDone, storeBytes);
      const again = await pushImage(image, parseImageReference(`${direct("fp/library")}:2`), { blobCache: new BlobCache(join(cache, "blobs")) });
      assert.deepEqual(again.layers.map((layer) => layer.outcome), ["skipped", "skipped", "skipped", "skipped"]);
      assert.equal(again.manifestDigest, reference);
    } finally {
      image.close();
    }
  });

  for (const name of ["cur-from-legacy", "cur-from-legacy-gzip-env-merge"]) {
    test(`${name} (a from_image base): the store layers after the base's read once, the two-pass push's manifest; skopeo checks every blob`, async (t) => {
      if (missing !== undefined) return skipOrFailClients(t, missing);
      const fixture: FixtureStore = makeFixtureStore(currentFixtures.store, "first-pass-base");
      try {
        if (skipIfUnavailable(t, fixture, currentFixtures.store.map((entry) => entry.path))) return;
        const text = currentFixtures.cases.find((c) => c.name === name)!.conf;
        const conf = join(work, `${name}.json`);
        writeFileSync(conf, text);
        const storeLayers = (JSON.parse(text) as { store_layers: unknown[] }).store_layers.length;
        const pushOf = (cache: string[], repo: string) => runCliAsync(["push", "--root", fixture.root, ...cache, conf, `${ref(repo)}:1`]);
        const once = await pushOf(["--digest-cache", freshCache()], `fp/${name}-once`);
        assert.equal(once.status, 0, once.stderr);
        const readOnce = once.stderr.split("\n").filter((line) => line.includes(READ_ONCE)).map((line) => /^Layer (\d+)\/(\d+) /.exec(line)!.slice(1).map(Number));
        assert.equal(readOnce.length, storeLayers, once.stderr);
        const total = readOnce[0]![1]!;
        const bases = total - storeLayers - 1;
        assert.ok(bases > 0, once.stderr);
        assert.deepEqual(readOnce.map(([layer]) => layer), Array.from({ length: storeLayers }, (_, i) => bases + i + 1), "the store layers, after the base's");
        const twice = await pushOf(["--no-digest-cache"], `fp/${name}-twice`);
        assert.equal(twice.status, 0, twice.stderr);
        assert.equal(manifestDigest(once.stdout), manifestDigest(twice.stdout));
        const copied = await runIsolated("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `${direct(`fp/${name}-once`)}:1`, `dir:${join(work, `${name}-dir`)}`]);
        assert.equal(copied.status, 0, copied.stderr.toString());
      } finally {
        fixture.remove();
      }
    });
  }

  test("a connection cut in the middle of a first pass's upload: the layer read again from its start, the upload resumed; the same manifest", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    proxy.reset();
    // The two small layers go first (a few hundred bytes); the cut falls in the big layer's second 1 MiB PATCH.
    proxy.onUploadBytes((1 << 20) + 40 * 1024, (socket) => socket.destroy());
    const result = await push(freshCache(), "--retry-delay", "0.05", "--chunk-size", String(1 << 20), store.conf, `${ref("fp/resumed")}:1`);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`^Store layer 3/3: resuming at byte ${1 << 20} of its blob$`, "m"), result.stderr);
    assert.equal(manifestDigest(result.stdout), reference);
  });

  test("a store path found bad in a later layer: exit 2, one line naming it, nothing on stdout, no tag", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const socket = join(store.root, BIG_PATH, "bin", "socket");
    const made = spawnSync("python3", ["-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", socket]);
    if (made.status !== 0) return skipOrFailClients(t, `cannot make a socket: ${made.stderr.toString()}`);
    try {
      const result = await push(freshCache(), store.conf, `${ref("fp/bad")}:1`);
      assert.equal(result.status, 2, result.stderr);
      assert.equal(oneLine(result.stderr), `stream-layered-image: Cannot archive "${BIG_PATH}/bin/socket": sockets cannot be stored in a tar archive`);
      assert.equal(result.stdout, "");
    } finally {
      rmSync(socket);
    }
    assert.ok(await tagMissing("fp/bad:1"), "no tag");
  });

  test("the registry killed in the middle of a first pass's upload: one line, exit 1, no tag, no cache entry for that layer", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const cache = freshCache();
    proxy.reset();
    proxy.onUploadBytes(1 << 20, () => registry.kill());
    const result = await push(cache, "--quiet", "--retry-times", "1", "--retry-delay", "0.05", store.conf, `${ref("fp/crash")}:1`);
    await registry.restart();
    assert.equal(result.status, 1, result.stderr);
    assert.match(oneLine(result.stderr), new RegExp(`^stream-layered-image: registry ${proxy.endpoint.replace(/\./g, "\\.")}: `));
    assert.equal(result.stdout, "");
    assert.ok(await tagMissing("fp/crash:1"), "no tag after a failed push");
    const blobs = join(cache, "blobs");
    const entries = existsSync(blobs) ? readdirSync(blobs).filter((name) => name.endsWith(".json")) : [];
    assert.equal(entries.length, 2, `the two small layers uploaded before the big one have blob cache entries, the big one none: ${entries.join(", ")}`);
    // The digest cache records an image's layers once all are hashed: none here.
    assert.deepEqual(existsSync(cache) ? readdirSync(cache).filter((name) => name.endsWith(".json")) : [], []);
  });
});
