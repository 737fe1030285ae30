/**
 * Warm runs over symlinked store paths (the 2020 script walks through them):
 * the directory a link leads to is listed but is no entry of the walk, so
 * the digest cache keeps it as a row of its own and looks at it through the
 * link again.  An entry added there, or a dangling link that comes to lead to
 * a directory, is a miss: the layer is hashed again and the bytes are those
 * of a run without the cache.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { makeFixtureStore, type FixtureStore } from "./support/fixture-store.ts";
import { storePath } from "./fixtures/layer-fixtures.ts";
import { runImage } from "./support/warm-store.ts";

const TARGET = storePath(60, "target");
const LINKED = storePath(61, "linked");
const DANGLING = storePath(62, "dangling");
const LATER = storePath(63, "later");
const CUSTOM = storePath(64, "customisation");

describe("the digest cache over symlinked store paths", () => {
  let store: FixtureStore;
  let conf: string;
  let cacheDir: string;
  const image = (...args: string[]) => runImage([...(args.includes("--no-digest-cache") ? [] : ["--digest-cache", cacheDir]), "--root", store.root, ...args, conf]);
  const expectBytesOfACold = async (run: Awaited<ReturnType<typeof image>>): Promise<void> => {
    const cold = await image("--no-digest-cache");
    assert.equal(cold.status, 0, cold.stderr);
    assert.ok(run.stdout.equals(cold.stdout), "the bytes of a run without the cache");
  };

  before(() => {
    store = makeFixtureStore(
      [
        { path: `${TARGET}/lib/a`, type: "file", text: "a\n" },
        { path: LINKED, type: "symlink", target: TARGET },
        { path: DANGLING, type: "symlink", target: LATER },
        { path: `${CUSTOM}/layer.tar`, type: "file", text: "layer" },
        { path: `${CUSTOM}/checksum`, type: "file", text: "c".repeat(64) },
      ],
      "warm-links",
    );
    conf = join(store.root, "conf.json");
    writeFileSync(conf, JSON.stringify({ architecture: "amd64", config: {}, created: "2024-01-01T00:00:00+00:00", repo_tag: "links:1", store_layers: [[LINKED], [DANGLING]], customisation_layer: CUSTOM }));
    cacheDir = mkdtempSync(join(tmpdir(), "sli-warm-links-"));
  });
  after(() => {
    store?.remove();
    if (cacheDir !== undefined) rmSync(cacheDir, { recursive: true, force: true });
  });

  test("both layers kept with their walks; a warm run hashes neither and gives the same bytes", async () => {
    assert.equal((await image()).status, 0);
    assert.equal(readdirSync(cacheDir).filter((name) => name.endsWith(".walk")).length, 2);
    const warm = await image();
    assert.equal(warm.status, 0, warm.stderr);
    assert.deepEqual([warm.hashed, warm.cached], [new Set(), new Set([0, 1])]);
    await expectBytesOfACold(warm);
  });

  test("an entry added in the directory a store path links to (listed, but no entry of the walk): that layer is hashed again", async () => {
    assert.equal((await image()).status, 0);
    await sleep(20);
    writeFileSync(join(store.root, TARGET, "b"), "b\n");
    try {
      const run = await image();
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual([run.hashed, run.cached], [new Set([0]), new Set([1])]);
      await expectBytesOfACold(run);
    } finally {
      rmSync(join(store.root, TARGET, "b"));
    }
  });

  test("a dangling store path link that comes to lead to a directory: that layer is hashed again (now walked through)", async () => {
    assert.equal((await image()).status, 0);
    mkdirSync(join(store.root, LATER));
    writeFileSync(join(store.root, LATER, "new"), "new\n");
    try {
      const run = await image();
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual([run.hashed, run.cached], [new Set([1]), new Set([0])]);
      await expectBytesOfACold(run);
      assert.ok(run.stdout.includes(Buffer.from(`${DANGLING.slice(1)}/new`)), "the new file is in the image");
    } finally {
      rmSync(join(store.root, LATER), { recursive: true });
    }
  });
});
