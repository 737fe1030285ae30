/**
 * The four variants of a published image's (conf, root) for issue 21's
 * acceptance, each differing from the image in exactly one way, with the
 * differences verify and diff must report, checked here against what our
 * CLI computes (`digest`: which diff_ids change) and streams (each changed
 * layer read member by member with layer-members.ts), so that a wrong
 * fixture fails here and not as a puzzling verify result.
 *
 * - byte:  one byte of one regular file changed, in a copy of the store:
 *          one layer, one member, its content (size, mode, times unchanged).
 * - mtime: the conf's `mtime` changed.  A file's own mtime in the store
 *          never reaches the image (the current script stamps every store
 *          member with the conf's mtime; the 2020 one with 1), so the conf
 *          is the only place "one changed mtime" can be made: every member
 *          of every store layer then differs in its mtime field alone, and
 *          the customisation layer (a prebuilt tarball) not at all.
 * - owner: the conf's `uid` changed (1000 to 1001; uname kept): every
 *          member of every store layer differs in its uid field alone.
 * - layer: one more store path as a layer of its own, appended to the
 *          store layers (before the customisation layer): the conf's image
 *          has one layer more; the others are the same layers, the
 *          customisation layer one index further.
 * mtime and owner exist only for current-generation confs (a 2020 conf has
 * neither key, and adding one would change its generation).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import { archiveMembers, compareLayers, layerMembers, type MemberDifference } from "./layer-members.ts";
import { runCliAsync } from "./registry.ts";

export type VariantKind = "byte" | "mtime" | "owner" | "layer";

export interface ExpectedLayerDifference {
  /** The layer's index: in both images for "changed", in the conf's image for "only-in-conf". */
  readonly index: number;
  readonly status: "changed" | "only-in-conf";
  /** For "changed": every member that differs and the fields that do ("content": its data). */
  readonly members: readonly MemberDifference[];
}

export interface ExpectedDifferences {
  readonly layerCounts: { readonly conf: number; readonly image: number };
  /** Layer differences once the layers are matched by diff_id (so the moved customisation layer is not one). */
  readonly layers: readonly ExpectedLayerDifference[];
  /** The config keys that differ, as prefixes of JSON paths ("rootfs.diff_ids", "history"). */
  readonly config: readonly string[];
}

export interface Variant {
  readonly kind: VariantKind;
  readonly conf: string;
  readonly root: string;
  /** What `digest` prints for it: the image id the conf gives, and its diff_ids. */
  readonly imageId: string;
  readonly diffIds: readonly string[];
  readonly expected: ExpectedDifferences;
}

export interface DigestSummary {
  readonly imageId: string;
  readonly diffIds: readonly string[];
  /** `registry_manifests.oci.digest`: the manifest a registry shows after our push with uncompressed layers. */
  readonly uncompressedOciManifest?: string;
}

/** `node dist/cli.js digest`: the image id and diff_ids CONF gives. */
export async function digestOf(root: string, conf: string): Promise<DigestSummary> {
  const run = await runCliAsync(["digest", "--root", root, conf]);
  assert.equal(run.status, 0, `digest --root ${root} ${conf}: ${run.stderr}`);
  const printed = JSON.parse(run.stdout) as { image_id: string; layers: { diff_id: string }[]; registry_manifests: { oci: { digest: string } } };
  return { imageId: printed.image_id, diffIds: printed.layers.map((l) => l.diff_id), uncompressedOciManifest: printed.registry_manifests.oci.digest };
}

/** Our docker-archive for (root, conf), written to `output`. */
export async function streamImage(root: string, conf: string, output: string): Promise<void> {
  const run = await runCliAsync(["--quiet", "--root", root, "-o", output, conf]);
  assert.equal(run.status, 0, `stream --root ${root} ${conf}: ${run.stderr}`);
}

/** The layer tarballs of a docker-archive of ours, in manifest order. */
function layersOf(archive: string): Buffer[] {
  const members = archiveMembers(readFileSync(archive));
  const manifest = JSON.parse(members.get("manifest.json")!.toString("utf8")) as { Layers: string[] }[];
  return manifest[0]!.Layers.map((name) => members.get(name)!);
}

export interface VariantSubject {
  readonly label: string;
  readonly root: string;
  readonly conf: string;
  /** Our stream of the published image (docker-archive). */
  readonly stream: string;
  readonly original: DigestSummary;
  /** The byte variant's edit: a regular file, as its layer names it. */
  readonly edit: { readonly layer: number; readonly member: string; readonly offset: number };
  /** A store path in `root` the conf does not use: the layer variant's new layer. */
  readonly extraPath: string;
}

