/**
 * Whole-image differential test against the live reference: one seeded
 * random store (every entry kind, the name traps) plus customisation layer
 * directories, a dozen random confs written as JSON text (key order,
 * duplicate keys, escapes, number spellings, tricky `created` values), and
 * for each conf and CPython profile the reference script (under
 * with-store) and our CLI (its runCli, in this process) must exit 0 with identical stdout bytes and
 * identical stderr text.  TZ alternates between New York and Berlin, so
 * naive `created` values exercise both.
 *
 * The seed changes per run unless SLI_SEED is set; it is in the test name
 * and every failure message.  On a mismatch the store, the confs and both
 * images are kept on disk (the message says where).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { diffTar, formatTarDifference } from "../src/tar/diff.js";
import { parseTarLayout, type TarMember } from "../src/tar/inspect.js";
import { fsDecode } from "../src/py/fsname.js";
import type { PythonVersion } from "../src/py/version.js";
import { pythonFor, referenceUnavailable, runReferenceImage, type ProcessResult } from "./support/reference.js";
import { runOurCliInProcess } from "./support/cli-in-process.js";
import { randomStore } from "./support/random-tree.js";
import { makeFixtureStore } from "./support/fixture-store.js";
import { ConfWriter, randomCustomisationLayers, type RandomConf } from "./support/random-conf.js";
import { isRequired, missingMessage, skipOrFail } from "./support/requirements.js";

const STORE_PATHS = 25;
const CUSTOMISATION_LAYERS = 4;
/** SLI_DIFF_CONFS raises it for a longer soak run. */
const CONFS = Math.max(1, Number(process.env.SLI_DIFF_CONFS ?? 12));
/** 3.8 (oldest tarfile/json/datetime) and 3.13 (the default) are required; 3.11 (new fromisoformat) when present. */
const REQUIRED_PROFILES: readonly PythonVersion[] = ["3.8", "3.13"];
const OPTIONAL_PROFILES: readonly PythonVersion[] = ["3.11"];
const TZS = ["America/New_York", "Europe/Berlin"] as const;
const seed = process.env.SLI_SEED !== undefined ? Number(process.env.SLI_SEED) : Math.floor(Math.random() * 2 ** 31);

function skipNotice(t: { skip(message?: string): void }, why: string): void {
  skipOrFail(t, "reference", `differential image test: ${why}`, true);
}

function memberName(member: TarMember): string {
  return fsDecode(member.name);
}

/** Where two UTF-8 JSON documents first differ, with some context from each. */
function textDifference(expected: Buffer, actual: Buffer): string {
  const a = expected.toString("utf8");
  const b = actual.toString("utf8");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 60);
  return `first differing character ${i}: expected ${JSON.stringify(a.slice(from, i + 60))}, got ${JSON.stringify(b.slice(from, i + 60))}`;
}

/**
 * The first difference between two images: the outer member/field, and
 * for a layer member the first difference inside the nested layer tarball
 * (its name holds its sha256, so the outer diff lands on the name), for a
 * JSON member the first differing character.
 */
function describeImageDifference(expected: Buffer, actual: Buffer): string | undefined {
  const outer = diffTar(expected, actual);
  if (outer === undefined) return undefined;
  let report = `outer image: ${formatTarDifference(outer)}`;
  try {
    const expectedMembers = parseTarLayout(expected).members;
    const actualMembers = parseTarLayout(actual).members;
    const ours = expectedMembers.find((m) => outer.offset < m.end);
    const theirs = ours === undefined ? undefined : actualMembers[ours.index];
    if (ours === undefined || theirs === undefined) return report;
    const expectedData = expected.subarray(ours.dataOffset, ours.dataOffset + ours.dataSize);
    const actualData = actual.subarray(theirs.dataOffset, theirs.dataOffset + theirs.dataSize);
    const label = `member ${ours.index} (expected ${JSON.stringify(memberName(ours))}, got ${JSON.stringify(memberName(theirs))})`;
    if (memberName(ours).endsWith("/layer.tar") && memberName(theirs).endsWith("/layer.tar")) {
      const inner = diffTar(expectedData, actualData);
      report += inner === undefined ? `\n  ${label}: nested layer bytes are identical` : `\n  inside layer ${label}: ${formatTarDifference(inner)}`;
    } else if (memberName(ours).endsWith(".json")) {
      report += expectedData.equals(actualData) ? `\n  ${label}: JSON content identical` : `\n  JSON ${label}: ${textDifference(expectedData, actualData)}`;
    }
  } catch (error) {
    report += `\n  (could not look inside: ${(error as Error).message})`;
  }
  return report;
}

