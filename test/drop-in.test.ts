/**
 * `node dist/cli.js conf.json > image.tar` inside the store namespace (no
 * --root), exactly as `python3 stream_layered_image.py conf.json` runs there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { diffTar, formatTarDifference } from "../src/tar/diff.ts";
import { IMAGE_GOLDEN_DIR, readImageFixtures, readImageManifest } from "./support/golden-images.ts";
import { makeFixtureStore } from "./support/fixture-store.ts";
import { REPO_ROOT, WITH_STORE, referenceUnavailable } from "./support/reference.ts";
import { skipOrFail } from "./support/requirements.ts";

test("drop-in: our CLI under with-store, reading the real /nix/store, equals the reference's image", (t) => {
  const problem = referenceUnavailable();
  if (problem !== undefined) return skipOrFail(t, "reference", `drop-in test: ${problem}`, true);
  const fixtures = readImageFixtures();
  const manifest = readImageManifest();
  const store = makeFixtureStore(fixtures.store, "drop-in");
  try {
    let compared = 0;
    for (const name of ["tricky-config", "special-files-and-symlinked-store-path", "unicode-paths-and-tag"]) {
      const imageCase = fixtures.cases.find((c) => c.name === name)!;
      const outcome = manifest[name]?.["3.13"];
      assert.ok(outcome !== undefined && "image" in outcome);
      const confPath = join(store.root, `${name}.json`);
      writeFileSync(confPath, imageCase.conf);
      const ours = spawnSync(WITH_STORE, [store.root, "--", process.execPath, join(REPO_ROOT, "dist", "cli.js"), confPath], {
        env: { ...process.env, TZ: imageCase.tz ?? "" },
        maxBuffer: 1 << 30,
      });
      assert.equal(ours.status, 0, ours.stderr.toString());
      const difference = diffTar(readFileSync(join(IMAGE_GOLDEN_DIR, outcome.image)), ours.stdout);
      assert.equal(difference && formatTarDifference(difference), undefined, name);
      assert.equal(ours.stderr.toString(), readFileSync(join(IMAGE_GOLDEN_DIR, outcome.stderr), "utf8"));
      compared++;
    }
    assert.equal(compared, 3);
  } finally {
    store.remove();
  }
});
