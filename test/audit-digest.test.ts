/**
 * `digest` against the reference: for every golden image and profile, the
 * diff_ids, layer paths and config name computed from the hash passes alone
 * equal those inside the reference's image (its manifest.json and config).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { imageDigests, formatDigests } from "../src/audit/digest.ts";
import { parseTarLayout } from "../src/tar/inspect.ts";
import { parsePythonJson } from "../src/py/json/json.ts";
import type { PyDict, PyValue } from "../src/py/value.ts";
import { skipIfUnavailable, type FixtureStore } from "./support/fixture-store.ts";
import { confOf, goldenAuditCases, goldenStore, withTz } from "./support/audit-cases.ts";
import { runOurCli } from "./support/reference.ts";

/** The manifest and config a docker-archive tarball holds. */
function readArchiveDescription(image: Buffer): { manifest: PyValue; config: PyDict; configName: string } {
  const members = new Map(parseTarLayout(image).members.map((m) => [m.name.toString("utf8"), image.subarray(m.dataOffset, m.dataOffset + m.dataSize)]));
  const manifestBytes = members.get("manifest.json");
  assert.ok(manifestBytes, "the image has a manifest.json");
  const manifest = parsePythonJson(manifestBytes.toString("utf8"));
  const configName = ((manifest as PyValue[])[0] as PyDict).get("Config") as string;
  const config = parsePythonJson(members.get(configName)!.toString("utf8")) as PyDict;
  return { manifest, config, configName };
}

describe("digest", () => {
  let store: FixtureStore;
  before(() => {
    store = goldenStore("audit-digest");
  });
  after(() => store.remove());

  for (const auditCase of goldenAuditCases()) {
    test(`${auditCase.name} (python ${auditCase.python}) matches the reference's image`, async (t) => {
      if (skipIfUnavailable(t, store, auditCase.paths)) return;
      const digests = await withTz(auditCase.tz, () => imageDigests(confOf(auditCase, auditCase.python), { python: auditCase.python, root: store.root }));
      const reference = readArchiveDescription(readFileSync(auditCase.image));
      const manifestEntry = (reference.manifest as PyValue[])[0] as PyDict;
      assert.equal(digests.config, reference.configName, "config name (image id)");
      assert.deepEqual(digests.layers.map((l) => l.path), manifestEntry.get("Layers"), "manifest Layers");
      assert.deepEqual(digests.layers.map((l) => l.diffId), (reference.config.get("rootfs") as PyDict).get("diff_ids"), "config rootfs.diff_ids");
      assert.deepEqual(digests.manifest, reference.manifest, "manifest");
    });
  }

  test("the CLI prints the documented JSON", (t) => {
    const [auditCase] = goldenAuditCases().filter((c) => c.name === "tricky-config" && c.python === "3.13");
    assert.ok(auditCase);
    if (skipIfUnavailable(t, store, auditCase.paths)) return;
    const confPath = join(store.root, "digest-cli.json");
    writeFileSync(confPath, auditCase.confText);
    const result = runOurCli(["digest", "--root", store.root, confPath], auditCase.tz);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, "", "nothing on stderr: no progress lines");
    const printed = JSON.parse(result.stdout.toString("utf8")) as Record<string, unknown>;
    assert.deepEqual(Object.keys(printed), ["generation", "python", "image_id", "config", "layers", "manifest", "registry_manifests"]);
    assert.equal(printed.generation, "2020", "a conf without the current keys is the 2020 script's");
    const layers = printed.layers as Record<string, unknown>[];
    assert.deepEqual(Object.keys(layers[0]!), ["diff_id", "size", "path", "store_paths", "customisation"]);
    assert.equal(printed.image_id, `sha256:${String(printed.config).replace(/\.json$/, "")}`);
    const library = formatDigests(imageDigests(confOf(auditCase, "3.13"), { root: store.root }));
    assert.equal(result.stdout.toString("utf8"), library, "the CLI prints formatDigests' text");
  });

  test("a bad conf is exit 2 with one line", () => {
    const result = runOurCli(["digest", "/nonexistent/conf.json"], undefined);
    assert.equal(result.status, 2);
    assert.equal(result.stdout.length, 0);
    assert.match(result.stderr, /^stream-layered-image: Cannot read conf "\/nonexistent\/conf.json": ENOENT\n$/);
  });
});
