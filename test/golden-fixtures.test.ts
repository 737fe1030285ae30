/**
 * The fixture descriptions kept in golden/ are those of test/fixtures/: a
 * fixture edited without `npm run golden` would leave goldens made from
 * other trees than the definitions say.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LAYER_GOLDEN_DIR } from "./support/golden-layers.ts";
import { CURRENT_GOLDEN_DIR } from "./support/golden-current.ts";
import { IMAGE_GOLDEN_DIR } from "./support/golden-images.ts";
import { currentFixturesText, imageFixturesText, layerFixturesText } from "./support/fixture-descriptions.ts";

test("golden/layers/fixtures.json describes test/fixtures/layer-fixtures.ts (else: npm run golden -- layers)", () => {
  assert.equal(readFileSync(join(LAYER_GOLDEN_DIR, "fixtures.json"), "utf8"), layerFixturesText());
});

test("golden/images/fixtures.json describes test/fixtures/image-fixtures.ts (else: npm run golden -- images)", () => {
  assert.equal(readFileSync(join(IMAGE_GOLDEN_DIR, "fixtures.json"), "utf8"), imageFixturesText());
});

test("golden/current/fixtures.json describes test/fixtures/current-fixtures.ts (else: npm run golden -- current)", () => {
  assert.equal(readFileSync(join(CURRENT_GOLDEN_DIR, "fixtures.json"), "utf8"), currentFixturesText());
});
