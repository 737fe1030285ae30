/**
 * Whole-image differential test against the live reference: one seeded
 * random store (every entry kind, the name traps) plus customisation layer
 * directories, a dozen random confs written as JSON text (key order,
 * duplicate keys, escapes, number spellings, tricky `created` values), and
 * for each conf and CPython profile the reference script (under
 * with-store) and our CLI must exit 0 with identical stdout bytes and
 * identical stderr text.  TZ alternates between New York and Berlin, so
 * naive `created` values exercise both.
 *
 * The seed is SLI_SEED when set, a fixed one under CI=true
 * (test/support/prng.ts), else new per run; it is in the test name and
 * every failure message.  On a mismatch the store, the confs and both
 * images are kept on disk (the message says where).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PythonVersion } from "../src/py/version.ts";
import { pythonFor, referenceUnavailable, runReferenceImage } from "./support/reference.ts";
import { runOurCliInProcess } from "./support/cli-in-process.ts";
import { isRequired, missingMessage, skipOrFail } from "./support/requirements.ts";
import { buildDifferentialStore, mismatchReport } from "./support/differential-store.ts";
import { ConfWriter, type RandomConf } from "./support/random-conf.ts";
import { describeSeed, differentialSeed } from "./support/prng.ts";

/** SLI_DIFF_CONFS raises it for a longer soak run. */
const CONFS = Math.max(1, Number(process.env.SLI_DIFF_CONFS ?? 12));
/** 3.8 (oldest tarfile/json/datetime) and 3.13 (the default) are required; 3.11 (new fromisoformat) when present. */
const REQUIRED_PROFILES: readonly PythonVersion[] = ["3.8", "3.13"];
const OPTIONAL_PROFILES: readonly PythonVersion[] = ["3.11"];
const TZS = ["America/New_York", "Europe/Berlin"] as const;
/** SLI_SEED when set, this fixed seed under CI=true, else a new one per run; printed in the test name. */
const chosen = differentialSeed(20261131);
const { seed } = chosen;

function skipNotice(t: { skip(message?: string): void }, why: string): void {
  skipOrFail(t, "reference", `differential image test: ${why}`, true);
}

test(`differential image: ${CONFS} random confs x profiles ${[...REQUIRED_PROFILES, ...OPTIONAL_PROFILES].join("/")}, whole image + stderr vs the reference (${describeSeed(chosen)})`, async (t) => {
  const problem = referenceUnavailable();
  if (problem !== undefined) return skipNotice(t, problem);
  const missing = REQUIRED_PROFILES.filter((v) => pythonFor(v) === undefined);
  if (missing.length > 0) return skipNotice(t, `python ${missing.join(", ")} not found`);
  const profiles = [...REQUIRED_PROFILES, ...OPTIONAL_PROFILES.filter((v) => pythonFor(v) !== undefined)];
  for (const v of OPTIONAL_PROFILES.filter((p) => !profiles.includes(p))) {
    if (isRequired("reference")) assert.fail(missingMessage("reference", `differential image test: optional profile ${v}: python ${v} not found`));
    process.stderr.write(`\n*** SKIPPED differential image test for optional profile ${v}: python ${v} not found ***\n`);
  }

  const { store, usable, layersUsable, inner } = buildDifferentialStore(seed, "differential-image");
  let keep = false;
  try {
    if (layersUsable.length === 0) return skipOrFail(t, "privilege", "differential image test: cannot build any customisation layer here", true);
    const writer = new ConfWriter(seed, usable, layersUsable, inner);
    const confs: (RandomConf & { file: string })[] = [];
    for (let i = 0; i < CONFS; i++) {
      const conf = writer.conf();
      const file = join(store.root, `conf-${i}.json`);
      writeFileSync(file, conf.text, "utf8");
      confs.push({ ...conf, file });
    }

    const failures: string[] = [];
    let compared = 0;
    const started = Date.now();
    for (const [i, conf] of confs.entries()) {
      for (const [p, python] of profiles.entries()) {
        const tz = TZS[(i + p) % TZS.length]!;
        const reference = runReferenceImage(pythonFor(python)!, store.root, conf.file, tz);
        const ours = await runOurCliInProcess(["--python", python, "--root", store.root, conf.file], tz);
        compared++;
        const report = mismatchReport(store, { conf: i, python, file: conf.file }, reference, ours, `conf ${i}, python ${python}, TZ=${tz} (SLI_SEED=${seed}):`, [
          `  conf text: ${JSON.stringify(conf.text)}`,
          `  store layers: ${JSON.stringify(conf.storeLayers)}, customisation layer: ${JSON.stringify(conf.customisationLayer)}, created: ${JSON.stringify(conf.created)}`,
        ]);
        if (report !== undefined) failures.push(report);
      }
    }
    t.diagnostic(`seed ${seed}: ${compared} (conf, profile) pairs over profiles ${profiles.join(", ")} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    keep = failures.length > 0;
    assert.equal(failures.length, 0, `${failures.length} of ${compared} (conf, profile) pairs differ from the reference (SLI_SEED=${seed}):\n\n${failures.join("\n\n")}`);
    assert.equal(compared, CONFS * profiles.length, `expected ${CONFS * profiles.length} compared pairs (SLI_SEED=${seed})`);
    assert.ok(compared >= REQUIRED_PROFILES.length, `nothing compared (SLI_SEED=${seed})`);
  } finally {
    if (keep) process.stderr.write(`\ndifferential image test (SLI_SEED=${seed}): store, confs and images kept in ${store.root}\n`);
    else store.remove();
  }
});
