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
import { jsonDifference } from "./json-diff.ts";
import { showBytes, showHex, showSize } from "../tar/show.ts";
import { paddedSize } from "../tar/number.ts";
import { readTarHead, TarFormatError, type TarHead, type TarHeadResult } from "./tar-head.ts";

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

type Located = Omit<ImageDifference, "notes" | "outer"> & { notes?: string[] };

class ImageComparison {
  private readonly image: ImageDescription;
  private readonly python: PythonVersion;
  private readonly expected: ByteSource;
  private readonly found: ByteSource;
  readonly imageMembers: string[] = [];
  /** Bytes of IMAGE's current outer member not read yet, so the rest can be skimmed after a difference. */
  private imageMemberRest: () => number = () => 0;
  /** Whether IMAGE can still be walked member by member after a difference. */
  private resumable = true;

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

  /** Reads IMAGE's next header group; a malformed one is a difference of its own. */
  private async readFound(source: ByteSource): Promise<TarHeadResult | Located> {
    try {
      return await readTarHead(source);
    } catch (error) {
      if (!(error instanceof TarFormatError)) throw error;
      this.resumable = false;
      return { offset: error.offset, inner: undefined, field: "tar header", expected: "a well-formed header", found: `malformed: ${error.message}` };
    }
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
    const found = await this.readFound(this.found);
    if (!("kind" in found)) return found;
    if (found.kind === "member") {
      this.imageMembers.push(found.name.toString("utf8"));
      this.imageMemberRest = () => paddedSize(found.size);
    }
    if (expected.kind !== "member") return this.archiveEnd(found, "outer entry", index, this.expected, this.found);
    const missing = this.missingMember(expected, found, `outer entry ${index}`);
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
    else content = await this.layer(e, f);
    if (content === undefined) content = await this.padding(expected.size, foundHead.size, undefined, "zero padding after the entry's content");
    if (content === undefined && renamed) {
      return { offset: foundHead.offset, inner: undefined, field: "header field name", expected: showBytes(expected.name), found: showBytes(foundHead.name), notes: ["the content is what CONF produces, only the name differs"] };
    }
    return content === undefined ? undefined : { ...content, notes: [...(content.notes ?? []), ...notes] };
  }

  /** Expected has a member here; IMAGE has an end block, or ends. */
  private missingMember(expected: TarHead, found: TarHeadResult, what: string): Located | undefined {
    if (found.kind === "end") {
      return { offset: found.offset, inner: undefined, field: "entry", expected: `${what} ${showBytes(expected.name)}`, found: "an end-of-archive block" };
    }
    if (found.kind === "eof") {
      this.resumable = false;
      return { offset: found.offset + found.partial.length, inner: undefined, field: "length", expected: `${what} ${showBytes(expected.name)}`, found: `IMAGE ends at byte ${found.offset + found.partial.length}` };
    }
    return undefined;
  }

  /** Expected's members ended (a zero block): IMAGE must end the same way, byte for byte. */
  private async archiveEnd(found: TarHeadResult, what: string, count: number, e: ByteSource, f: ByteSource): Promise<Located | undefined> {
    if (found.kind === "member") {
      return { offset: found.offset, inner: undefined, field: "entry", expected: "an end-of-archive block", found: `an extra ${what} ${count} ${showBytes(found.name)}` };
    }
    if (found.kind === "eof") {
      this.resumable = false;
      return { offset: found.offset + found.partial.length, inner: undefined, field: "length", expected: "two end-of-archive blocks and padding", found: `IMAGE ends at byte ${found.offset + found.partial.length}` };
    }
    return compareBytes(e, f, undefined, "end-of-archive blocks and padding");
  }

