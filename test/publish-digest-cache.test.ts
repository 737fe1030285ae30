/**
 * The digest cache of push and oci (src/passes/digest-cache.ts), against a real
 * registry behind the counting proxy: a second push hashes nothing and
 * sends nothing; a store change is a cache miss; a stale entry (one that
 * is well formed but wrong) fails the push in one line naming the layer's
 * store paths, moves no tag, and is dropped so the next push completes; a
 * corrupt entry is ignored.  Every cache lives in a temporary directory.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTool, toolMissing } from "./support/client-tools.ts";
import { EDITED_PATH, makePublishStore, useTemporaryCacheHome, type PublishStore } from "./support/publish-store.ts";
import { registryMissing, runCliAsync, skipOrFailClients, startCountingProxy, startRegistry, type CountingProxy, type RunningRegistry } from "./support/registry.ts";
import { prepareImage, prepareImageAsync } from "../src/image/image.ts";
import type { ProgressEvent } from "../src/passes/progress-event.ts";
import { validateConf } from "../src/conf/validate.ts";
import { readConfFile } from "../src/conf/read.ts";
import { DigestCache, layerCacheKey, type CachedDigest, type LayerKeyParts } from "../src/passes/digest-cache.ts";
import { layerChunks } from "../src/layer/layer.ts";
import { layerStyle, type LayerStyle } from "../src/layer/layer-walk.ts";
import { WalkedList } from "../src/store/walked-list.ts";
import { unchangedSince } from "../src/passes/listed-check.ts";
import { runSync } from "../src/workers/pause.ts";
import { GENERATIONS, generationRules } from "../src/profile/generation.ts";
import { PYTHON_VERSIONS, type PythonVersion } from "../src/profile/python.ts";
import { makeFixtureStore, type FixtureStore } from "./support/fixture-store.ts";
import { GOLDEN_DIR } from "./support/reference.ts";
import type { TreeEntry } from "./support/tree-spec.ts";
import { pushImage } from "../src/publish/push.ts";
import { parseImageReference } from "../src/remote/reference.ts";

const defaultCache = useTemporaryCacheHome();
/** These tests are about the digest cache: layers uncompressed, so the registry checks the diff_ids (compressed: publish-compress.test.ts). */
const UNCOMPRESSED = { compress: { format: "none" } } as const;

const missing = registryMissing() ?? toolMissing("skopeo")?.replace(/^SKIPPED: /, "");

describe("digest cache keys", () => {
  const base: LayerKeyParts = { python: "3.13", style: layerStyle(generationRules("2020")), mtime: 1704067200n, root: undefined, paths: ["/nix/store/aaaa-a", "/nix/store/bbbb-b"] };
  test("the same layer has the same key; anything its bytes depend on changes it", () => {
    assert.equal(layerCacheKey(base), layerCacheKey({ ...base, paths: [...base.paths] }));
    const variants: Record<string, LayerKeyParts> = {
      python: { ...base, python: "3.8" },
      mtime: { ...base, mtime: 1704067201n },
      "owner uid": { ...base, style: { ...base.style, owner: { ...base.style.owner, uid: 1000 } } },
      "owner gid": { ...base, style: { ...base.style, owner: { ...base.style.owner, gid: 1000 } } },
      "owner uname": { ...base, style: { ...base.style, owner: { ...base.style.owner, uname: "nixbld" } } },
      "owner gname": { ...base, style: { ...base.style, owner: { ...base.style.owner, gname: "nixbld" } } },
      "generation: /nix modes": { ...base, style: { ...base.style, nixRootMode: 0o755 } },
      "generation: symlinked store paths": { ...base, style: { ...base.style, symlinkedStorePathAlone: true } },
      root: { ...base, root: "/tmp/copy" },
      "path order": { ...base, paths: [...base.paths].reverse() },
      "one path more": { ...base, paths: [...base.paths, "/nix/store/cccc-c"] },
      "one path less": { ...base, paths: base.paths.slice(1) },
    };
    const keys = new Map<string, string>([[layerCacheKey(base), "base"]]);
    for (const [name, parts] of Object.entries(variants)) {
      const key = layerCacheKey(parts);
      assert.equal(keys.get(key), undefined, `${name} gives the key of ${keys.get(key)}`);
      keys.set(key, name);
    }
  });
});

