/**
 * Whole images: our CLI against the reference's golden stdout and stderr for
 * every conf in golden/images/fixtures.json and every CPython profile.
 * Where the reference rejected a conf, ours must fail too, writing nothing.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { diffTar, formatTarDifference } from "../src/tar/diff.js";
import type { PythonVersion } from "../src/py/version.js";
import { IMAGE_GOLDEN_DIR, readImageFixtures, readImageManifest } from "./support/golden-images.js";
import { makeFixtureStore, type FixtureStore } from "./support/fixture-store.js";
import { runOurCli } from "./support/reference.js";

const fixtures = readImageFixtures();
const manifest = readImageManifest();

describe("golden images", () => {
  let store: FixtureStore;
  before(() => {
    store = makeFixtureStore(fixtures.store, "golden-images");
  });
  after(() => store.remove());

  for (const imageCase of fixtures.cases) {
    for (const [python, outcome] of Object.entries(manifest[imageCase.name] ?? {}) as [PythonVersion, NonNullable<(typeof manifest)[string][PythonVersion]>][]) {
      test(`${imageCase.name} (python ${python}, TZ=${imageCase.tz ?? "unset"})`, (t) => {
        const unavailable = store.unavailableFor(fixtures.store.map((e) => e.path));
        if (unavailable !== undefined) {
          t.skip(`SKIPPED: fixture entries cannot be created on this machine: ${unavailable}`);
          return;
        }
        const confPath = join(store.root, `${imageCase.name}.json`);
        writeFileSync(confPath, imageCase.conf);
        const ours = runOurCli(["--python", python, "--root", store.root, confPath], imageCase.tz);
        if ("image" in outcome) {
          assert.equal(ours.status, 0, `exit status; stderr: ${ours.stderr}`);
          const difference = diffTar(readFileSync(join(IMAGE_GOLDEN_DIR, outcome.image)), ours.stdout);
          assert.equal(difference && formatTarDifference(difference), undefined);
          assert.equal(ours.stderr, readFileSync(join(IMAGE_GOLDEN_DIR, outcome.stderr), "utf8"));
        } else {
          assert.notEqual(ours.status, 0, `the reference failed with ${outcome.error}; ours must fail too`);
          assert.equal(ours.stdout.length, 0, "nothing on stdout");
        }
      });
    }
  }
});