function firstLineDifference(expected: string, actual: string): string {
  const a = expected.split("\n");
  const b = actual.split("\n");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `stderr line ${i + 1}: expected ${JSON.stringify(a[i] ?? "<end>")}, got ${JSON.stringify(b[i] ?? "<end>")}`;
}

/** Everything wrong with one (conf, profile) pair, or an empty list. */
function compare(reference: ProcessResult, ours: ProcessResult): string[] {
  const problems: string[] = [];
  if (reference.status !== 0) {
    problems.push(`the reference exited with ${reference.status} (the generator made an invalid conf?): ${reference.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  }
  if (ours.status !== 0) problems.push(`our CLI exited with ${ours.status}: ${ours.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  if (reference.status === 0 && ours.status === 0) {
    const difference = describeImageDifference(reference.stdout, ours.stdout);
    if (difference !== undefined) problems.push(difference);
  }
  if (reference.stderr !== ours.stderr) problems.push(firstLineDifference(reference.stderr, ours.stderr));
  return problems;
}

test(`differential image: ${CONFS} random confs x profiles ${[...REQUIRED_PROFILES, ...OPTIONAL_PROFILES].join("/")}, whole image + stderr vs the reference (SLI_SEED=${seed})`, async (t) => {
  const problem = referenceUnavailable();
  if (problem !== undefined) return skipNotice(t, problem);
  const missing = REQUIRED_PROFILES.filter((v) => pythonFor(v) === undefined);
  if (missing.length > 0) return skipNotice(t, `python ${missing.join(", ")} not found`);
  const profiles = [...REQUIRED_PROFILES, ...OPTIONAL_PROFILES.filter((v) => pythonFor(v) !== undefined)];
  for (const v of OPTIONAL_PROFILES.filter((p) => !profiles.includes(p))) {
    if (isRequired("reference")) assert.fail(missingMessage("reference", `differential image test: optional profile ${v}: python ${v} not found`));
    process.stderr.write(`\n*** SKIPPED differential image test for optional profile ${v}: python ${v} not found ***\n`);
  }

  const isRoot = process.getuid?.() === 0;
  const tree = randomStore(seed, STORE_PATHS, isRoot);
  const customisation = randomCustomisationLayers(seed, CUSTOMISATION_LAYERS, isRoot);
  const store = makeFixtureStore([...tree.entries, ...customisation.entries], "differential-image");
  let keep = false;
  try {
    // Only store paths this machine could build completely (devices need CAP_MKNOD).
    const usable = tree.storePaths.filter((p) => store.unavailableFor([p]) === undefined);
    const layersUsable = customisation.paths.filter((p) => store.unavailableFor([p]) === undefined);
    if (layersUsable.length === 0) return skipOrFail(t, "privilege", `differential image test: cannot build the customisation layers here: ${store.unavailableFor(customisation.paths)}`, true);
    const inner = tree.entries
      .map((e) => e.path)
      .filter((path) => !tree.storePaths.includes(path) && usable.some((p) => path.startsWith(p + "/")) && store.unavailableFor([path]) === undefined);
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
        // Our CLI in this process (runCli, what dist/cli.js runs; golden-images.test.ts launches the real one).
        const ours = await runOurCliInProcess(["--python", python, "--root", store.root, conf.file], tz);
        const problems = compare(reference, ours);
        compared++;
        if (problems.length === 0) continue;
        const stem = join(store.root, `conf-${i}-py${python}`);
        if (reference.stdout.length > 0) writeFileSync(`${stem}-reference.tar`, reference.stdout);
        if (ours.stdout.length > 0) writeFileSync(`${stem}-ours.tar`, ours.stdout);
        failures.push(
          [
            `conf ${i}, python ${python}, TZ=${tz} (SLI_SEED=${seed}):`,
            ...problems.map((line) => `  ${line}`),
            `  conf text: ${JSON.stringify(conf.text)}`,
            `  store layers: ${JSON.stringify(conf.storeLayers)}, customisation layer: ${JSON.stringify(conf.customisationLayer)}, created: ${JSON.stringify(conf.created)}`,
            `  files: ${conf.file}, ${stem}-{reference,ours}.tar (store under ${store.root})`,
          ].join("\n"),
        );
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
