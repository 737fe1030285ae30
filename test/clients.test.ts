/**
 * Our images handed to independent clients: skopeo (copy to an OCI layout
 * checks every layer against its digest; inspect reads manifest and
 * config), bsdtar (lists the outer and every inner tarball) and podman
 * (loads the image into a throwaway vfs store).
 *
 * Most golden images are accepted as they are.  Those that cannot be: one
 * fixture tests an upper-case checksum file, a stand-in that is not the
 * layer's sha256, and some confs give configs Go cannot decode (NaN, naive
 * `created`).  The reference
 * writes them exactly so, and so do we.  So each golden conf is also run
 * with a real customisation layer, and `created`/config made decodable where
 * needed; those images, with every golden store layer in them, must be
 * accepted.  The golden images are checked to fail only for those reasons.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseTarLayout } from "../src/tar/inspect.ts";
import { dumpsPythonJson, parsePythonJson } from "../src/py/json/json.ts";
import type { PyDict } from "../src/py/value.ts";
import type { PythonVersion } from "../src/py/version.ts";
import { skipIfUnavailable, type FixtureStore } from "./support/fixture-store.ts";
import { skipOrFail } from "./support/requirements.ts";
import { goldenAuditCases, goldenStore } from "./support/audit-cases.ts";
import { makeClientCustomisationLayer, runTool, skipWithoutTool } from "./support/client-tools.ts";
import { REPO_ROOT } from "./support/reference.ts";
import { runOurCliInProcess } from "./support/cli-in-process.ts";

const cases = goldenAuditCases();
const clientCases = [...new Map(cases.map((c) => [c.name, c])).values()];
/**
 * The byte-different profiles a conf is valid under: 3.8 (devmajor in every
 * header) or the oldest that accepts its `created`, and 3.13 (rglob names).
 */
function clientProfiles(name: string): PythonVersion[] {
  const valid = cases.filter((c) => c.name === name).map((c) => c.python);
  return [...new Set([valid[0]!, valid[valid.length - 1]!])];
}

/** The golden conf with a real customisation layer and, where clients cannot decode them, a usable `created`, config and tag. */
function clientConf(confText: string, customisation: string): string {
  const conf = parsePythonJson(confText) as PyDict;
  conf.set("customisation_layer", customisation);
  const created = conf.get("created") as string;
  if (!/(Z|[+-]\d\d:\d\d)$/.test(created)) conf.set("created", `${created}+00:00`);
  // Podman accepts only docker references as tags (the unicode case's tag is not one).
  if (!/^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/.test(String(conf.get("repo_tag")))) conf.set("repo_tag", "client-check:latest");
  try {
    JSON.parse(dumpsPythonJson(conf.get("config")!, 4));
  } catch {
    conf.set("config", new Map([["Cmd", ["/bin/hello"]]]));
  }
  return dumpsPythonJson(conf, 2);
}

function members(archive: Buffer): { name: string; data: Buffer }[] {
  return parseTarLayout(archive).members.map((m) => ({ name: m.name.toString("utf8"), data: archive.subarray(m.dataOffset, m.dataOffset + m.dataSize) }));
}

/**
 * Layers podman's applier refuses although they are what the reference
 * writes for these confs on purpose (skopeo and bsdtar accept them): the
 * test expects exactly that refusal, and fails if podman loads them.
 */
const PODMAN_REFUSALS: Record<string, { message: string; why: string }> = {
  "repeated-paths": {
    message: "duplicates of file paths not supported",
    why: "podman refuses a layer listing a path twice, which this conf makes on purpose (the reference writes it twice too)",
  },
  "special-files-and-symlinked-store-path": {
    message: "-symlink-to-dir/.dotdir: no such file or directory",
    why: "podman cannot create entries below a store path that is a symlink to another store path, which the reference archives under the symlink's name",
  },
};

const STAND_IN = "the customisation layer's checksum file is a stand-in, not its sha256";
const UNDECODABLE = "the conf gives a config Go cannot decode (NaN, or a naive created time)";

/** Why podman cannot load images here (not root, no user namespaces, ...), or undefined. */
let podmanProblem: string | undefined | null = null;