function changedConf(subject: VariantSubject, dir: string, kind: VariantKind): string {
  const conf = JSON.parse(readFileSync(subject.conf, "utf8")) as Record<string, unknown>;
  if (kind === "mtime") conf["mtime"] = "2001-02-03T04:05:06+00:00";
  if (kind === "owner") conf["uid"] = (conf["uid"] as number) + 1;
  if (kind === "layer") conf["store_layers"] = [...(conf["store_layers"] as string[][]), [subject.extraPath]];
  if (kind === "byte") return subject.conf;
  const path = join(dir, `${subject.label}-${kind}.json`);
  writeFileSync(path, `${JSON.stringify(conf, null, 2)}\n`);
  return path;
}

/** A copy of the store with one byte of the edited file changed (modes and times kept). */
function byteRoot(subject: VariantSubject, dir: string): string {
  const root = join(dir, `${subject.label}-byte-root`);
  execFileSync("cp", ["-a", subject.root, root]);
  const file = join(root, subject.edit.member);
  const mode = statSync(file).mode & 0o7777;
  chmodSync(file, 0o644);
  const data = readFileSync(file);
  assert.ok(subject.edit.offset < data.length, `${subject.edit.member} is shorter than the edit offset`);
  data[subject.edit.offset] = data[subject.edit.offset]! ^ 0x01;
  writeFileSync(file, data);
  chmodSync(file, mode);
  return root;
}

/** What `kind` changes, from the original image's streamed layers. */
function expectedFor(subject: VariantSubject, kind: VariantKind, originalLayers: readonly Buffer[]): ExpectedDifferences {
  const count = subject.original.diffIds.length;
  const storeLayers = [...Array(count - 1).keys()];
  const everyMember = (field: string): ExpectedLayerDifference[] =>
    storeLayers.map((index) => ({ index, status: "changed", members: layerMembers(originalLayers[index]!).map((m) => ({ name: m.name, fields: [field] })) }));
  switch (kind) {
    case "byte":
      return { layerCounts: { conf: count, image: count }, layers: [{ index: subject.edit.layer, status: "changed", members: [{ name: subject.edit.member, fields: ["content"] }] }], config: ["rootfs.diff_ids"] };
    case "mtime":
      return { layerCounts: { conf: count, image: count }, layers: everyMember("mtime"), config: ["rootfs.diff_ids"] };
    case "owner":
      return { layerCounts: { conf: count, image: count }, layers: everyMember("uid"), config: ["rootfs.diff_ids"] };
    case "layer":
      return { layerCounts: { conf: count + 1, image: count }, layers: [{ index: count - 1, status: "only-in-conf", members: [] }], config: ["rootfs.diff_ids", "history"] };
  }
}

/** Asserts that `digest` and the streamed layers show exactly the intended difference. */
function checkVariant(subject: VariantSubject, variant: Variant, variantLayers: readonly Buffer[], originalLayers: readonly Buffer[]): void {
  const what = `${subject.label} ${variant.kind} variant`;
  const original = subject.original.diffIds;
  assert.notEqual(variant.imageId, subject.original.imageId, `${what}: the image id must differ`);
  assert.equal(variant.diffIds.length, variant.expected.layerCounts.conf, `${what}: layer count`);
  if (variant.kind === "layer") {
    const n = original.length - 1;
    assert.deepEqual([...variant.diffIds.slice(0, n), variant.diffIds[n + 1]], original, `${what}: the other layers are the same, the customisation layer last`);
    assert.ok(!original.includes(variant.diffIds[n]!), `${what}: the added layer is a new one`);
    return;
  }
  const changed = variant.expected.layers.map((l) => l.index);
  const differing = original.flatMap((id, index) => (variant.diffIds[index] === id ? [] : [index]));
  assert.deepEqual(differing, changed, `${what}: the layers whose diff_id differs`);
  for (const layer of variant.expected.layers) {
    const found = compareLayers(layerMembers(originalLayers[layer.index]!), layerMembers(variantLayers[layer.index]!));
    assert.deepEqual(found, { changed: layer.members, added: [], removed: [] }, `${what}: the members of layer ${layer.index} that differ`);
  }
}

/** The variants `kinds` of `subject` (mtime and owner need a current-generation conf), checked. */
export async function makeVariants(subject: VariantSubject, kinds: readonly VariantKind[], dir: string): Promise<Variant[]> {
  const originalLayers = layersOf(subject.stream);
  const variants: Variant[] = [];
  for (const kind of kinds) {
    const root = kind === "byte" ? byteRoot(subject, dir) : subject.root;
    const conf = changedConf(subject, dir, kind);
    const summary = await digestOf(root, conf);
    const variant: Variant = { kind, conf, root, ...summary, expected: expectedFor(subject, kind, originalLayers) };
    const stream = join(dir, `${subject.label}-${kind}.tar`);
    await streamImage(root, conf, stream);
    checkVariant(subject, variant, layersOf(stream), originalLayers);
    variants.push(variant);
  }
  return variants;
}
