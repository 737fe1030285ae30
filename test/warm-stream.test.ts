/**
 * Warm rebuilds of the image command: a cold run fills the digest cache, a
 * warm one gives the same bytes without a hash pass; a store file changed
 * since the entry (content, mode, mtime: each moves its ctime) is a miss; an
 * entry edited to be wrong yet well formed is caught as the layer streams
 * (exit 1, one line, a truncated tarball, -o untouched, the entry dropped,
 * the next run right); a corrupt entry is ignored; --no-digest-cache hashes
 * everything and writes nothing.  Every cache is a temporary directory.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DigestCache, type CachedDigest } from "../src/passes/digest-cache.ts";
import { parseTarLayout } from "../src/tar/inspect.ts";
import { EDITED, EDITED_FILE, SMALL, entryFiles, entryOf, makeWarmStore, runImage, type WarmStore } from "./support/warm-store.ts";

const ALL = new Set([0, 1, 2]);

describe("the image command with a digest cache", () => {
  let store: WarmStore;
  let cacheDir: string;
  let expected: Buffer;
  const image = (...args: string[]) => runImage([...(args.includes("--no-digest-cache") ? [] : ["--digest-cache", cacheDir]), "--root", store.root, ...args, store.conf]);
  const cold = async (): Promise<Buffer> => {
    const run = await runImage(["--no-digest-cache", "--root", store.root, store.conf]);
    assert.equal(run.status, 0, run.stderr);
    return run.stdout;
  };
  const edited = () => join(store.root, EDITED_FILE);
  /** The file's bytes replaced in place, its mode kept (0555: not writable as it is, but by root). */
  const rewrite = (text: string): void => {
    chmodSync(edited(), 0o755);
    writeFileSync(edited(), text);
    chmodSync(edited(), 0o555);
  };

  before(async () => {
    store = makeWarmStore("warm-stream");
    cacheDir = mkdtempSync(join(tmpdir(), "sli-warm-cache-"));
    expected = await cold();
  });
  after(() => {
    store?.remove();
    if (cacheDir !== undefined) rmSync(cacheDir, { recursive: true, force: true });
  });

  test("--no-digest-cache hashes every layer and writes no entry", async () => {
    const run = await image("--no-digest-cache");
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.hashed, ALL);
    assert.deepEqual(entryFiles(cacheDir), []);
    assert.ok(run.stdout.equals(expected));
  });

  test("a cold run fills the cache; a warm run hashes no layer and gives the same bytes", async () => {
    const first = await image();
    assert.equal(first.status, 0, first.stderr);
    assert.deepEqual([first.hashed, first.cached], [ALL, new Set()]);
    assert.equal(entryFiles(cacheDir).length, 3, "one entry per store layer");
    assert.equal(readdirSync(cacheDir).filter((name) => name.endsWith(".walk")).length, 3, "and its walk");
    assert.ok(first.stdout.equals(expected));
    const warm = await image();
    assert.equal(warm.status, 0, warm.stderr);
    assert.deepEqual([warm.hashed, warm.cached], [new Set(), ALL]);
    assert.ok(warm.stdout.equals(expected), "the bytes of a run without the cache");
    assert.equal(warm.stderr, first.stderr, "the reference's lines, unchanged");
    // A warm cache does not stop --no-digest-cache from reading every byte.
    assert.deepEqual((await image("--no-digest-cache")).hashed, ALL);
  });

  const changes: [string, () => void, () => void][] = [
    ["its content (same size)", () => rewrite("other version\n"), () => rewrite("first version\n")],
    ["its mode", () => chmodSync(edited(), 0o755), () => chmodSync(edited(), 0o555)],
    ["its mtime alone (not in the layer: only its ctime tells)", () => utimesSync(edited(), 1e9, 1e9), () => {}],
  ];
  for (const [name, change, undo] of changes) {
    test(`a store file changed after its entry, ${name}: its layer alone is hashed again, the bytes are right`, async () => {
      assert.equal((await image()).status, 0);
      const { ctimeMs } = statSync(edited());
      // The change must land on a later tick of the filesystem's clock than the entry's walk.
      await sleep(20);
      change();
      try {
        assert.notEqual(statSync(edited()).ctimeMs, ctimeMs, "the change moved the file's ctime");
        const run = await image();
        assert.equal(run.status, 0, run.stderr);
        assert.deepEqual([run.hashed, run.cached], [new Set([1]), new Set([0, 2])]);
        assert.ok(run.stdout.equals(await cold()), "the bytes of a run without the cache");
      } finally {
        undo();
      }
    });
  }

  test("a file added to a directory of a cached store path, then removed again: each time its layer alone is hashed again (the directory's ctime moved), the bytes are right", async () => {
    assert.equal((await image()).status, 0);
    const added = join(store.root, EDITED, "bin", "added");
    for (const change of [() => writeFileSync(added, "new\n"), () => rmSync(added)]) {
      // The change must land on a later tick of the filesystem's clock than the entry's walk.
      await sleep(20);
      change();
      const run = await image();
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual([run.hashed, run.cached], [new Set([1]), new Set([0, 2])]);
      assert.ok(run.stdout.equals(await cold()), "the bytes of a run without the cache");
    }
  });

  const stale: [string, (entry: CachedDigest) => CachedDigest, RegExp][] = [
    ["sha256", (entry) => ({ ...entry, sha256: `${"0".repeat(63)}1` }), /: sha256:[0-9a-f]{64} streamed, sha256:0{63}1 recorded; /],
    ["size", (entry) => ({ ...entry, size: entry.size - 512 }), /: more than its \d+ bytes streamed; /],
  ];
  for (const [field, wrong, detail] of stale) {
    test(`an entry whose ${field} is wrong, its metadata current: exit 1, one line, a truncated tarball, -o untouched; the entry is dropped and the next run is right`, async () => {
      assert.equal((await image()).status, 0);
      const entry = entryOf(cacheDir, EDITED);
      // Written by the cache itself (the walk kept as it was): its own check holds, so only the stream can tell.
      const walk = readFileSync(join(cacheDir, `${entry.key}.walk`));
      const makeStale = () => {
        writeFileSync(join(cacheDir, `${entry.key}.walk`), walk);
        new DigestCache(cacheDir).writeEntry(entry.key, wrong(entry), entry.paths);
      };
      const output = join(cacheDir, "..", `${cacheDir.split("/").pop()}-image.tar`);
      writeFileSync(output, "the previous image");
      try {
        makeStale();
        const failed = await image("-o", output);
        assert.equal(failed.status, 1, failed.stderr);
        assert.equal(readFileSync(output, "utf8"), "the previous image");
        makeStale();
        const piped = await image();
        assert.equal(piped.status, 1);
        assert.equal(piped.stderr, failed.stderr);
        const lines = failed.stderr.split("\n").filter((line) => line.startsWith("stream-layered-image: "));
        assert.equal(lines.length, 1, failed.stderr);
        assert.match(lines[0]!, new RegExp(`^stream-layered-image: Layer 1 \\(store paths "${EDITED}"\\) does not match its digest cache entry: `));
        assert.match(lines[0]!, detail);
        assert.match(lines[0]!, /; the entry was dropped, the next run hashes the layer$/);
        assert.ok(piped.stdout.length < expected.length, "truncated");
        assert.equal(parseTarLayout(piped.stdout).members.some((member) => member.name.toString() === "manifest.json"), false, "never the whole tarball");
        assert.equal(existsSync(join(cacheDir, `${entry.key}.json`)), false, "the entry is dropped");
        const next = await image();
        assert.equal(next.status, 0, next.stderr);
        assert.deepEqual(next.hashed, new Set([1]));
        assert.ok(next.stdout.equals(expected));
        assert.deepEqual(new DigestCache(cacheDir).read(entry.key), { sha256: entry.sha256, size: entry.size, crc32: entry.crc32, walk: entry.walk });
      } finally {
        rmSync(output, { force: true });
      }
    });
  }

  test("an entry whose CRC-32 alone is wrong: the stream checks the sha256 (the bytes are the entry's), so the image is right; the CRC-32 is an upload's check", async () => {
    assert.equal((await image()).status, 0);
    const entry = entryOf(cacheDir, EDITED);
    new DigestCache(cacheDir).writeEntry(entry.key, { ...entry, crc32: (entry.crc32 + 1) % 2 ** 32 }, entry.paths);
    try {
      const run = await image();
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(run.cached, ALL, "no layer hashed");
      assert.ok(run.stdout.equals(expected), "the bytes of a run without the cache");
    } finally {
      new DigestCache(cacheDir).writeEntry(entry.key, entry, entry.paths);
    }
  });

  test("a cached layer's store path gone: the error of a run without the cache, exit 2, nothing written", async () => {
    assert.equal((await image()).status, 0);
    const path = join(store.root, EDITED);
    renameSync(path, `${path}.away`);
    try {
      const withoutCache = await image("--no-digest-cache");
      const run = await image();
      assert.equal(run.status, 2, run.stderr);
      assert.equal(run.stderr, withoutCache.stderr);
      assert.match(run.stderr, new RegExp(EDITED));
      assert.equal(run.stdout.length, 0, "nothing written");
    } finally {
      renameSync(`${path}.away`, path);
    }
  });

  test("a walk file gone, or not the one its entry names (cut short, another layer's): its layer is hashed again and both written again", async () => {
    assert.equal((await image()).status, 0);
    const entry = entryOf(cacheDir, EDITED);
    const walkFile = join(cacheDir, `${entry.key}.walk`);
    const kept = readFileSync(walkFile);
    const other = readFileSync(join(cacheDir, `${entryOf(cacheDir, SMALL).key}.walk`));
    for (const damage of [() => rmSync(walkFile), () => writeFileSync(walkFile, kept.subarray(0, 100)), () => writeFileSync(walkFile, other)]) {
      damage();
      const run = await image();
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual([run.hashed, run.cached], [new Set([1]), new Set([0, 2])]);
      assert.ok(run.stdout.equals(expected));
      assert.ok(readFileSync(walkFile).equals(kept), "the walk written again");
      assert.equal(entryOf(cacheDir, EDITED).walk, entry.walk);
    }
  });

  test("a corrupt entry file is ignored: its layer is hashed and the entry written again", async () => {
    assert.equal((await image()).status, 0);
    const entry = entryOf(cacheDir, EDITED);
    const file = join(cacheDir, `${entry.key}.json`);
    for (const corrupt of ['{"format": "stream-layered-image digest cache 1", "sha2', readFileSync(file, "utf8").replace(/"size":\d+/, '"size":1')]) {
      writeFileSync(file, corrupt);
      const run = await image();
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(run.hashed, new Set([1]));
      assert.ok(run.stdout.equals(expected));
      assert.equal(entryOf(cacheDir, EDITED).sha256, entry.sha256);
    }
  });
});