describe("independent clients", () => {
  let store: FixtureStore;
  let work: string;
  let customisation: string;
  const images = new Map<string, string>();

  before(() => {
    store = goldenStore("clients");
    work = mkdtempSync(join(tmpdir(), "sli-clients-"));
    customisation = makeClientCustomisationLayer(store.root);
  });
  after(() => {
    store.remove();
    rmSync(work, { recursive: true, force: true });
  });

  /** Our image for the case's client conf under `python`, written once (the CLI in this process: golden-images.test.ts launches the real one). */
  async function clientImage(name: string, python: PythonVersion): Promise<string> {
    const key = `${name}.${python}`;
    const existing = images.get(key);
    if (existing !== undefined) return existing;
    const auditCase = clientCases.find((c) => c.name === name)!;
    const confPath = join(work, `${name}.json`);
    writeFileSync(confPath, clientConf(auditCase.confText, customisation));
    const result = await runOurCliInProcess(["--quiet", "--python", python, "--root", store.root, confPath], auditCase.tz);
    assert.equal(result.status, 0, `our CLI on ${name}: ${result.stderr}`);
    const path = join(work, `${key}.tar`);
    writeFileSync(path, result.stdout);
    images.set(key, path);
    return path;
  }

  describe("skopeo", () => {
    for (const auditCase of clientCases) {
      for (const python of clientProfiles(auditCase.name)) {
        // skopeo copy checks each byte variant; skopeo inspect reads one per case.
        const inspect = python === clientProfiles(auditCase.name).at(-1);
        test(`copy to OCI${inspect ? " and inspect" : ""}: ${auditCase.name} (python ${python})`, async (t) => {
          if (skipWithoutTool(t, "skopeo", store, auditCase.paths)) return;
          const image = await clientImage(auditCase.name, python);
          const outer = members(readFileSync(image));
          const manifest = JSON.parse(outer.find((m) => m.name === "manifest.json")!.data.toString()) as { Config: string; Layers: string[] }[];
          const diffIds = manifest[0]!.Layers.map((path) => `sha256:${path.replace("/layer.tar", "")}`);

          if (inspect) {
            const inspectConfig = runTool("skopeo", ["inspect", "--config", `docker-archive:${image}`]);
            assert.equal(inspectConfig.status, 0, `skopeo inspect --config: ${inspectConfig.stderr}`);
            assert.deepEqual((JSON.parse(inspectConfig.stdout) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids, diffIds, "skopeo reads our diff_ids");
          }

          const oci = join(work, `oci-${auditCase.name}-${python}`);
          const copy = runTool("skopeo", ["copy", "--quiet", `docker-archive:${image}`, `oci:${oci}`]);
          assert.equal(copy.status, 0, `skopeo copy (checks every layer's digest): ${copy.stderr}`);
          // The OCI layout's config (skopeo may compress the layer blobs) keeps our diff_ids.
          const blob = (digest: string) => JSON.parse(readFileSync(join(oci, "blobs", "sha256", digest.replace("sha256:", "")), "utf8")) as Record<string, unknown>;
          const index = JSON.parse(readFileSync(join(oci, "index.json"), "utf8")) as { manifests: { digest: string }[] };
          const ociManifest = blob(index.manifests[0]!.digest) as { config: { digest: string }; layers: unknown[] };
          assert.equal(ociManifest.layers.length, diffIds.length, "layers in the OCI manifest");
          assert.deepEqual((blob(ociManifest.config.digest) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids, diffIds, "diff_ids in the OCI config");
          rmSync(oci, { recursive: true, force: true });
        });
      }
    }

    test("the golden images fail only for their fixtures' stand-ins, as many as docs/testing.md says", (t) => {
      if (skipWithoutTool(t, "skopeo")) return;
      const seen = new Set<string>();
      const reasons = new Map<string, number>();
      for (const auditCase of cases) {
        if (seen.has(auditCase.image)) continue;
        seen.add(auditCase.image);
        const copy = runTool("skopeo", ["copy", "--quiet", `docker-archive:${auditCase.image}`, `oci:${join(work, "golden-oci")}`]);
        rmSync(join(work, "golden-oci"), { recursive: true, force: true });
        if (copy.status === 0) {
          reasons.set("accepted", (reasons.get("accepted") ?? 0) + 1);
          continue;
        }
        const customisationDir = join(store.root, String((parsePythonJson(auditCase.confText) as PyDict).get("customisation_layer")));
        const checksum = readFileSync(join(customisationDir, "checksum"), "utf8").trim();
        // Only a checksum file that is not the layer's sha256 may explain a digest failure.
        const standIn = createHash("sha256").update(readFileSync(join(customisationDir, "layer.tar"))).digest("hex") !== checksum;
        const reason = standIn && (copy.stderr.includes(`expected sha256:${checksum}, got`) || copy.stderr.includes(`unexpected digest reference sha256:${checksum}`))
          ? STAND_IN
          : copy.stderr.includes("decoding tar config")
            ? UNDECODABLE
            : undefined;
        assert.ok(reason, `${auditCase.image}: skopeo failed for another reason: ${copy.stderr}`);
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      for (const [reason, count] of reasons) t.diagnostic(`${count} golden image(s): ${reason}`);
      // The numbers docs/testing.md gives ("skopeo accepts 35 of the 47 distinct golden images ...").
      const doc = readFileSync(join(REPO_ROOT, "docs", "testing.md"), "utf8").replace(/\s+/g, " ");
      const claim = /skopeo accepts (\d+) of the (\d+) distinct golden images as they are; the other (\d+) [^:]*: (\d+) use a customisation layer whose `checksum` file is an upper-case stand-in [^,]*, (\d+) give configs Go cannot decode/.exec(doc);
      assert.ok(claim, "docs/testing.md states how many golden images skopeo accepts and why the others fail");
      const [accepted, images, others, standIns, undecodable] = claim.slice(1).map(Number);
      assert.deepEqual(
        { images: seen.size, accepted: reasons.get("accepted") ?? 0, others: seen.size - (reasons.get("accepted") ?? 0), standIns: reasons.get(STAND_IN) ?? 0, undecodable: reasons.get(UNDECODABLE) ?? 0 },
        { images, accepted, others, standIns, undecodable },
        "docs/testing.md's counts",
      );
    });
  });

  describe("bsdtar", () => {
    for (const auditCase of clientCases) {
      test(`lists the outer and inner tarballs: ${auditCase.name}`, async (t) => {
        if (skipWithoutTool(t, "bsdtar", store, auditCase.paths)) return;
        const image = await clientImage(auditCase.name, clientProfiles(auditCase.name).at(-1)!);
        const outer = members(readFileSync(image));
        const listing = runTool("bsdtar", ["-tf", image]);
        assert.equal(listing.status, 0, `bsdtar -tf: ${listing.stderr}`);
        assert.deepEqual(listing.stdout.split("\n").filter(Boolean), outer.map((m) => m.name));
        assert.equal(runTool("bsdtar", ["-tvf", image]).status, 0);
        for (const layer of outer.filter((m) => m.name.endsWith("/layer.tar"))) {
          const inner = runTool("bsdtar", ["-tvf", "-"], layer.data);
          assert.equal(inner.status, 0, `bsdtar -tvf ${layer.name}: ${inner.stderr}`);
          assert.equal(inner.stdout.split("\n").filter(Boolean).length, parseTarLayout(layer.data).members.length, `entries listed in ${layer.name}`);
        }
      });
    }
  });

  describe("podman", () => {
    for (const auditCase of clientCases) {
      const refusal = PODMAN_REFUSALS[auditCase.name];
      test(refusal === undefined ? `load with the vfs driver: ${auditCase.name}` : `refuses, as expected, to load: ${auditCase.name}`, async (t) => {
        if (skipWithoutTool(t, "podman")) return;
        if (process.getuid?.() !== 0) return skipOrFail(t, "privilege", "podman load is tried as root only (rootless podman needs subordinate id maps this test does not set up)");
        if (skipIfUnavailable(t, store, auditCase.paths)) return;
        if (podmanProblem !== null && podmanProblem !== undefined) return skipOrFail(t, "clients", podmanProblem);
        const image = await clientImage(auditCase.name, clientProfiles(auditCase.name).at(-1)!);
        const podRoot = mkdtempSync(join(tmpdir(), "sli-podman-"));
        try {
          const args = ["--root", join(podRoot, "root"), "--runroot", join(podRoot, "run"), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"];
          const load = runTool("podman", [...args, "load", "--quiet", "--input", image]);
          if (load.status !== 0 && /permission|operation not permitted|user namespace|newuidmap|EPERM/i.test(load.stderr)) {
            podmanProblem = `podman cannot load images on this machine (${load.stderr.trim().split("\n").pop()})`;
            return skipOrFail(t, "clients", podmanProblem);
          }
          podmanProblem = undefined;
          if (refusal !== undefined) {
            assert.notEqual(load.status, 0, `podman loaded ${auditCase.name}, which it refused before (${refusal.why}): take it out of PODMAN_REFUSALS and the README`);
            assert.ok(load.stderr.includes(refusal.message), `podman refused ${auditCase.name} for another reason than "${refusal.message}": ${load.stderr}`);
            t.diagnostic(`refused as expected: ${refusal.why}`);
          } else {
            assert.equal(load.status, 0, `podman load: ${load.stderr}`);
            const id = (JSON.parse(readFileSync(image).length > 0 ? runTool("podman", [...args, "images", "--format", "json"]).stdout : "[]") as { Id: string }[])[0]?.Id;
            const config = members(readFileSync(image)).find((m) => /^[0-9a-f]{64}\.json$/.test(m.name))!.name.replace(".json", "");
            assert.equal(id, config, "podman's image id is our config digest");
          }
        } finally {
          rmSync(podRoot, { recursive: true, force: true });
        }
      });
    }
  });
});
