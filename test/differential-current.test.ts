/**
 * Whole-image differential test against today's nixpkgs script, found
 * through SLI_CURRENT_REFERENCE (public code, kept outside the repository;
 * SKIPPED when unset, as in CI, where golden/current/ carries the check).
 * One seeded random store (every entry kind, symlinked store paths, the
 * name traps) and random confs of the current shape (owners in every
 * spelling int() accepts, names needing PAX records, mtime apart from
 * created, store_dir variants, -t/--repo_tag), under CPython 3.11, 3.12,
 * 3.13 (and 3.8 when present): the reference (under with-store) and our
 * CLI must exit 0 with identical stdout bytes and stderr text.
 *
 * SLI_DIFF_CURRENT_CONFS sets the number of confs (default 8).  The seed is
 * SLI_SEED when set, a fixed one under CI=true (test/support/prng.ts), else
 * new per run; it is in the test name and failures.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { skipOptional } from "./support/requirements.ts";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PythonVersion } from "../src/py/version.ts";
import { currentReferenceUnavailable, pythonFor, runCurrentReferenceImage, runOurCli } from "./support/reference.ts";
import { buildDifferentialStore, mismatchReport } from "./support/differential-store.ts";
import { ConfWriter } from "./support/random-conf.ts";
import { describeSeed, differentialSeed } from "./support/prng.ts";

const CONFS = Math.max(1, Number(process.env.SLI_DIFF_CURRENT_CONFS ?? 8));
const REQUIRED_PROFILES: readonly PythonVersion[] = ["3.11", "3.12", "3.13"];
const OPTIONAL_PROFILES: readonly PythonVersion[] = ["3.8"];
/** SLI_SEED when set, this fixed seed under CI=true, else a new one per run; printed in the test name. */
const chosen = differentialSeed(20261132);
const { seed } = chosen;

function skipNotice(t: { skip(message?: string): void }, why: string): void {
  skipOptional(t, `differential test of the current script: ${why}`, true);
}

test(`differential image, current script: ${CONFS} random confs x profiles ${[...REQUIRED_PROFILES, ...OPTIONAL_PROFILES].join("/")} (${describeSeed(chosen)})`, (t) => {
  const problem = currentReferenceUnavailable();
  if (problem !== undefined) return skipNotice(t, problem);
  const missing = REQUIRED_PROFILES.filter((v) => pythonFor(v) === undefined);
  if (missing.length > 0) return skipNotice(t, `python ${missing.join(", ")} not found`);
  const profiles = [...REQUIRED_PROFILES, ...OPTIONAL_PROFILES.filter((v) => pythonFor(v) !== undefined)];

  const { store, usable, layersUsable, inner } = buildDifferentialStore(seed, "differential-current");
  let keep = false;
  try {
    if (layersUsable.length === 0) return skipNotice(t, "cannot build any customisation layer here");
    const writer = new ConfWriter(seed, usable, layersUsable, inner);
    const failures: string[] = [];
    let compared = 0;
    for (let i = 0; i < CONFS; i++) {
      const conf = writer.currentConf();
      const file = join(store.root, `conf-${i}.json`);
      writeFileSync(file, conf.text, "utf8");
      for (const python of profiles) {
        const reference = runCurrentReferenceImage(pythonFor(python)!, store.root, conf.args, file);
        const ours = runOurCli(["--python", python, "--root", store.root, ...conf.args, file], "UTC");
        compared++;
        const report = mismatchReport(store, { conf: i, python, file }, reference, ours, `conf ${i}, python ${python}, args ${JSON.stringify(conf.args)} (SLI_SEED=${seed}):`, [
          `  conf text: ${JSON.stringify(conf.text)}`,
        ]);
        if (report !== undefined) failures.push(report);
      }
    }
    t.diagnostic(`seed ${seed}: ${compared} (conf, profile) pairs over profiles ${profiles.join(", ")}`);
    keep = failures.length > 0;
    assert.equal(failures.length, 0, `${failures.length} of ${compared} (conf, profile) pairs differ from the reference (SLI_SEED=${seed}):\n\n${failures.slice(0, 5).join("\n\n")}`);
    assert.equal(compared, CONFS * profiles.length);
  } finally {
    if (keep) process.stderr.write(`\ndifferential test of the current script (SLI_SEED=${seed}): store, confs and images kept in ${store.root}\n`);
    else store.remove();
  }
});
