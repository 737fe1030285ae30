/**
 * The parts of reading an image that need no tool: manifests and indexes
 * checked (one line per fault), `--platform` and the choice it makes,
 * layouts written by hand for what tools rarely write (nested indexes,
 * several images, unknown media types, an index without the platform),
 * IMAGE in skopeo's syntax, docker-archive repo tags, and read references
 * that name a digest (which push still refuses).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import zlib from "node:zlib";
import { parseImageName } from "../src/audit/open-image.ts";
import { LayoutSource } from "../src/layout/layout-source.ts";
import { ImageSourceError } from "../src/oci/image-source.ts";
import { parseManifest } from "../src/oci/manifest-parse.ts";
import { choosePlatform, formatPlatform, parsePlatform, PlatformError } from "../src/oci/platform.ts";
import { ImageRefError } from "../src/remote/errors.ts";
import { parseImageReference, parseReadReference } from "../src/remote/reference.ts";
import { normaliseRepoTag } from "../src/tarball/repo-tag.ts";
import { digestFromMemberName } from "../src/tarball/docker-archive-source.ts";
import { HandLayout, oneLineRejection, readBack, sha256, AMD64 } from "./support/image-sources.ts";

const IMAGE = "oci:/x";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const D = (c: string): string => `sha256:${c.repeat(64)}`;

function parseError(json: unknown): string {
  try {
    parseManifest(Buffer.from(typeof json === "string" ? json : JSON.stringify(json)), undefined, IMAGE, "the manifest 1");
  } catch (error) {
    assert.ok(error instanceof ImageSourceError);
    return error.message.replace(`Cannot read image "${IMAGE}": `, "");
  }
  assert.fail("parsed");
}

test("manifests and indexes: each fault one line", () => {
  const config = { mediaType: "application/vnd.oci.image.config.v1+json", digest: D("a"), size: 2 };
  assert.match(parseError("{"), /^the manifest 1 is not JSON \(.+\)$/);
  assert.equal(parseError([]), "the manifest 1 is not a JSON object");
  assert.equal(parseError({ schemaVersion: 1 }), "the manifest 1 has schemaVersion 1, not 2");
  assert.equal(parseError({ mediaType: OCI_MANIFEST }), "the manifest 1 has schemaVersion missing, not 2");
  assert.equal(parseError({ schemaVersion: 2, mediaType: "application/x-thing" }), 'the manifest 1 has unknown mediaType "application/x-thing"');
  assert.equal(parseError({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [] }), "the manifest 1 has no config");
  assert.equal(parseError({ schemaVersion: 2, mediaType: OCI_MANIFEST, config }), "the manifest 1 has no layers list");
  assert.equal(parseError({ schemaVersion: 2, config: { ...config, digest: "sha256:abc" }, layers: [] }), 'the config of the manifest 1 has digest "sha256:abc", not sha256:<64 hex digits>');
  assert.equal(parseError({ schemaVersion: 2, config, layers: [{ ...config, size: -1 }] }), "layer 1 of the manifest 1 has size -1, not a count of bytes");
  assert.equal(parseError({ schemaVersion: 2, config, layers: [{ ...config }] }), 'layer 1 of the manifest 1 has unknown media type "application/vnd.oci.image.config.v1+json"');
  assert.equal(parseError({ schemaVersion: 2, mediaType: OCI_INDEX }), "the manifest 1 has no manifests list");
  const layerTypes = ["application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", "application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.image.rootfs.diff.tar", "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"];
  const parsed = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config, layers: layerTypes.map((mediaType) => ({ ...config, mediaType })) })), undefined, IMAGE, "m");
  assert.equal(parsed.kind, "manifest");
  assert.deepEqual(parsed.kind === "manifest" && parsed.layers.map((layer) => layer.compression), ["none", "gzip", "zstd", "gzip", "gzip", "none", "gzip"]);
});

test("--platform: parsed, formatted, matched (arm64's v8 is its only variant)", () => {
  assert.deepEqual(parsePlatform("linux/x86_64"), { os: "linux", architecture: "amd64", variant: undefined });
  assert.equal(formatPlatform(parsePlatform("linux/arm/v7")), "linux/arm/v7");
  for (const bad of ["linux", "linux/", "a/b/c/d", "linux amd64"]) assert.throws(() => parsePlatform(bad), (error: Error) => error instanceof PlatformError && /^--platform ".*": expected OS\/ARCH or OS\/ARCH\/VARIANT/.test(error.message));
  const entry = (architecture: string, variant?: string) => ({ mediaType: OCI_MANIFEST, digest: D("c"), size: 1, refName: undefined, platform: { os: "linux", architecture, variant } });
  const entries = [{ ...entry("amd64"), platform: undefined }, entry("arm", "v6"), entry("arm", "v7"), entry("arm64", "v8")];
  assert.equal(choosePlatform(entries, parsePlatform("linux/arm64"), IMAGE, "i").platform.variant, "v8");
  assert.equal(choosePlatform([entry("arm64")], parsePlatform("linux/arm64/v8"), IMAGE, "i").platform.architecture, "arm64");
  assert.equal(choosePlatform(entries, parsePlatform("linux/arm/v7"), IMAGE, "i").platform.variant, "v7");
  assert.equal(choosePlatform(entries, parsePlatform("linux/arm"), IMAGE, "i").platform.variant, "v6");
  assert.throws(() => choosePlatform(entries, AMD64, IMAGE, "the index"), { message: `Cannot read image "${IMAGE}": the index has no manifest for linux/amd64 (it has linux/arm/v6, linux/arm/v7, linux/arm64/v8; choose one with --platform)` });
});

/** A layout of one tiny image (one gzip layer) and what its manifest descriptor is. */
function handImage(layout: HandLayout, layerType = "application/vnd.oci.image.layer.v1.tar+gzip", extra: Record<string, unknown> = {}) {
  const content = Buffer.alloc(2048, 1);
  const layer = layout.blob(zlib.gzipSync(content), layerType);
  const config = layout.json({ rootfs: { type: "layers", diff_ids: [sha256(content)] } }, "application/vnd.oci.image.config.v1+json");
  return { manifest: layout.json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] }, OCI_MANIFEST, extra), diffId: sha256(content) };
}