describe("the digest cache's walk", () => {
  const fixtures = JSON.parse(readFileSync(join(GOLDEN_DIR, "current", "fixtures.json"), "utf8")) as { store: TreeEntry[] };
  let store: FixtureStore;
  before(() => {
    store = makeFixtureStore(fixtures.store, "cache-walk");
  });
  after(() => store?.remove());

  /**
   * `check(path, options)` for each top-level store path of the fixtures,
   * under every CPython and script generation, where the hash pass takes the
   * path (`layerChunks` throws for the others: the walk would too, or the
   * hash pass would have); at least one layer a path.
   */
  function eachFixtureLayer(check: (path: string, options: { root: string; python: PythonVersion; style: LayerStyle }) => void): void {
    const paths = [...new Set(fixtures.store.map((entry) => entry.path.split("/").slice(0, 4).join("/")))];
    let compared = 0;
    for (const python of PYTHON_VERSIONS) {
      for (const style of GENERATIONS.map((generation) => layerStyle(generationRules(generation), { uid: 1000, gid: 100, uname: "u", gname: "g" }))) {
        for (const path of paths) {
          const options = { root: store.root, python, style };
          try {
            for (const _ of layerChunks([path], 1704067200n, options));
          } catch {
            continue;
          }
          check(path, options);
          compared++;
        }
      }
    }
    assert.ok(compared >= paths.length, `compared ${compared} layers`);
  }

  /** The layer of `path` as the hash pass records it for the digest cache (layerChunks' onWalked and onStorePathLink), and its bytes. */
  function recorded(path: string, options: { root: string; python: PythonVersion; style: LayerStyle }): { walked: WalkedList; bytes: Buffer } {
    const walked = new WalkedList();
    const bytes = Buffer.concat([...layerChunks([path], 1704067200n, { ...options, onWalked: (entry) => walked.push(entry), onStorePathLink: (top, directory) => walked.pushLinkTarget(top, directory) })]);
    return { walked, bytes };
  }

  test("a layer streamed from its walk kept in a WalkedList (a cache hit) has the bytes of one that walks again: non-UTF-8 and astral names, links, devices", () => {
    eachFixtureLayer((path, options) => {
      const { walked, bytes } = recorded(path, options);
      const again = Buffer.concat([...layerChunks([path], 1704067200n, { ...options, walked })]);
      assert.ok(again.equals(bytes), `${path} under ${options.python}`);
    });
  });

  test("every fixture layer's kept walk checks out against the store it was recorded from (non-UTF-8 names, links, devices, symlinked store paths), and not once an entry's mode changed", () => {
    eachFixtureLayer((path, options) => {
      const { walked } = recorded(path, options);
      assert.equal(runSync(unchangedSince(walked, options.python, options.root)), true, `${path} under ${options.python}`);
    });
    const path = fixtures.store.find((entry) => entry.type === "file")!.path;
    const file = join(store.root, path);
    const options = { root: store.root, python: "3.13" as const, style: layerStyle(generationRules("2020")) };
    const { walked } = recorded(path.split("/").slice(0, 4).join("/"), options);
    const mode = statSync(file).mode & 0o7777;
    chmodSync(file, mode ^ 0o100);
    try {
      assert.equal(runSync(unchangedSince(walked, options.python, options.root)), false);
    } finally {
      chmodSync(file, mode);
    }
  });

  test("a walk kept in a file (WalkedList.encode, as the digest cache keeps it) decodes to the same rows, which stream the same bytes; bytes that are not one decode to none", () => {
    eachFixtureLayer((path, options) => {
      const { walked, bytes } = recorded(path, options);
      const encoded = walked.encode();
      const decoded = WalkedList.decode(encoded);
      assert.ok(decoded !== undefined);
      assert.equal(decoded.length, walked.length);
      for (let row = 0; row < walked.length; row++) {
        assert.deepEqual([decoded.at(row), decoded.isLinkTarget(row)], [walked.at(row), walked.isLinkTarget(row)], `${path} under ${options.python}, row ${row}`);
      }
      assert.ok(Buffer.concat([...layerChunks([path], 1704067200n, { ...options, walked: decoded })]).equals(bytes), `${path} under ${options.python}`);
      for (const bad of [encoded.subarray(0, encoded.length - 1), Buffer.concat([encoded, Buffer.from("x")]), Buffer.from("stream-layered-image walk 2\n"), Buffer.alloc(0)]) assert.equal(WalkedList.decode(bad), undefined);
    });
  });
});

