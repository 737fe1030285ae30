/**
 * Whole images: our CLI against the reference's golden stdout and stderr for
 * every conf in golden/images/fixtures.json and every CPython profile.
 * Where the reference rejected a conf, ours must fail too: exit 2 (found
 * before any byte), nothing on stdout, and one error line meaning the
 * reference's error.
 *
 * The CLI runs in this process (runCli, exactly what dist/cli.js runs);
 * REAL_LAUNCHES run dist/cli.js as a child, for one accepted and one
 * rejected conf at least.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { diffTar, formatTarDifference } from "../src/tar/diff.ts";
import type { PythonVersion } from "../src/py/version.ts";
import { IMAGE_GOLDEN_DIR, confPaths, readImageFixtures, readImageManifest, rejectionProblems, type ImageOutcome } from "./support/golden-images.ts";
import { makeFixtureStore, skipIfUnavailable, type FixtureStore } from "./support/fixture-store.ts";
import { runOurCli } from "./support/reference.ts";
import { runOurCliInProcess } from "./support/cli-in-process.ts";

const fixtures = readImageFixtures();
const manifest = readImageManifest();

/** `case/python` pairs run as a real `node dist/cli.js` (TZ through the environment, exit status of a process). */
const REAL_LAUNCHES = new Set(["created-z/3.8", "naive-new-york/3.13", "special-files-and-symlinked-store-path/3.8", "unicode-paths-and-tag/3.13"]);

describe("golden images", () => {
  let store: FixtureStore;
  before(() => {
    store = makeFixtureStore(fixtures.store, "golden-images");
  });
  after(() => store.remove());

  test("every case has golden outcomes, and every recorded outcome a case", () => {
    for (const imageCase of fixtures.cases) assert.ok(Object.keys(manifest[imageCase.name] ?? {}).length > 0, `${imageCase.name}: no entry in golden/images/manifest.json (npm run golden -- images)`);
    for (const name of Object.keys(manifest)) assert.ok(fixtures.cases.some((c) => c.name === name), `${name}: in the manifest but not among the fixtures`);
    for (const launch of REAL_LAUNCHES) {
      const [name, python] = launch.split("/") as [string, PythonVersion];
      assert.ok(manifest[name]?.[python] !== undefined, `real launch ${launch}: no such case and profile`);
    }
    const launched = [...REAL_LAUNCHES].map((l) => l.split("/") as [string, PythonVersion]).map(([name, python]) => manifest[name]![python]!);
    assert.ok(launched.some((o) => "image" in o) && launched.some((o) => !("image" in o)), "real launches cover an accepted and a rejected conf");
  });

  for (const imageCase of fixtures.cases) {
    const paths = confPaths(imageCase.conf);
    for (const [python, outcome] of Object.entries(manifest[imageCase.name] ?? {}) as [PythonVersion, ImageOutcome][]) {
      const real = REAL_LAUNCHES.has(`${imageCase.name}/${python}`);
      test(`${imageCase.name} (python ${python}, TZ=${imageCase.tz ?? "unset"})${real ? " [dist/cli.js]" : ""}`, async (t) => {
        if (skipIfUnavailable(t, store, paths)) return;
        const confPath = join(store.root, `${imageCase.name}.json`);
        writeFileSync(confPath, imageCase.conf);
        const args = ["--python", python, "--root", store.root, confPath];
        const ours = real ? runOurCli(args, imageCase.tz) : await runOurCliInProcess(args, imageCase.tz);
        if ("image" in outcome) {
          assert.equal(ours.status, 0, `exit status; stderr: ${ours.stderr}`);
          const difference = diffTar(readFileSync(join(IMAGE_GOLDEN_DIR, outcome.image)), ours.stdout);
          assert.equal(difference && formatTarDifference(difference), undefined);
          assert.equal(ours.stderr, readFileSync(join(IMAGE_GOLDEN_DIR, outcome.stderr), "utf8"));
        } else {
          assert.deepEqual(rejectionProblems(outcome, ours), [], `the reference failed (exit ${outcome.status}) with ${outcome.error}`);
        }
      });
    }
  }
});

describe("what counts as the reference's error", () => {
  const rejected = { status: 1, stdoutBytes: 0, error: "ValueError: Invalid isoformat string: '2024-03-01T12:34:56Z'" };
  const ours = (status: number, stderr: string, stdout = Buffer.alloc(0)) => ({ status, stdout, stderr });
  const line = `stream-layered-image: "created": ValueError: Invalid isoformat string: '2024-03-01T12:34:56Z'\n`;
  test("the same exception and message, exit 2, nothing on stdout: no problem", () => {
    assert.deepEqual(rejectionProblems(rejected, ours(2, line)), []);
  });
  test("another message, another type, another value: each a problem", () => {
    for (const other of [
      `stream-layered-image: "created": ValueError: year 0 is out of range\n`,
      `stream-layered-image: "created": TypeError: Invalid isoformat string: '2024-03-01T12:34:56Z'\n`,
      `stream-layered-image: "created": ValueError: Invalid isoformat string: '2024-03-01T12:34:57Z'\n`,
      `stream-layered-image: conf.json: "store_layers" must be a list, not str\n`,
    ]) assert.equal(rejectionProblems(rejected, ours(2, other)).length, 1, other);
  });
  test("exit 1 or 0, bytes on stdout, no line or two lines: each a problem", () => {
    assert.match(rejectionProblems(rejected, ours(1, line)).join(), /exit status 1, not 2/);
    assert.match(rejectionProblems(rejected, ours(0, line)).join(), /exit status 0, not 2/);
    assert.match(rejectionProblems(rejected, ours(2, line, Buffer.alloc(512))).join(), /512 bytes on stdout/);
    assert.match(rejectionProblems(rejected, ours(2, "")).join(), /not one error line/);
    assert.match(rejectionProblems(rejected, ours(2, line + line)).join(), /not one error line/);
  });
  test("an OSError means the same when ours names its failure and path", () => {
    const os = { status: 1, stdoutBytes: 10240, error: "OSError: [Errno 36] File name too long: '/nix/store/x-long/link'" };
    assert.deepEqual(rejectionProblems(os, ours(2, `stream-layered-image: Cannot archive "/nix/store/x-long/link": File name too long (ENAMETOOLONG)\n`)), []);
    assert.equal(rejectionProblems(os, ours(2, `stream-layered-image: Cannot archive "/nix/store/x-long/link": Too many levels of symbolic links\n`)).length, 1);
    assert.equal(rejectionProblems(os, ours(2, `stream-layered-image: Cannot archive "/nix/store/y/link": File name too long\n`)).length, 1);
  });
});
