/**
 * The slow golden: an 8 GiB + 3 byte sparse file (size needs a PAX record).
 * The reference's tarball is too large to commit; its sha256 and size are.
 *
 * Hashing 8 GiB costs about 25 s of CPU per profile, so a test run checks
 * the newer profile's golden only; the 3.8 one differs from it only in
 * header fields (devmajor/devminor) that the small goldens check under every
 * profile.  SLI_HUGE_ALL_PROFILES=1 checks every recorded profile.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PythonVersion } from "../src/py/version.ts";
import { LAYER_GOLDEN_DIR, readLayerFixtures, readLayerManifest } from "./support/golden-layers.ts";
import { makeFixtureStore } from "./support/fixture-store.ts";
import { ourLayerDigest } from "./support/layer-bytes.ts";

const fixtures = readLayerFixtures();
const manifest = readLayerManifest();

for (const layerCase of fixtures.cases.filter((c) => c.store === "huge")) {
  test(`slow golden: ${layerCase.name} (sha256 and size of an 8 GiB layer)`, { timeout: 10 * 60_000 }, async () => {
    const store = makeFixtureStore(fixtures.stores.huge, "huge");
    try {
      const recorded = Object.entries(manifest[layerCase.name] ?? {}) as [PythonVersion, string][];
      assert.ok(recorded.length >= 2 && recorded.some(([python]) => python === "3.8"), "golden digests for 3.8 and a newer profile");
      const profiles = process.env.SLI_HUGE_ALL_PROFILES === "1" ? recorded : recorded.filter(([python]) => python !== "3.8").slice(-1);
      assert.equal(profiles.length > 0, true);
      for (const [python, file] of profiles) {
        const expected = JSON.parse(readFileSync(join(LAYER_GOLDEN_DIR, file), "utf8")) as { sha256: string; size: number };
        assert.deepEqual(await ourLayerDigest(layerCase.paths, layerCase.mtime, store.root, python), expected, `python ${python}`);
      }
    } finally {
      store.remove();
    }
  });
}