async function withLayout(body: (layout: HandLayout, open: (ref?: string) => LayoutSource) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sli-hand-layout-"));
  try {
    await body(new HandLayout(dir), (ref) => new LayoutSource(`oci:${dir}${ref === undefined ? "" : `:${ref}`}`, dir, ref));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a layout: nested indexes narrowed to the platform; none matching lists those there", async () => {
  await withLayout(async (layout, open) => {
    const amd = handImage(layout, undefined, { platform: { os: "linux", architecture: "amd64" } });
    const arm = handImage(layout, "application/vnd.oci.image.layer.v1.tar+gzip", { platform: { os: "linux", architecture: "arm64", variant: "v8" } });
    const inner = layout.json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [amd.manifest, arm.manifest] }, OCI_INDEX);
    const outer = layout.json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...inner, platform: { os: "linux", architecture: "amd64" } }, { ...inner, platform: { os: "linux", architecture: "arm64" } }] }, OCI_INDEX, { annotations: { "org.opencontainers.image.ref.name": "multi" } });
    layout.finish([outer]);
    const got = await readBack(open("multi"), "oci:x:multi");
    assert.equal(got.platform, "linux/amd64");
    assert.deepEqual(got.contentDigests, [amd.diffId]);
    assert.equal((await readBack(open(), "oci:x", parsePlatform("linux/arm64"))).platform, "linux/arm64/v8");
    const message = await oneLineRejection(open("multi").resolve(parsePlatform("linux/riscv64")), ImageSourceError);
    assert.match(message, /: the manifest blobs\/sha256\/[0-9a-f]{64} has no manifest for linux\/riscv64 \(it has linux\/amd64, linux\/arm64; choose one with --platform\)$/);
  });
});

