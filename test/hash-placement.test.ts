/**
 * Where sha256 runs (a pooled worker thread by default, the walking thread
 * with SLI_HASH_PLACEMENT=thread) changes nothing in the bytes: the CLI's
 * image and `digest` agree under both placements, and so do the checks
 * between the passes (a store file changed after its layer's hash pass is
 * caught and named the same way under either).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./support/reference.ts";
import type { FixtureStore } from "./support/fixture-store.ts";
import { makeSmallImageStore, SMALL_IMAGE_ENTRIES } from "./support/small-image.ts";

let store: FixtureStore;
let confPath: string;
before(() => {
  ({ store, confPath } = makeSmallImageStore("hash-placement"));
});
after(() => store.remove());

function cli(placement: string, ...args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  return run(join(REPO_ROOT, "dist", "cli.js"), { SLI_HASH_PLACEMENT: placement }, args);
}

function run(entry: string, env: Record<string, string>, args: readonly string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const result = spawnSync(process.execPath, [entry, ...args], { env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString() };
}

test("the image and its digests are the same with sha256 on a worker or on the walking thread", () => {
  const onWorker = cli("worker", "--quiet", "--root", store.root, confPath);
  const onThread = cli("thread", "--quiet", "--root", store.root, confPath);
  assert.equal(onWorker.status, 0, onWorker.stderr);
  assert.equal(onThread.status, 0, onThread.stderr);
  assert.ok(onWorker.stdout.length > 0);
  assert.ok(onWorker.stdout.equals(onThread.stdout), "the two placements wrote different images");
  const digestWorker = cli("worker", "digest", "--root", store.root, confPath);
  const digestThread = cli("thread", "digest", "--root", store.root, confPath);
  assert.equal(digestWorker.status, 0, digestWorker.stderr);
  assert.equal(digestWorker.stdout.toString(), digestThread.stdout.toString());
});

test("one hash worker (SLI_HASH_WORKERS=1) writes the same image as two", () => {
  const two = run(join(REPO_ROOT, "dist", "cli.js"), { SLI_HASH_PLACEMENT: "worker" }, ["--quiet", "--root", store.root, confPath]);
  const one = run(join(REPO_ROOT, "dist", "cli.js"), { SLI_HASH_PLACEMENT: "worker", SLI_HASH_WORKERS: "1" }, ["--quiet", "--root", store.root, confPath]);
  assert.equal(one.status, 0, one.stderr);
  assert.ok(two.stdout.length > 0 && one.stdout.equals(two.stdout), "one worker wrote another image than two");
});

test("a store file changed between the passes is caught and named alike under both placements", () => {
  const changed = SMALL_IMAGE_ENTRIES.find((entry) => entry.path.endsWith("/small"))!.path;
  const errors = new Map<string, string>();
  for (const placement of ["worker", "thread"]) {
    // A store per run: the fault changes it.
    const faulty = makeSmallImageStore(`hash-placement-${placement}`);
    try {
      const fault = { layer: 1, action: "flip", path: join(faulty.store.root, changed.slice(1)) };
      const result = run(join(REPO_ROOT, "build", "test", "support", "cli-with-hooks.js"), { SLI_HASH_PLACEMENT: placement, SLI_TEST_FAULT: JSON.stringify(fault) }, ["--quiet", "--root", faulty.store.root, faulty.confPath]);
      assert.equal(result.status, 1, `${placement}: ${result.stderr}`);
      const message = result.stderr.trimEnd().split("\n").at(-1)!;
      assert.ok(message.includes(changed), `${placement}: ${message}`);
      assert.ok(!result.stdout.includes(Buffer.from("manifest.json")), `${placement}: no complete image`);
      errors.set(placement, message.replaceAll(faulty.store.root, "<root>"));
    } finally {
      faulty.store.remove();
    }
  }
  assert.equal(errors.get("thread"), errors.get("worker"));
});