  private async padding(expectedSize: number, foundSize: number, inner: string | undefined, what: string, e = this.expected, f = this.found): Promise<Located | undefined> {
    return compareBytes(new SliceSource(e, paddedSize(expectedSize) - expectedSize), new SliceSource(f, paddedSize(foundSize) - foundSize), inner, what);
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
      this.resumable = false;
      return { offset: f.absolute, inner: undefined, field: "length", expected: showSize(expected.length), found: `IMAGE ends at byte ${f.absolute}` };
    }
    const difference = jsonDifference(expected, found, this.python);
    if (difference === undefined) return undefined;
    let at = 0;
    while (at < expected.length && expected[at] === found[at]) at++;
    return { offset: offset + at, inner: undefined, field: `JSON ${difference.path}: ${difference.what}`, expected: difference.expected, found: difference.found };
  }

  /** A store layer: its tarball walked entry by entry. */
  private async layer(e: SliceSource, f: SliceSource): Promise<Located | undefined> {
    for (let index = 0; ; index++) {
      const expected = await readTarHead(e);
      const inner = expected.kind === "member" ? `inner entry ${index} ${showBytes(expected.name)}` : `end of the layer's archive, after ${index} inner entries`;
      const found = await this.readFound(f);
      if (!("kind" in found)) return { ...found, inner };
      if (expected.kind !== "member") {
        const end = await this.archiveEnd(found, "inner entry", index, e, f);
        return end === undefined ? undefined : { ...end, inner };
      }
      const missing = this.missingMember(expected, found, "inner entry");
      if (missing !== undefined) return { ...missing, inner };
      const foundHead = found as TarHead;
      const difference = headDifference(expected, foundHead);
      if (difference !== undefined) return { offset: foundHead.offset + difference.at, inner, field: difference.field, expected: difference.expected, found: difference.found };
      const content = await compareBytes(new SliceSource(e, expected.size), new SliceSource(f, foundHead.size), inner, "content");
      if (content !== undefined) return content;
      const padding = await this.padding(expected.size, foundHead.size, inner, "zero padding after the content", e, f);
      if (padding !== undefined) return padding;
    }
  }

  /** After a difference: IMAGE's remaining outer member names (its config name tells which oracle made it). */
  async skimRest(): Promise<void> {
    if (!this.resumable) return;
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

/**
 * Byte-for-byte comparison of two regions, chunk by chunk.  `what` names the
 * region; the offset shown is within it, from `base`.
 */
async function compareBytes(e: ByteSource, f: ByteSource, inner: string | undefined, what: string): Promise<Located | undefined> {
  for (;;) {
    const a = await e.current();
    const b = await f.current();
    const n = Math.min(a.length, b.length);
    if (n === 0) {
      if (a.length === b.length) return undefined;
      const at = e.position;
      const remaining = f instanceof SliceSource ? f.remaining : 0;
      const ends = b.length === 0 && remaining > 0 ? `IMAGE ends at byte ${f.absolute}` : `${b.length === 0 ? "nothing more" : "more bytes: " + showHex(b.subarray(0, 16))}`;
      return { offset: f.absolute, inner, field: `${what}: length`, expected: a.length === 0 ? `the end after ${showSize(at)}` : `more bytes: ${showHex(a.subarray(0, 16))}`, found: ends };
    }
    if (!a.subarray(0, n).equals(b.subarray(0, n))) {
      let i = 0;
      while (a[i] === b[i]) i++;
      const at = e.position + i;
      return {
        offset: f.absolute + i,
        inner,
        field: `${what} at offset ${at}`,
        expected: showHex(a.subarray(i, i + 16)),
        found: showHex(b.subarray(i, i + 16)),
      };
    }
    e.advance(n);
    f.advance(n);
  }
}

export async function compareImages(image: ImageDescription, python: PythonVersion, expected: ByteSource, found: ByteSource): Promise<Comparison> {
  const comparison = new ImageComparison(image, python, expected, found);
  const difference = await comparison.run();
  if (difference !== undefined) await comparison.skimRest();
  return { difference, imageMembers: comparison.imageMembers };
}
