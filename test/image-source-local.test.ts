/**
 * The local transports read what real tools write: the example image
 * written by our CLI, then copied by skopeo to `oci:`, `oci-archive:` and
 * `docker-archive:`, and saved by podman (loaded into a throwaway vfs
 * store) in both formats.  Each is resolved and every layer decompressed:
 * the layers' content is the diff_ids `digest` prints, and the config is
 * the image id where the tool keeps it (a docker-archive; converting to
 * OCI rewrites the config).  Then the faults of layouts and archives, one
 * line each.  Missing clients skip on a laptop and fail in CI.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { openImage } from "../src/audit/open-image.ts";
import { BlobMismatchError, ImageSourceError, type ImageSource } from "../src/oci/image-source.ts";
import { runTool, toolMissing } from "./support/client-tools.ts";
import { skipOrFailClients } from "./support/registry.ts";
import { buildExampleImage, oneLineRejection, readBack, AMD64, type ExampleImage } from "./support/image-sources.ts";

function source(name: string): ImageSource {
  const opened = openImage(name);
  assert.equal(opened.kind, "source");
  return (opened as { source: ImageSource }).source;
}

async function read(name: string) {
  const opened = source(name);
  try {
    return await readBack(opened, name);
  } finally {
    await opened.close();
  }
}

async function failure(name: string, errorClass: typeof ImageSourceError | typeof BlobMismatchError = ImageSourceError): Promise<string> {
  const opened = source(name);
  try {
    return await oneLineRejection(readBack(opened, name), errorClass);
  } finally {
    await opened.close();
  }
}

const skopeoMissing = toolMissing("skopeo");

describe("local transports read what skopeo, podman and our CLI write", () => {
  let image: ExampleImage;
  let work: string;
  let podmanProblem: string | undefined;

  before(() => {
    image = buildExampleImage("sources-local");
    work = image.work;
    if (skopeoMissing === undefined) {
      for (const target of [`oci:${join(work, "oci")}:v1`, `oci-archive:${join(work, "oci.tar")}:v1`, `docker-archive:${join(work, "skopeo.tar")}:hello:v1`]) {
        const copied = runTool("skopeo", ["copy", "--quiet", `docker-archive:${image.tar}`, target]);
        assert.equal(copied.status, 0, copied.stderr);
      }
    }
    podmanProblem = toolMissing("podman") ?? (process.getuid?.() !== 0 ? "podman is run as root only here (rootless needs subordinate id maps)" : undefined);
    if (podmanProblem === undefined) {
      const pod = join(work, "podman");
      const args = ["--root", join(pod, "root"), "--runroot", join(pod, "run"), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"];
      const load = runTool("podman", [...args, "load", "--quiet", "--input", image.tar]);
      if (load.status !== 0) podmanProblem = `podman load: ${load.stderr.trim().split("\n").pop()}`;
      for (const format of ["docker-archive", "oci-archive"]) {
        if (podmanProblem !== undefined) break;
        const saved = runTool("podman", [...args, "save", "--quiet", "--format", format, "--output", join(work, `podman-${format}.tar`), "hello-example:latest"]);
        if (saved.status !== 0) podmanProblem = `podman save: ${saved.stderr.trim()}`;
      }
    }
  });
  after(() => image?.remove());

  test("our CLI's docker-archive: <diff_id>/layer.tar names no blob digest; sniffed, uncompressed", async () => {
    const got = await read(`docker-archive:${image.tar}`);
    assert.equal(got.configDigest, image.imageId);
    assert.deepEqual(got.configDiffIds, image.diffIds);
    assert.deepEqual(got.contentDigests, image.diffIds);
    assert.deepEqual(got.layerDigests, image.diffIds.map(() => undefined));
    assert.deepEqual(got.compressions, image.diffIds.map(() => "sniff"));
    assert.equal(got.manifestType, undefined);
    assert.equal(got.platform, undefined);
  });

  const tools: { name: string; target: () => string; configIsImageId: boolean; tool: "skopeo" | "podman" }[] = [
    { name: "skopeo copy to oci:", target: () => `oci:${join(work, "oci")}:v1`, configIsImageId: false, tool: "skopeo" },
    { name: "skopeo copy to oci: without REF (the only image)", target: () => `oci:${join(work, "oci")}`, configIsImageId: false, tool: "skopeo" },
    { name: "skopeo copy to oci-archive:", target: () => `oci-archive:${join(work, "oci.tar")}:v1`, configIsImageId: false, tool: "skopeo" },
    { name: "skopeo copy to docker-archive: (REF hello:v1 is docker.io/library/hello:v1)", target: () => `docker-archive:${join(work, "skopeo.tar")}:hello:v1`, configIsImageId: true, tool: "skopeo" },
    { name: "skopeo copy to docker-archive: by @0", target: () => `docker-archive:${join(work, "skopeo.tar")}:@0`, configIsImageId: true, tool: "skopeo" },
    { name: "podman save --format docker-archive", target: () => `docker-archive:${join(work, "podman-docker-archive.tar")}:localhost/hello-example:latest`, configIsImageId: true, tool: "podman" },
    { name: "podman save --format oci-archive", target: () => `oci-archive:${join(work, "podman-oci-archive.tar")}`, configIsImageId: false, tool: "podman" },
  ];
  for (const { name, target, configIsImageId, tool } of tools) {
    test(name, async (t) => {
      const missing = tool === "skopeo" ? skopeoMissing : podmanProblem;
      if (missing !== undefined) return skipOrFailClients(t, missing);
      const got = await read(target());
      assert.deepEqual(got.configDiffIds, image.diffIds, "the config's diff_ids");
      assert.deepEqual(got.contentDigests, image.diffIds, "each layer's decompressed content is its diff_id");
      if (configIsImageId) assert.equal(got.configDigest, image.imageId);
      else assert.notEqual(got.configDigest, image.imageId, "converted to an OCI config");
      if (target().startsWith("docker-archive:")) {
        // containers/image names layers <hex>.tar, stored uncompressed: the name is the blob digest and the diff_id.
        assert.deepEqual(got.layerDigests, image.diffIds);
        assert.deepEqual(got.compressions, image.diffIds.map(() => "sniff"));
      } else {
        assert.deepEqual(got.compressions, image.diffIds.map(() => "gzip"), "skopeo and podman compress OCI layers with gzip");
        assert.equal(got.manifestType, "application/vnd.oci.image.manifest.v1+json");
      }
    });
  }

  /** A copy of skopeo's layout to break. */
  function brokenLayout(t: { skip(message?: string): void }, label: string): string | undefined {
    if (skopeoMissing !== undefined) {
      skipOrFailClients(t, skopeoMissing);
      return undefined;
    }
    const dir = join(work, label);
    cpSync(join(work, "oci"), dir, { recursive: true });
    return dir;
  }

  /** The layer blobs of skopeo's layout, by the manifest's order. */
  function layerBlobs(dir: string): string[] {
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    const manifest = JSON.parse(readFileSync(join(dir, "blobs", "sha256", index.manifests[0]!.digest.slice(7)), "utf8")) as { layers: { digest: string }[] };
    return manifest.layers.map((layer) => join(dir, "blobs", "sha256", layer.digest.slice(7)));
  }

  test("an OCI layout without index.json", async (t) => {
    const dir = brokenLayout(t, "no-index");
    if (dir === undefined) return;
    unlinkSync(join(dir, "index.json"));
    assert.equal(await failure(`oci:${dir}`), `Cannot read image ${JSON.stringify(`oci:${dir}`)}: no index.json: not an OCI image layout`);
  });

  test("a REF the layout does not have: the refs it has are listed", async (t) => {
    if (skopeoMissing !== undefined) return skipOrFailClients(t, skopeoMissing);
    const name = `oci:${join(work, "oci")}:v2`;
    assert.equal(await failure(name), `Cannot read image ${JSON.stringify(name)}: index.json names no image "v2" (its refs: "v1")`);
    const archive = `oci-archive:${join(work, "oci.tar")}:v2`;
    assert.match(await failure(archive), /index\.json names no image "v2" \(its refs: "v1"\)$/);
  });

  test("a layer blob missing from the layout: its path", async (t) => {
    const dir = brokenLayout(t, "missing-blob");
    if (dir === undefined) return;
    const blob = layerBlobs(dir)[1]!;
    unlinkSync(blob);
    assert.match(await failure(`oci:${dir}`), new RegExp(`: blobs/sha256/${blob.slice(-64)} is missing$`));
  });

  test("a layer blob whose bytes are not its digest", async (t) => {
    const dir = brokenLayout(t, "changed-blob");
    if (dir === undefined) return;
    const blob = layerBlobs(dir)[0]!;
    const bytes = readFileSync(blob);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(blob, bytes);
    const message = await failure(`oci:${dir}`, BlobMismatchError);
    assert.match(message, new RegExp(`^Cannot trust image ".*": layer 1 has digest sha256:[0-9a-f]{64}, not the sha256:${blob.slice(-64)} its manifest claims$`));
  });

  test("a truncated layer blob", async (t) => {
    const dir = brokenLayout(t, "truncated-blob");
    if (dir === undefined) return;
    const blob = layerBlobs(dir)[2]!;
    const size = readFileSync(blob).length;
    truncateSync(blob, 100);
    assert.match(await failure(`oci:${dir}`), new RegExp(`: layer 3 is truncated: 100 of its ${size} bytes$`));
  });

  test("a docker-archive whose manifest.json names members it does not have", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sli-missing-members-"));
    try {
      writeFileSync(join(dir, "config.json"), "{}");
      writeFileSync(join(dir, "manifest.json"), JSON.stringify([{ Config: "config.json", RepoTags: ["a:1"], Layers: ["abc/layer.tar"] }]));
      const tar = join(dir, "archive.tar");
      assert.equal(spawnSync("tar", ["-cf", tar, "-C", dir, "manifest.json", "config.json"]).status, 0);
      assert.match(await failure(`docker-archive:${tar}`), /: layer 1 "abc\/layer\.tar", named in manifest\.json, is not in the archive$/);
      writeFileSync(join(dir, "manifest.json"), JSON.stringify([{ Config: "gone.json", RepoTags: ["a:1"], Layers: [] }]));
      assert.equal(spawnSync("tar", ["-cf", tar, "-C", dir, "manifest.json"]).status, 0);
      assert.match(await failure(`docker-archive:${tar}`), /: the config "gone\.json", named in manifest\.json, is not in the archive$/);
      writeFileSync(join(dir, "manifest.json"), JSON.stringify([{ Config: "config.json", RepoTags: ["a:1"], Layers: [] }, { Config: "config.json", RepoTags: null, Layers: [] }]));
      assert.equal(spawnSync("tar", ["-cf", tar, "-C", dir, "manifest.json", "config.json"]).status, 0);
      assert.match(await failure(`docker-archive:${tar}`), /: manifest\.json lists 2 images: choose one with :NAME:TAG or :@N \(@0 a:1, @1 \(untagged\)\)$/);
      assert.match(await failure(`docker-archive:${tar}:b:1`), /: manifest\.json lists no image tagged "b:1" \(it has @0 a:1, @1 \(untagged\)\)$/);
      const tagged = source(`docker-archive:${tar}:docker.io/library/a:1`);
      assert.equal((await tagged.resolve(AMD64)).config.location, "config.json");
      await tagged.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("not a tar archive, a missing file, a directory given as an archive", async () => {
    const notTar = join(work, "not-a-tar");
    writeFileSync(notTar, "hello".repeat(200));
    assert.match(await failure(`docker-archive:${notTar}`), /: "[^"]*not-a-tar": not a tar archive: an invalid header at offset 0$/);
    assert.match(await failure(`oci-archive:${join(work, "nothing.tar")}`), /: "[^"]*nothing\.tar": cannot open it \(ENOENT\)$/);
    mkdirSync(join(work, "a-dir"), { recursive: true });
    assert.match(await failure(`oci-archive:${join(work, "a-dir")}`), /: not a file \(an oci: layout is a directory\)$/);
    assert.match(await failure(`oci:${image.tar}`), /is not a directory \(an oci-archive: is a tar file\)$/);
    assert.ok(readdirSync(work).length > 0);
  });
});