/** The cache files of `dir`: key, entry, paths. */
function entries(dir: string): { key: string; entry: CachedDigest; paths: string[] }[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .map((name) => {
      const parsed = JSON.parse(readFileSync(join(dir, name), "utf8")) as CachedDigest & { key: string; paths: string[] };
      return { key: parsed.key, entry: { sha256: parsed.sha256, size: parsed.size, crc32: parsed.crc32, walk: parsed.walk }, paths: parsed.paths };
    });
}

const hashingEvents = (events: ProgressEvent[]): ProgressEvent[] => events.filter((event) => event.phase === "hashing");

describe("the digest cache against a registry", () => {
  let registry: RunningRegistry;
  let proxy: CountingProxy;
  let store: PublishStore;
  let cacheDir: string;
  let work: string;
  const ref = (repo: string): string => `docker://${proxy.endpoint}/${repo}`;
  const direct = (repo: string): string => `docker://${registry.endpoint}/${repo}`;
  const conf = () => validateConf(readConfFile(store.conf, "3.13"), store.conf);
  const prepare = (events: ProgressEvent[] = []) => prepareImage(conf(), { root: store.root, digestCache: new DigestCache(cacheDir), progress: (event) => events.push(event) });
  const editedEntry = () => entries(cacheDir).find((cached) => cached.paths.includes(EDITED_PATH))!;
  const hasTag = (repo: string): boolean => runTool("skopeo", ["inspect", "--raw", "--tls-verify=false", direct(repo)]).status === 0;

  before(async () => {
    if (missing !== undefined) return;
    registry = await startRegistry();
    proxy = await startCountingProxy(registry.endpoint);
    store = makePublishStore();
    cacheDir = mkdtempSync(join(tmpdir(), "sli-digest-cache-"));
    work = mkdtempSync(join(tmpdir(), "sli-cache-work-"));
  });
  after(async () => {
    await proxy?.close();
    await registry?.stop();
    store?.remove();
    for (const dir of [cacheDir, work]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test("a first push fills the cache; the second hashes no layer and uploads no byte", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const firstEvents: ProgressEvent[] = [];
    const first = prepare(firstEvents);
    assert.ok(hashingEvents(firstEvents).length > 0, "the first run hashes");
    assert.equal(first.cachedLayers.size, 0);
    assert.equal(entries(cacheDir).length, 3, "one entry per store layer (not the customisation layer)");
    const pushed = await pushImage(first, parseImageReference(`${ref("cache/app")}:1`), UNCOMPRESSED);
    assert.deepEqual(pushed.layers.map((layer) => layer.outcome), ["uploaded", "uploaded", "uploaded", "uploaded"]);

    const events: ProgressEvent[] = [];
    const second = prepare(events);
    assert.deepEqual(hashingEvents(events), [], "no layer hashed");
    assert.deepEqual([...second.cachedLayers].sort(), [0, 1, 2]);
    assert.deepEqual(second.layers, first.layers);
    assert.deepEqual(second.configBytes, first.configBytes);
    const viaAsync = await prepareImageAsync(conf(), { root: store.root, digestCache: new DigestCache(cacheDir), progress: (event) => events.push(event) });
    assert.deepEqual([viaAsync.layers, [...viaAsync.cachedLayers].sort()], [first.layers, [0, 1, 2]], "the async API takes the same entries");
    proxy.reset();
    const again = await pushImage(second, parseImageReference(`${ref("cache/app")}:2`), { ...UNCOMPRESSED, progress: (event) => events.push(event) });
    assert.deepEqual(again.layers.map((layer) => layer.outcome), ["skipped", "skipped", "skipped", "skipped"]);
    assert.equal(proxy.uploadedBytes(), 0);
    assert.deepEqual(events, [], "no layer read: no hashing, no upload progress");
    assert.ok(hasTag("cache/app:2"));
  });

  test("cached layers the registry lacks are uploaded, and the registry accepts their digests", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const image = prepare();
    assert.equal(image.cachedLayers.size, 3);
    proxy.reset();
    const pushed = await pushImage(image, parseImageReference(`${ref("fresh/app")}:1`), UNCOMPRESSED);
    assert.deepEqual(pushed.layers.map((layer) => layer.outcome), ["uploaded", "uploaded", "uploaded", "uploaded"]);
    assert.ok(proxy.uploadedBytes() >= image.layers.reduce((total, layer) => total + layer.size, 0));
    // skopeo copy checks every blob against its digest.
    const copied = runTool("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `${direct("fresh/app")}:1`, `oci:${join(work, "fresh")}:x`]);
    assert.equal(copied.status, 0, copied.stderr);
  });

  test("a store file changed after caching: its layer is hashed again, the others are not", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const before = prepare().layers;
    store.edit("changed after caching\n");
    try {
      const events: ProgressEvent[] = [];
      const image = prepare(events);
      assert.deepEqual([...image.cachedLayers].sort(), [0, 2]);
      assert.ok(hashingEvents(events).length > 0);
      assert.deepEqual(new Set(hashingEvents(events).map((event) => event.layer)), new Set([1]), "only the edited layer hashed");
      assert.notEqual(image.layers[1]!.sha256, before[1]!.sha256);
      assert.deepEqual(image.layers, prepareImage(conf(), { root: store.root }).layers, "the digests of a run without the cache");
    } finally {
      store.edit("first version\n");
    }
  });

  test("a cached layer's store path gone: the hash pass's error, exit 2, nothing sent", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    prepare();
    const expected = await runCliAsync(["push", "--compress", "none", "--quiet", "--no-digest-cache", "--root", store.root, store.conf, ref("gone/app:1")]);
    const path = join(store.root, EDITED_PATH);
    renameSync(path, `${path}.away`);
    try {
      const withoutCache = await runCliAsync(["push", "--compress", "none", "--quiet", "--no-digest-cache", "--root", store.root, store.conf, ref("gone/app:1")]);
      proxy.reset();
      const withCache = await runCliAsync(["push", "--compress", "none", "--quiet", "--digest-cache", cacheDir, "--root", store.root, store.conf, ref("gone/app:1")]);
      assert.equal(withCache.status, 2, withCache.stderr);
      assert.equal(withCache.stderr, withoutCache.stderr);
      assert.match(withCache.stderr, new RegExp(EDITED_PATH));
      assert.equal(proxy.requests.length, 0, "nothing sent");
    } finally {
      renameSync(`${path}.away`, path);
    }
    assert.equal(expected.status, 0, expected.stderr);
  });

  const staleCases: [string, (entry: CachedDigest) => CachedDigest, RegExp][] = [
    ["a wrong sha256 (the registry computes another)", (entry) => ({ ...entry, sha256: `${"0".repeat(63)}1` }), /DIGEST_INVALID/],
    ["a wrong CRC-32 (the stream pass computes another)", (entry) => ({ ...entry, crc32: (entry.crc32 + 1) % 2 ** 32 }), /its content differs from the hashed one/],
    ["a wrong size (the stream pass streams another)", (entry) => ({ ...entry, size: entry.size - 512 }), /grew beyond/],
  ];
  for (const [name, stale, cause] of staleCases) {
    test(`a stale entry, ${name}: one line naming the store paths, exit 1, no tag; the entry is dropped and the next push completes`, async (t) => {
      if (missing !== undefined) return skipOrFailClients(t, missing);
      prepare(); // the entry for the store as it is now
      const { key, entry, paths } = editedEntry();
      new DigestCache(cacheDir).writeEntry(key, stale(entry), paths);
      const repo = `stale${staleCases.findIndex(([other]) => other === name)}/app:1`;
      const push = () => runCliAsync(["push", "--compress", "none", "--quiet", "--digest-cache", cacheDir, "--root", store.root, store.conf, ref(repo)]);
      const failed = await push();
      assert.equal(failed.status, 1, failed.stderr);
      assert.equal(failed.stdout, "");
      const lines = failed.stderr.split("\n").filter((line) => line !== "");
      assert.equal(lines.length, 1, failed.stderr);
      assert.match(lines[0]!, new RegExp(`^stream-layered-image: Layer 2/4 \\(store paths "${EDITED_PATH}"\\): its digest cache entry \\(sha256:[0-9a-f]{64}, \\d+ bytes\\) does not match the store: `));
      assert.match(lines[0]!, cause);
      assert.match(lines[0]!, /the entry was dropped/);
      assert.equal(hasTag(repo), false, "no tag after a failed push");
      assert.equal(existsSync(join(cacheDir, `${key}.json`)), false, "the stale entry is dropped");
      const next = await push();
      assert.equal(next.status, 0, next.stderr);
      assert.ok(hasTag(repo));
      assert.deepEqual(new DigestCache(cacheDir).read(key), entry, "hashed again and recorded");
    });
  }

  test("a corrupt or unreadable cache file is ignored: the layer is hashed and its entry written again", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    prepare();
    const { key, entry, paths } = editedEntry();
    const file = join(cacheDir, `${key}.json`);
    const corruptions: [string, () => void][] = [
      ["not JSON", () => writeFileSync(file, '{"format": "stream-layered-image digest cache 1", "sha2')],
      ["its own check does not match (edited by hand)", () => writeFileSync(file, readFileSync(file, "utf8").replace(/"size":\d+/, '"size":1'))],
      ["not a file", () => (rmSync(file), runTool("mkdir", [file]))],
    ];
    for (const [name, corrupt] of corruptions) {
      new DigestCache(cacheDir).writeEntry(key, entry, paths);
      corrupt();
      const events: ProgressEvent[] = [];
      const image = prepare(events);
      assert.deepEqual([...image.cachedLayers].sort(), [0, 2], name);
      assert.deepEqual(new Set(hashingEvents(events).map((event) => event.layer)), new Set([1]), name);
      const pushed = await pushImage(image, parseImageReference(`${ref("corrupt/app")}:1`), UNCOMPRESSED);
      assert.equal(pushed.layers[1]!.digest, `sha256:${entry.sha256}`, name);
      rmSync(file, { recursive: true, force: true });
    }
  });

  test("oci: a cached layer's blob is checked against its digest; a stale entry fails in one line and leaves no layout", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    prepare();
    const oci = (dir: string) => runCliAsync(["oci", "--compress", "none", "--quiet", "--digest-cache", cacheDir, "--root", store.root, store.conf, dir]);
    const good = await oci(join(work, "layout-cached"));
    assert.equal(good.status, 0, good.stderr);
    const copied = runTool("skopeo", ["copy", "--quiet", `oci:${join(work, "layout-cached")}:1.0`, `oci:${join(work, "layout-copy")}:x`]);
    assert.equal(copied.status, 0, copied.stderr);
    const { key, entry, paths } = editedEntry();
    new DigestCache(cacheDir).writeEntry(key, { ...entry, sha256: `${"0".repeat(63)}2` }, paths);
    const dir = join(work, "layout-stale");
    const failed = await oci(dir);
    assert.equal(failed.status, 1, failed.stderr);
    assert.match(failed.stderr, new RegExp(`^stream-layered-image: Layer 2/4 \\(store paths "${EDITED_PATH}"\\): its digest cache entry .* does not match the store: .*the entry was dropped, the next run hashes the layer\\n$`));
    assert.equal(existsSync(dir), false, "no layout");
    assert.equal(existsSync(join(cacheDir, `${key}.json`)), false);
  });

  test("the default cache is $XDG_CACHE_HOME's; --no-digest-cache reads and writes none; an unwritable one is none; both options together are bad usage", async (t) => {
    if (missing !== undefined) return skipOrFailClients(t, missing);
    rmSync(defaultCache, { recursive: true, force: true });
    const none = await runCliAsync(["push", "--compress", "none", "--quiet", "--no-digest-cache", "--root", store.root, store.conf, ref("nocache/app:1")]);
    assert.equal(none.status, 0, none.stderr);
    assert.equal(existsSync(defaultCache), false);
    const filled = await runCliAsync(["push", "--compress", "none", "--quiet", "--root", store.root, store.conf, ref("nocache/app:2")]);
    assert.equal(filled.status, 0, filled.stderr);
    assert.deepEqual(readdirSync(defaultCache).map((name) => name.slice(name.indexOf("."))).sort(), [".json", ".json", ".json", ".walk", ".walk", ".walk"], "an entry and its walk per store layer");
    // A cache that cannot be written is no cache: the push goes on.
    const unwritable = await runCliAsync(["push", "--compress", "none", "--quiet", "--digest-cache", join(store.conf, "under-a-file"), "--root", store.root, store.conf, ref("nocache/app:4")]);
    assert.equal(unwritable.status, 0, unwritable.stderr);
    assert.equal(unwritable.stderr, "");
    const both = await runCliAsync(["push", "--compress", "none", "--digest-cache", cacheDir, "--no-digest-cache", store.conf, ref("nocache/app:3")]);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /^stream-layered-image: push: --digest-cache and --no-digest-cache exclude each other\n$/);
  });
});
