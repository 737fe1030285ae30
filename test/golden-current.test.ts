/**
 * The current nixpkgs script's images (golden/current/, written by it under
 * every CPython): ours must be byte-identical, with the same stderr lines,
 * or refuse the conf before any byte where it failed.  In process through
 * the library (one prepareImage per case and profile, no python needed), and
 * a few cases through the CLI to check its wiring (-t, exit codes).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { diffTar, formatTarDifference } from "../src/tar/diff.ts";
import type { PythonVersion } from "../src/py/version.ts";
import { validateConf } from "../src/conf/validate.ts";
import { parseConfText } from "../src/conf/read.ts";
import { prepareImage } from "../src/image/image.ts";
import { parseCommandLine } from "../src/cli/run.ts";
import { CURRENT_GOLDEN_DIR, readCurrentFixtures, readCurrentManifest } from "./support/golden-current.ts";
import { essentialsOfReferenceError, type ImageOutcome } from "./support/golden-images.ts";
import { makeFixtureStore, skipIfUnavailable, type FixtureStore } from "./support/fixture-store.ts";
import { runOurCli } from "./support/reference.ts";
import type { CurrentCase } from "./fixtures/current-fixtures.ts";

const fixtures = readCurrentFixtures();
const manifest = readCurrentManifest();

/** The repo tag the case's arguments give, read as the CLI reads them. */
function repoTagOf(currentCase: CurrentCase): string | undefined {
  const parsed = parseCommandLine([...currentCase.args, "conf.json"]);
  assert.ok(typeof parsed === "object");
  return parsed.repoTag;
}

/** Our image and stderr lines for a case, in process; throws what the library throws. */
function ours(currentCase: CurrentCase, python: PythonVersion, root: string): { image: Buffer; stderr: string } {
  const raw = parseConfText(currentCase.conf, `${currentCase.name}.json`, python);
  const conf = validateConf(raw, `${currentCase.name}.json`, { repoTag: repoTagOf(currentCase), python });
  assert.equal(conf.generation, "current", "detected from the conf's keys");
  const lines: string[] = [];
  const image = prepareImage(conf, { python, root, log: (line) => lines.push(line) });
  return { image: Buffer.concat([...image.chunks()]), stderr: lines.map((line) => `${line}\n`).join("") };
}

/** The message `run` throws; fails when it returns. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail("ours wrote an image where the reference failed");
}

describe("golden images of the current script", () => {
  let store: FixtureStore;
  before(() => {
    store = makeFixtureStore(fixtures.store, "golden-current");
  });
  after(() => store.remove());

  test("there are at least 20 accepted confs and every rejected one is recorded", () => {
    const accepted = fixtures.cases.filter((c) => Object.values(manifest[c.name] ?? {}).every((o) => o.status === 0));
    assert.ok(accepted.length >= 20, `${accepted.length} accepted cases`);
    for (const c of fixtures.cases) assert.ok(manifest[c.name]?.["3.13"] !== undefined, `${c.name} has a 3.13 outcome`);
  });

  for (const currentCase of fixtures.cases) {
    for (const [python, outcome] of Object.entries(manifest[currentCase.name] ?? {}) as [PythonVersion, ImageOutcome][]) {
      test(`${currentCase.name} (python ${python})`, (t) => {
        if (skipIfUnavailable(t, store, fixtures.store.map((e) => e.path))) return;
        if (currentCase.oursRefuses !== undefined) {
          assert.equal(outcome.status, 0, "the reference wrote an image");
          assert.throws(() => ours(currentCase, python, store.root), (error: Error) => error.message.includes(currentCase.oursRefuses!));
        } else if ("image" in outcome) {
          const result = ours(currentCase, python, store.root);
          const difference = diffTar(readFileSync(join(CURRENT_GOLDEN_DIR, outcome.image)), result.image);
          assert.equal(difference && formatTarDifference(difference), undefined);
          assert.equal(result.stderr, readFileSync(join(CURRENT_GOLDEN_DIR, outcome.stderr), "utf8"));
        } else {
          // The reference failed (outcome.error); ours refuses before the first chunk, in one line that says what it says.
          const message = refusal(() => ours(currentCase, python, store.root));
          assert.doesNotMatch(message, /\n/, "one line");
          const missing = essentialsOfReferenceError(outcome.error).filter((part) => !message.includes(part));
          assert.deepEqual(missing, [], `our error ${JSON.stringify(message)} does not say what the reference's ${JSON.stringify(outcome.error)} does`);
        }
      });
    }
  }

  const cliCases = ["cur-repo-tag-option", "cur-bad-uid-letters", "cur-bad-keys-of-2021"];
  for (const name of cliCases) {
    test(`the CLI on ${name} (python 3.13)`, (t) => {
      const currentCase = fixtures.cases.find((c) => c.name === name)!;
      const outcome = manifest[name]!["3.13"]!;
      if (skipIfUnavailable(t, store, fixtures.store.map((e) => e.path))) return;
      const confPath = join(store.root, `${name}.json`);
      writeFileSync(confPath, currentCase.conf);
      const result = runOurCli(["--root", store.root, ...currentCase.args, confPath], "UTC");
      if ("image" in outcome) {
        assert.equal(result.status, 0, result.stderr);
        assert.ok(result.stdout.equals(readFileSync(join(CURRENT_GOLDEN_DIR, outcome.image))), "the reference's bytes");
        assert.equal(result.stderr, readFileSync(join(CURRENT_GOLDEN_DIR, outcome.stderr), "utf8"));
      } else {
        assert.equal(result.status, 2, result.stderr);
        assert.equal(result.stdout.length, 0, "nothing on stdout");
        assert.match(result.stderr, /^stream-layered-image: [^\n]+\n$/, "one line");
      }
    });
  }
});
