/**
 * Where sha256 runs (a worker thread, or the walking thread where the CPU
 * has SHA instructions) changes nothing in the bytes: the CLI's image and
 * `digest` agree under both placements, and so do the checks between the
 * passes (a store change is caught and named either way).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./support/reference.ts";
import type { FixtureStore } from "./support/fixture-store.ts";
import { makeSmallImageStore } from "./support/small-image.ts";

let store: FixtureStore;
let confPath: string;
before(() => {
  ({ store, confPath } = makeSmallImageStore("hash-placement"));
});
after(() => store.remove());

function cli(placement: string, ...args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, "dist", "cli.js"), ...args], { env: { ...process.env, SLI_HASH_PLACEMENT: placement }, maxBuffer: 1 << 28 });
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
