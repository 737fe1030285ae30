/**
 * A layer's walk split in two at any entry (layerWalkPart: the entries
 * before it, then it and those after, each walked on its own) gives back the
 * whole walk, for every entry of every fixture layer (split at the first
 * entry of that name: a store path given twice is walked twice) under each CPython's
 * rglob and each script generation's style: what lets the digest cache
 * check one large layer on two threads.  A name no entry has: the first part
 * is the whole walk and says so, the second yields nothing.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { layerStyle, layerWalk, layerWalkPart, type WalkPart } from "../src/layer/layer-walk.ts";
import type { WalkedEntry } from "../src/store/walk.ts";
import { generationRules } from "../src/profile/generation.ts";
import { PYTHON_VERSIONS } from "../src/profile/python.ts";
import { makeFixtureStore, type FixtureStore } from "./support/fixture-store.ts";
import { readLayerFixtures } from "./support/golden-layers.ts";

const fixtures = readLayerFixtures();

/** The part's entry names and whether the walk found the entry it was split at. */
function part(paths: readonly string[], split: WalkPart, options: Parameters<typeof layerWalk>[1]): { names: string[]; found: boolean } {
  const names: string[] = [];
  const walk = layerWalkPart(paths, split, options);
  for (;;) {
    const step = walk.next();
    if (step.done === true) return { names, found: step.value };
    names.push(step.value.name);
  }
}

function wholeWalk(paths: readonly string[], options: Parameters<typeof layerWalk>[1]): WalkedEntry[] | undefined {
  try {
    return [...layerWalk(paths, options)];
  } catch {
    // A walk that fails whole (a link rglob follows into an error) fails in parts too; nothing to split.
    return undefined;
  }
}

describe("a layer's walk in two parts", () => {
  let store: FixtureStore;
  before(() => {
    store = makeFixtureStore(fixtures.stores.main, "walk-parts");
  });
  after(() => store.remove());

  for (const python of PYTHON_VERSIONS) {
    for (const generation of ["2020", "current"] as const) {
      test(`every fixture layer split at each of its entries (python ${python}, ${generation} generation)`, () => {
        const style = layerStyle(generationRules(generation), { uid: 0, gid: 0, uname: "", gname: "" });
        let splits = 0;
        for (const layerCase of fixtures.cases.filter((c) => c.store === "main" && store.unavailableFor(c.paths) === undefined)) {
          const options = { root: store.root, python, style };
          const whole = wholeWalk(layerCase.paths, options);
          if (whole === undefined) continue;
          const names = whole.map((entry) => entry.name);
          for (const name of names) {
            // A store path given twice walks twice: a split is at its name's first entry.
            const index = names.indexOf(name);
            const label = `${layerCase.name} at ${JSON.stringify(name)} (entry ${index} of ${names.length})`;
            assert.deepEqual(part(layerCase.paths, { until: name }, options), { names: names.slice(0, index), found: true }, label);
            assert.deepEqual(part(layerCase.paths, { from: name }, options), { names: names.slice(index), found: true }, label);
            splits++;
          }
          const absent = `${names[0] ?? "/nix/store/x"}/no such entry`;
          assert.deepEqual(part(layerCase.paths, { until: absent }, options), { names, found: false }, `${layerCase.name}: no such entry`);
          assert.deepEqual(part(layerCase.paths, { from: absent }, options), { names: [], found: false }, `${layerCase.name}: no such entry`);
        }
        assert.ok(splits > 100, `${splits} splits checked`);
      });
    }
  }
});
