/**
 * from_image base layers published as blobs: an OCI layout of a current conf
 * with a base image (plain, gzip, docker-save layout) is read back by skopeo,
 * which checks every blob against its digest, and its config digest is the
 * image id of our docker-archive.  A base whose layer members are symlinks
 * (the script writes them as links, with no bytes of their own) is refused
 * in one line.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeFixtureStore, skipIfUnavailable, type FixtureStore } from "./support/fixture-store.ts";
import { runOurCliInProcess } from "./support/cli-in-process.ts";
import { runTool, toolMissing } from "./support/client-tools.ts";
import { skipOrFail } from "./support/requirements.ts";
import { GOLDEN_DIR } from "./support/reference.ts";
import type { TreeEntry } from "./support/tree-spec.ts";
import { useTemporaryCacheHome } from "./support/publish-store.ts";

// oci keeps a digest cache by default: here, not in the user's.
useTemporaryCacheHome();

interface CurrentFixtures {
  readonly store: TreeEntry[];
  readonly cases: { name: string; conf: string; tz?: string }[];
}

const fixtures = JSON.parse(readFileSync(join(GOLDEN_DIR, "current", "fixtures.json"), "utf8")) as CurrentFixtures;
let store: FixtureStore;
let work: string;
before(() => {
  store = makeFixtureStore(fixtures.store, "publish-base");
  work = mkdtempSync(join(tmpdir(), "sli-publish-base-"));
});
after(() => {
  store.remove();
  rmSync(work, { recursive: true, force: true });
});

function confFile(name: string): string {
  const found = fixtures.cases.find((c) => c.name === name);
  assert.ok(found !== undefined, `golden/current has no case ${name}`);
  const file = join(work, `${name}.json`);
  writeFileSync(file, found.conf);
  return file;
}

for (const name of ["cur-from-legacy", "cur-from-legacy-gzip-env-merge", "cur-from-docker-save"]) {
  test(`oci of ${name}: skopeo verifies every blob; the config digest is our image id`, async (t) => {
    if (skipIfUnavailable(t, store, fixtures.store.map((e) => e.path))) return;
    const skopeo = toolMissing("skopeo");
    if (skopeo !== undefined) return skipOrFail(t, "clients", skopeo);
    const conf = confFile(name);
    const layout = join(work, `oci-${name}`);
    const written = await runOurCliInProcess(["oci", "--quiet", "--root", store.root, conf, layout], "UTC");
    assert.equal(written.status, 0, written.stderr);
    const copied = runTool("skopeo", ["copy", `oci:${layout}:latest`, `dir:${layout}-dir`]);
    assert.equal(copied.status, 0, copied.stderr);
    const digests = await runOurCliInProcess(["digest", "--root", store.root, conf], "UTC");
    const manifest = JSON.parse(readFileSync(join(`${layout}-dir`, "manifest.json"), "utf8")) as { config: { digest: string }; layers: unknown[] };
    const described = JSON.parse(digests.stdout.toString()) as { image_id: string; layers: { kind?: string }[] };
    assert.equal(manifest.config.digest, described.image_id);
    assert.equal(manifest.layers.length, described.layers.length);
  });
}

test("oci of a base whose layer members are symlinks: one line, exit 1, no layout", async (t) => {
  if (skipIfUnavailable(t, store, fixtures.store.map((e) => e.path))) return;
  const layout = join(work, "oci-symlinks");
  const result = await runOurCliInProcess(["oci", "--quiet", "--root", store.root, confFile("cur-from-docker-save-symlinks"), layout], "UTC");
  assert.equal(result.status, 1);
  assert.match(result.stderr, /^stream-layered-image: Cannot archive ".*base-docker-save-symlinks\.tar": base layer [0-9a-f]{64}\/layer\.tar is a link in the base archive: it cannot be published as a blob\n$/);
  assert.equal(runTool("test", ["-e", layout]).status, 1, "no layout left behind");
});
