/**
 * The streaming comparison behind `verify`: walks the outer tarball of both
 * sides member by member and, inside store layers, the inner tarball entry by
 * entry, holding only header groups and the current chunk.  The config JSON
 * and manifest, small, are compared as parsed JSON.
 *
 * A layer or config whose *name* differs only because its digest does is not
 * itself the first difference: the comparison goes on into the content to
 * find the byte that changed the digest, and notes the names.
 */
import { NAME, SIZE, CHKSUM } from "../tar/constants.ts";
import type { ImageDescription } from "../image/types.ts";
import type { PythonVersion } from "../py/version.ts";
import { readUpTo, SliceSource, skip, type ByteSource } from "./byte-source.ts";
import { headDifference } from "./header-diff.ts";
import { compareBytes, TarWalk, type Located } from "./tar-walk.ts";
import { jsonDifference } from "./json-diff.ts";
import { showBytes, showSize } from "../tar/show.ts";
import { paddedSize } from "../tar/number.ts";
import { readTarHead, type TarHead, type TarHeadResult } from "./tar-head.ts";

/** The first difference, located. */
export interface ImageDifference {
  /** Offset in IMAGE of the first differing byte (or where IMAGE ends). */
  readonly offset: number;
  /** The outer entry: `layer 0 "<sha>/layer.tar"`, `config "<sha>.json"`, `manifest.json`, `end of archive`. */
  readonly outer: string;
  /** Inside a store layer: `inner entry 3 "nix/store/…"`. */
  readonly inner: string | undefined;
  /** `header field mode`, `PAX record mtime`, `content at offset 17`, `JSON config.Env[2]: value differs`, ... */
  readonly field: string;
  readonly expected: string;
  readonly found: string;
  /** Context: digests that differ as a consequence, a malformed header's reason. */
  readonly notes: readonly string[];
}

export interface Comparison {
  readonly difference: ImageDifference | undefined;
  /** IMAGE's outer member names, as far as they could be read. */
  readonly imageMembers: readonly string[];
}

/** Config and manifest are read whole: refuse to buffer more than this from IMAGE. */
const MAX_JSON_SIZE = 64 << 20;

const LAYER_NAME = /^[0-9a-f]{64}\/layer\.tar$/;
const CONFIG_NAME = /^[0-9a-f]{64}\.json$/;

/** Both names are digests of the same kind of member: a difference there follows from the content. */
function digestNamed(expected: Buffer, found: Buffer): boolean {
  const e = expected.toString("latin1");
  const f = found.toString("latin1");
  return (LAYER_NAME.test(e) && LAYER_NAME.test(f)) || (CONFIG_NAME.test(e) && CONFIG_NAME.test(f));
}

/** `found` with the name, size and checksum of `expected`'s ustar block: what is left differs for other reasons. */
function withoutDigestFields(expected: TarHead, found: TarHead): TarHead {
  const bytes = Buffer.from(found.bytes);
  for (const field of [NAME, SIZE, CHKSUM]) {
    const at = found.headerStart + field.offset;
    expected.bytes.copy(bytes, at, expected.headerStart + field.offset, expected.headerStart + field.offset + field.size);
  }
  return { ...found, bytes };
}


class ImageComparison {
  private readonly image: ImageDescription;
  private readonly python: PythonVersion;
  private readonly expected: ByteSource;
  private readonly found: ByteSource;
  readonly imageMembers: string[] = [];
  /** Bytes of IMAGE's current outer member not read yet, so the rest can be skimmed after a difference. */
  private imageMemberRest: () => number = () => 0;
  /** The walk of both tarballs in step (its `resumable` says whether IMAGE can be skimmed after a difference). */
  private readonly walk = new TarWalk();

  constructor(image: ImageDescription, python: PythonVersion, expected: ByteSource, found: ByteSource) {
    this.image = image;
    this.python = python;
    this.expected = expected;
    this.found = found;
  }

  private outerLabel(index: number, name: Buffer): string {
    const layers = this.image.layers;
    if (index < layers.length) return `${layers[index]!.customisation ? "customisation layer" : "layer"} ${index} ${showBytes(name)}`;
    return index === layers.length ? `config ${showBytes(name)}` : showBytes(name);
  }

  async run(): Promise<ImageDifference | undefined> {
    for (let index = 0; ; index++) {
      const expected = await readTarHead(this.expected);
      const label = expected.kind === "member" ? this.outerLabel(index, expected.name) : "end of archive";
      const located = await this.outerMember(index, expected);
      if (located !== undefined) return { ...located, outer: label, notes: located.notes ?? [] };
      if (expected.kind !== "member") return undefined;
    }
  }

