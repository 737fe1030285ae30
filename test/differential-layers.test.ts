/**
 * Differential test against the live reference: seeded random stores, the
 * reference's archive_paths_to (under with-store) and ours must write the
 * same bytes.  The seed is SLI_SEED when set, a fixed one under CI=true
 * (test/support/prng.ts), else new per run; the test name prints it and a
 * failure repeats it, so any run can be repeated.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { diffTar, formatTarDifference } from "../src/tar/diff.ts";
import type { PythonVersion } from "../src/py/version.ts";
import { pythonFor, referenceUnavailable, runReferenceLayers } from "./support/reference.ts";
import { randomLayerCases, randomStore } from "./support/random-tree.ts";
import { makeFixtureStore } from "./support/fixture-store.ts";
import { ourLayer } from "./support/layer-bytes.ts";
import { skipOrFail } from "./support/requirements.ts";
import { describeSeed, differentialSeed } from "./support/prng.ts";

const STORE_PATHS = 40;
const CASES = 60;
const PROFILES: readonly PythonVersion[] = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"];
/** SLI_SEED when set, this fixed seed under CI=true, else a new one per run; printed in the test name. */
const chosen = differentialSeed(20261130);
const { seed } = chosen;

for (const python of PROFILES) {
  test(`differential: ${CASES} random layers, reference under python ${python} (${describeSeed(chosen)})`, async (t) => {
    const problem = referenceUnavailable();
    const interpreter = pythonFor(python);
    if (problem !== undefined || interpreter === undefined) {
      return skipOrFail(t, "reference", `differential layer test: ${problem ?? `python ${python} not found`}`, true);
    }
    const spec = randomStore(seed, STORE_PATHS, process.getuid?.() === 0);
    const store = makeFixtureStore(spec.entries, "differential");
    try {
      const cases = randomLayerCases(seed, spec, CASES);
      const outputs = cases.map((_, i) => join(store.root, `reference-${i}.tar`));
      runReferenceLayers(interpreter, store.root, cases.map((c, i) => ({ paths: c.paths, mtime: c.mtime, out: outputs[i]! })));
      let compared = 0;
      for (const [i, layerCase] of cases.entries()) {
        const expected = readFileSync(outputs[i]!);
        const actual = await ourLayer(layerCase.paths, layerCase.mtime, store.root, python);
        const difference = diffTar(expected, actual);
        assert.equal(difference && `case ${i} ${JSON.stringify(layerCase)} (SLI_SEED=${seed}): ${formatTarDifference(difference)}`, undefined);
        compared++;
      }
      assert.equal(compared, CASES);
    } finally {
      store.remove();
    }
  });
}
