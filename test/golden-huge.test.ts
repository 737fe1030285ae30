/**
 * The slow golden: an 8 GiB + 3 byte sparse file (size needs a PAX record).
 * The reference's tarball is too large to commit; its sha256 and size are.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PythonVersion } from "../src/py/version.js";
import { LAYER_GOLDEN_DIR, readLayerFixtures, readLayerManifest } from "./support/golden-layers.js";
import { makeFixtureStore } from "./support/fixture-store.js";
import { ourLayerDigest } from "./support/layer-bytes.js";

const fixtures = readLayerFixtures();
const manifest = readLayerManifest();

for (const layerCase of fixtures.cases.filter((c) => c.store === "huge")) {
  test(`slow golden: ${layerCase.name} (sha256 and size of an 8 GiB layer)`, { timeout: 10 * 60_000 }, async () => {
    const store = makeFixtureStore(fixtures.stores.huge, "huge");
    try {
      const profiles = Object.entries(manifest[layerCase.name] ?? {}) as [PythonVersion, string][];
      assert.ok(profiles.length >= 2, "golden digests for 3.8 and a newer profile");
      for (const [python, file] of profiles) {
        const expected = JSON.parse(readFileSync(join(LAYER_GOLDEN_DIR, file), "utf8")) as { sha256: string; size: number };
        assert.deepEqual(await ourLayerDigest(layerCase.paths, layerCase.mtime, store.root, python), expected, `python ${python}`);
      }
    } finally {
      store.remove();
    }
  });
}
