/**
 * The fault injection hooks of image/ (ImageTestHooks) are the tests' alone:
 * no file the shipped entries reach (the bin cli.ts, the library's index.ts,
 * npm start's demo) names them outside image/, where prepareImage and
 * prepareImageAsync pass none; the CLI's io has no field for them, and one
 * given anyway is not read.  The fault tests build their own runner
 * (test/support/cli-with-hooks.ts).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { REPO_ROOT } from "./support/reference.ts";
import { reachableFiles, sourceFiles } from "./support/src-references.ts";
import { EXAMPLE_CONF, makeExampleStore, type ExampleStore } from "./support/example-store.ts";
import { readExampleGolden } from "./support/golden-example.ts";
import { runCli } from "../src/cli/run.ts";
import type { CliIo } from "../src/cli/io.ts";
import type { ImageTestHooks } from "../src/image/types.ts";
import * as library from "../src/index.ts";

const SHIPPED_ENTRIES = ["cli.ts", "index.ts", "demo/example.ts"];
const HOOK_NAMES = /\b(ImageTestHooks|prepareImageWithHooks|prepareImageAsyncWithHooks|betweenPasses|streamedChunk)\b/;

test("no file the shipped entries reach names the test hooks, but image/'s own", () => {
  const files = sourceFiles(join(REPO_ROOT, "src"));
  const reached = reachableFiles(files, SHIPPED_ENTRIES);
  for (const entry of SHIPPED_ENTRIES) assert.ok(reached.has(entry), entry);
  assert.ok(reached.has("cli/run.ts") && reached.has("image/image.ts"), "the scan follows the imports");
  const naming = [...reached].filter((path) => HOOK_NAMES.test(files.get(path)!)).sort();
  assert.deepEqual(
    naming.filter((path) => !path.startsWith("image/")),
    [],
    "only image/ threads the hooks",
  );
  // Where image/ is entered, no hook is passed: the public entries give an empty set.
  const image = files.get("image/image.ts")!;
  assert.match(image, /export function prepareImage\([^)]*\): PreparedImage \{\n\s+return prepareImageWithHooks\(conf, options, \{\}\);/);
  assert.match(image, /export function prepareImageAsync\([^)]*\): Promise<PreparedImage> \{\n\s+return prepareImageAsyncWithHooks\(conf, options, \{\}\);/);
});

test("the library's entry exports no hook", () => {
  assert.deepEqual(Object.keys(library).filter((name) => /hook/i.test(name)), []);
  assert.doesNotMatch(readFileSync(join(REPO_ROOT, "src", "index.ts"), "utf8"), HOOK_NAMES);
});

test("the CLI's io has no hooks field", () => {
  // Compile-time: fails to build if CliIo regains one.
  const hookFree: "hooks" extends keyof CliIo ? false : true = true;
  assert.ok(hookFree);
});

let store: ExampleStore;
let work: string;
before(() => {
  store = makeExampleStore("test-hooks");
  work = mkdtempSync(join(tmpdir(), "sli-test-hooks-"));
});
after(() => {
  store.remove();
  rmSync(work, { recursive: true, force: true });
});

/** An io carrying hooks as the CLI's io once did: any call fails the run and is counted. */
function ioWithHooks(calls: string[]): CliIo {
  const hooks: ImageTestHooks = {
    betweenPasses: (num) => {
      calls.push(`betweenPasses ${num}`);
      throw new Error("a test hook was reached");
    },
    streamedChunk: (num) => {
      calls.push(`streamedChunk ${num}`);
      throw new Error("a test hook was reached");
    },
  };
  const stdout = new Writable({ write: (_chunk, _encoding, done) => done() });
  return { stdout, stderr: () => {}, hooks } as CliIo;
}

for (const [name, args] of [
  ["the main command", () => ["--quiet", "--root", store.root, "-o", join(work, "image.tar"), EXAMPLE_CONF]],
  ["digest", () => ["digest", "--root", store.root, EXAMPLE_CONF]],
  ["oci", () => ["oci", "--quiet", "--no-digest-cache", "--root", store.root, EXAMPLE_CONF, join(work, "layout")]],
] as const) {
  test(`${name}: hooks given in the io are never called`, async () => {
    const calls: string[] = [];
    const status = await runCli(args(), ioWithHooks(calls));
    assert.equal(status, 0);
    assert.deepEqual(calls, []);
  });
}

test("the image written with hooks in the io is the example's", async () => {
  const out = join(work, "checked.tar");
  assert.equal(await runCli(["--quiet", "--root", store.root, "-o", out, EXAMPLE_CONF], ioWithHooks([])), 0);
  assert.ok(readFileSync(out).includes(Buffer.from(`${readExampleGolden("conf").digests.image}.json`)), "the example's image id");
});
