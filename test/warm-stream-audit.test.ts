/**
 * The digest cache beyond the image command: streamImage and writeImage
 * keep the default one (and check a cached layer's sha256 as it streams),
 * digestCache: false and prepareImage without one hash everything; `digest`
 * prints a current entry's digests without reading a byte (it trusts the
 * metadata, as push does); `verify` on a plain path never lets a stale entry
 * make IMAGE "differ"; diff's CONF side takes the cache too.  The default
 * cache is this process's temporary $XDG_CACHE_HOME (support/cache-home.ts).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_DIGEST_CACHE } from "./support/cache-home.ts";
import { copyingWritable, runOurCliInProcess } from "./support/cli-in-process.ts";
import { EDITED, entryFiles, entryOf, makeWarmStore, type WarmStore } from "./support/warm-store.ts";
import { imageChunks, prepareImage, streamImage } from "../src/image/image.ts";
import { validateConf } from "../src/conf/validate.ts";
import { readConfFile } from "../src/conf/read.ts";
import { CachedDigestMismatchError, DigestCache } from "../src/passes/digest-cache.ts";
import type { ImageOptions } from "../src/image/types.ts";

const WRONG_SHA = `${"0".repeat(63)}1`;

/** streamImage into memory: the bytes, and the store layers hashed. */
async function streamed(conf: ReturnType<typeof validateConf>, options: ImageOptions): Promise<{ bytes: Buffer; hashed: Set<number> }> {
  const sink = copyingWritable();
  const hashed = new Set<number>();
  await streamImage(conf, sink, { ...options, progress: (event) => (event.phase === "hashing" ? hashed.add(event.layer) : undefined) });
  return { bytes: sink.bytes(), hashed };
}

describe("warm streams in the library and the audit commands", () => {
  let store: WarmStore;
  let work: string;
  let expected: Buffer;
  const conf = () => validateConf(readConfFile(store.conf, "3.13"), store.conf);
  const staleEntry = (dir: string) => {
    const entry = entryOf(dir, EDITED);
    new DigestCache(dir).writeEntry(entry.key, { ...entry, sha256: WRONG_SHA }, entry.paths);
    return entry;
  };
  const cli = (...args: string[]) => runOurCliInProcess(args, "UTC");

  before(() => {
    store = makeWarmStore("warm-audit");
    work = mkdtempSync(join(tmpdir(), "sli-warm-audit-"));
    expected = Buffer.concat([...imageChunks(conf(), { root: store.root })]);
    writeFileSync(join(work, "image.tar"), expected);
  });
  after(() => {
    store?.remove();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  test("streamImage keeps the default cache: the second stream hashes nothing; digestCache: false and prepareImage without one hash all", async () => {
    rmSync(TEST_DIGEST_CACHE, { recursive: true, force: true });
    const none = await streamed(conf(), { root: store.root, digestCache: false });
    assert.deepEqual([none.hashed, existsSync(TEST_DIGEST_CACHE)], [new Set([0, 1, 2]), false]);
    const first = await streamed(conf(), { root: store.root });
    assert.equal(entryFiles(TEST_DIGEST_CACHE).length, 3);
    const second = await streamed(conf(), { root: store.root });
    assert.deepEqual([first.hashed, second.hashed], [new Set([0, 1, 2]), new Set()]);
    assert.ok(first.bytes.equals(expected) && second.bytes.equals(expected));
    assert.equal(prepareImage(conf(), { root: store.root }).cachedLayers.size, 0, "prepareImage takes a cache only when given one");
  });

  test("streamImage with a stale entry rejects with CachedDigestMismatchError and drops the entry", async () => {
    await streamed(conf(), { root: store.root });
    const entry = staleEntry(TEST_DIGEST_CACHE);
    await assert.rejects(streamed(conf(), { root: store.root }), (error) => error instanceof CachedDigestMismatchError && error.layer === 1 && error.paths[0] === EDITED);
    assert.equal(existsSync(join(TEST_DIGEST_CACHE, `${entry.key}.json`)), false);
    const again = await streamed(conf(), { root: store.root });
    assert.deepEqual(again.hashed, new Set([1]));
    assert.ok(again.bytes.equals(expected));
  });

  test("digest: a current entry's digests are printed without reading the layer (metadata trusted); --no-digest-cache reads it", async () => {
    const dir = join(work, "digest-cache");
    const cold = await cli("digest", "--no-digest-cache", "--root", store.root, store.conf);
    assert.equal(cold.status, 0, cold.stderr);
    assert.deepEqual(entryFiles(dir), []);
    const filled = await cli("digest", "--digest-cache", dir, "--root", store.root, store.conf);
    const warm = await cli("digest", "--digest-cache", dir, "--root", store.root, store.conf);
    assert.equal(entryFiles(dir).length, 3);
    assert.deepEqual([filled.stdout.toString(), warm.stdout.toString()], [cold.stdout.toString(), cold.stdout.toString()]);
    const entry = staleEntry(dir);
    const trusted = await cli("digest", "--digest-cache", dir, "--root", store.root, store.conf);
    assert.match(trusted.stdout.toString(), new RegExp(`"sha256:${WRONG_SHA}"`), "the entry, as written: no byte was read");
    assert.doesNotMatch(trusted.stdout.toString(), new RegExp(entry.sha256));
    assert.equal((await cli("digest", "--no-digest-cache", "--root", store.root, store.conf)).stdout.toString(), cold.stdout.toString());
  });

  test("verify on a plain path: warm, identical; a stale entry is never a difference: one line, exit 2, the entry dropped, the next verify identical", async () => {
    const dir = join(work, "verify-cache");
    const verify = () => cli("verify", "--digest-cache", dir, "--root", store.root, store.conf, join(work, "image.tar"));
    for (const run of [await verify(), await verify()]) {
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout.toString(), /^identical: /);
    }
    const entry = staleEntry(dir);
    const stale = await verify();
    assert.equal(stale.status, 2, stale.stdout.toString());
    assert.equal(stale.stdout.length, 0);
    assert.match(stale.stderr, new RegExp(`^stream-layered-image: Layer 1 \\(store paths "${EDITED}"\\) does not match its digest cache entry: sha256:${entry.sha256} streamed, sha256:${WRONG_SHA} recorded; the entry was dropped, the next run hashes the layer\\n$`));
    assert.equal(existsSync(join(dir, `${entry.key}.json`)), false);
    assert.equal((await verify()).status, 0);
  });

  test("diff: a CONF side's layers from a warm cache, the same verdict", async () => {
    const dir = join(work, "diff-cache");
    for (let run = 0; run < 2; run++) {
      const diff = await cli("diff", "--digest-cache", dir, "--root", store.root, store.conf, join(work, "image.tar"));
      assert.equal(diff.status, 0, `${diff.stdout.toString()}${diff.stderr}`);
    }
    assert.equal(entryFiles(dir).length, 3);
  });
});