test("a layout: several images need a REF; an unknown layer media type; a marker of another version", async () => {
  await withLayout(async (layout, open) => {
    const one = handImage(layout);
    const odd = handImage(layout, "application/x-odd");
    layout.finish([{ ...one.manifest, annotations: { "org.opencontainers.image.ref.name": "one" } }, { ...odd.manifest, annotations: { "org.opencontainers.image.ref.name": "odd" } }]);
    assert.match(await oneLineRejection(open().resolve(AMD64), ImageSourceError), /: index\.json names 2 images: choose one with :REF \(its refs: "one", "odd"\)$/);
    assert.deepEqual((await readBack(open("one"), "oci:x:one")).contentDigests, [one.diffId]);
    assert.match(await oneLineRejection(open("odd").resolve(AMD64), ImageSourceError), /: layer 1 of the manifest blobs\/sha256\/[0-9a-f]{64} has unknown media type "application\/x-odd"$/);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(layout.dir, "oci-layout"), '{"imageLayoutVersion":"2.0.0"}');
    assert.match(await oneLineRejection(open("one").resolve(AMD64), ImageSourceError), /: its oci-layout file gives imageLayoutVersion "2\.0\.0", not 1\.x$/);
  });
});

test("IMAGE in skopeo's syntax: the first ':' after the transport ends the path", () => {
  assert.deepEqual(parseImageName("oci:/a/b:tag:with:colons"), { kind: "local", transport: "oci", path: "/a/b", ref: "tag:with:colons" });
  assert.deepEqual(parseImageName("oci-archive:x.tar"), { kind: "local", transport: "oci-archive", path: "x.tar", ref: undefined });
  assert.deepEqual(parseImageName("docker-archive:x.tar:@1"), { kind: "local", transport: "docker-archive", path: "x.tar", ref: "@1" });
  assert.deepEqual(parseImageName("docker-archive:x.tar:"), { kind: "local", transport: "docker-archive", path: "x.tar", ref: undefined });
  assert.deepEqual(parseImageName("docker://localhost:5000/a:1"), { kind: "registry", transport: "docker", reference: "docker://localhost:5000/a:1" });
  for (const plain of ["image.tar", "-", "./oci:x", "/tmp/a:b.tar", "foo:bar"]) assert.deepEqual(parseImageName(plain), { kind: "plain", path: plain });
  assert.throws(() => parseImageName("docker:localhost/a"), (error: Error) => error instanceof ImageRefError && /written docker:\/\/HOST/.test(error.message));
  assert.throws(() => parseImageName("containers-storage:app"), (error: Error) => error instanceof ImageRefError && /the containers-storage: transport is not read here/.test(error.message));
  assert.throws(() => parseImageName("oci::tag"), /no path after oci:/);
});

test("repo tags, layer member names, read references", () => {
  assert.equal(normaliseRepoTag("hello"), "docker.io/library/hello:latest");
  assert.equal(normaliseRepoTag("team/app:1"), "docker.io/team/app:1");
  assert.equal(normaliseRepoTag("localhost/app"), "localhost/app:latest");
  assert.equal(normaliseRepoTag("localhost:5000/app:2"), "localhost:5000/app:2");
  assert.equal(digestFromMemberName(`${"a".repeat(64)}.tar`), D("a"));
  assert.equal(digestFromMemberName(`blobs/sha256/${"b".repeat(64)}`), D("b"));
  assert.equal(digestFromMemberName(`${"c".repeat(64)}/layer.tar`), undefined, "a v1 id (or, in nixpkgs' archives, the diff_id): no blob digest");
  const read = parseReadReference(`docker://localhost:5000/a/b:1@${D("d")}`);
  assert.deepEqual([read.endpoint, read.repository, read.tag, read.digest], ["localhost:5000", "a/b", "1", D("d")]);
  assert.equal(parseReadReference("docker://localhost:5000/a").digest, undefined);
  assert.throws(() => parseReadReference("docker://localhost:5000/a@sha256:abc"), /digest "sha256:abc" is not sha256:<64 lower-case hex digits>/);
  assert.throws(() => parseImageReference(`docker://localhost:5000/a@${D("d")}`), /cannot be pushed to; give a tag/);
});