  private async outerMember(index: number, expected: TarHeadResult): Promise<Located | undefined> {
    const found = await this.walk.readFound(this.found);
    if (!("kind" in found)) return found;
    if (found.kind === "member") {
      this.imageMembers.push(found.name.toString("utf8"));
      this.imageMemberRest = () => paddedSize(found.size);
    }
    if (expected.kind !== "member") return this.walk.archiveEnd(found, "outer entry", index, this.expected, this.found);
    const missing = this.walk.missingMember(expected, found, `outer entry ${index}`);
    if (missing !== undefined) return missing;
    const foundHead = found as TarHead;

    const notes: string[] = [];
    let difference = headDifference(expected, foundHead);
    let renamed = false;
    if (difference !== undefined && digestNamed(expected.name, foundHead.name)) {
      difference = headDifference(expected, withoutDigestFields(expected, foundHead));
      renamed = !expected.name.equals(foundHead.name);
      if (renamed) notes.push(`the image names this entry ${showBytes(foundHead.name)} where the conf gives ${showBytes(expected.name)}: the digests differ`);
      if (expected.size !== foundHead.size) notes.push(`its size in IMAGE is ${showSize(foundHead.size)}, CONF gives ${showSize(expected.size)}`);
    }
    if (difference !== undefined) return { offset: foundHead.offset + difference.at, inner: undefined, field: difference.field, expected: difference.expected, found: difference.found, notes };

    const e = new SliceSource(this.expected, expected.size);
    const f = new SliceSource(this.found, foundHead.size);
    this.imageMemberRest = () => f.remaining + paddedSize(foundHead.size) - foundHead.size;
    const layer = this.image.layers[index];
    let content: Located | undefined;
    if (layer === undefined) content = await this.json(e, f);
    else if (layer.customisation) content = await compareBytes(e, f, undefined, "content of layer.tar (copied as is from the customisation layer)");
    else content = await this.walk.layer(e, f);
    if (content === undefined) content = await this.walk.padding(expected.size, foundHead.size, undefined, "zero padding after the entry's content", this.expected, this.found);
    if (content === undefined && renamed) {
      return { offset: foundHead.offset, inner: undefined, field: "header field name", expected: showBytes(expected.name), found: showBytes(foundHead.name), notes: ["the content is what CONF produces, only the name differs"] };
    }
    return content === undefined ? undefined : { ...content, notes: [...(content.notes ?? []), ...notes] };
  }

  /** The config or manifest: parsed and compared by JSON path. */
  private async json(e: SliceSource, f: SliceSource): Promise<Located | undefined> {
    const offset = f.absolute;
    const expected = await readUpTo(e, e.remaining);
    if (f.remaining > MAX_JSON_SIZE) {
      return { offset, inner: undefined, field: "header field size", expected: showSize(expected.length), found: `${showSize(f.remaining)}, too large to be a config or manifest` };
    }
    const found = await readUpTo(f, f.remaining);
    if (f.remaining > 0) {
      this.walk.resumable = false;
      return { offset: f.absolute, inner: undefined, field: "length", expected: showSize(expected.length), found: `IMAGE ends at byte ${f.absolute}` };
    }
    const difference = jsonDifference(expected, found, this.python);
    if (difference === undefined) return undefined;
    let at = 0;
    while (at < expected.length && expected[at] === found[at]) at++;
    return { offset: offset + at, inner: undefined, field: `JSON ${difference.path}: ${difference.what}`, expected: difference.expected, found: difference.found };
  }

  /** After a difference: IMAGE's remaining outer member names (its config name tells which oracle made it). */
  async skimRest(): Promise<void> {
    if (!this.walk.resumable) return;
    if ((await skip(this.found, this.imageMemberRest())) < this.imageMemberRest()) return;
    for (;;) {
      let head;
      try {
        head = await readTarHead(this.found);
      } catch {
        return;
      }
      if (head.kind !== "member") return;
      this.imageMembers.push(head.name.toString("utf8"));
      const size = paddedSize(head.size);
      if ((await skip(this.found, size)) < size) return;
    }
  }
}

export async function compareImages(image: ImageDescription, python: PythonVersion, expected: ByteSource, found: ByteSource): Promise<Comparison> {
  const comparison = new ImageComparison(image, python, expected, found);
  const difference = await comparison.run();
  if (difference !== undefined) await comparison.skimRest();
  return { difference, imageMembers: comparison.imageMembers };
}
