/**
 * Layer tarballs byte-identical to the ones the reference wrote for the
 * fixture stores in golden/layers/fixtures.json, for every CPython profile
 * (regenerate with `npm run golden`).  Needs no python.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { diffTar, formatTarDifference } from "../src/tar/diff.ts";
import type { PythonVersion } from "../src/py/version.ts";
import { LAYER_GOLDEN_DIR, readLayerFixtures, readLayerManifest } from "./support/golden-layers.ts";
import { makeFixtureStore, skipIfUnavailable, type FixtureStore } from "./support/fixture-store.ts";
import { ourLayer } from "./support/layer-bytes.ts";

const fixtures = readLayerFixtures();
const manifest = readLayerManifest();

describe("golden layer tarballs", () => {
  let store: FixtureStore;
  before(() => {
    store = makeFixtureStore(fixtures.stores.main, "golden");
  });
  after(() => store.remove());

  for (const layerCase of fixtures.cases.filter((c) => c.store === "main")) {
    const profiles = Object.entries(manifest[layerCase.name] ?? {}) as [PythonVersion, string][];
    test(`${layerCase.name}: golden for every profile`, () => assert.equal(profiles.length, 6));
    for (const [python, file] of profiles) {
      test(`${layerCase.name} (python ${python})`, async (t) => {
        if (skipIfUnavailable(t, store, layerCase.paths)) return;
        const expected = readFileSync(join(LAYER_GOLDEN_DIR, file));
        const actual = await ourLayer(layerCase.paths, layerCase.mtime, store.root, python);
        const difference = diffTar(expected, actual);
        assert.equal(difference && formatTarDifference(difference), undefined);
      });
    }
  }
});
