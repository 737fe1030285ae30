/**
 * The fixture descriptions `npm run golden` records beside the goldens, from
 * the definitions in test/fixtures/: the golden tests build their stores
 * from the recorded ones, so both must stay the same.
 */
import { LAYER_CASES, STORES } from "../fixtures/layer-fixtures.ts";
import { IMAGE_CASES, IMAGE_STORE } from "../fixtures/image-fixtures.ts";
import { CURRENT_CASES, CURRENT_STORE } from "../fixtures/current-fixtures.ts";

export function layerFixturesText(): string {
  return JSON.stringify({ stores: STORES, cases: LAYER_CASES }, null, 1) + "\n";
}

export function imageFixturesText(): string {
  return JSON.stringify({ store: IMAGE_STORE, cases: IMAGE_CASES }, null, 1) + "\n";
}

export function currentFixturesText(): string {
  return JSON.stringify({ store: CURRENT_STORE, cases: CURRENT_CASES }, null, 1) + "\n";
}
