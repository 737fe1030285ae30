/**
 * Walking two tarballs in step, as `verify` compares them: a header group
 * from each side (a malformed one on IMAGE's side is a difference of its
 * own), the end of the members, zero padding, and content byte for byte.
 * compare.ts walks the outer tarball with it; a layer's inner tarball, in a
 * docker-archive or a blob fetched from a registry, is walked by
 * `compareLayer` alone.  Only header groups and the current chunk are held.
 */
import { paddedSize } from "../tar/number.ts";
import { showBytes, showHex, showSize } from "../tar/show.ts";
import { SliceSource, type ByteSource } from "./byte-source.ts";
import { headDifference } from "./header-diff.ts";
import { readTarHead, TarFormatError, type TarHead, type TarHeadResult } from "./tar-head.ts";

/** A difference as found inside one tarball; compare.ts adds which outer entry it is in. */
export interface Located {
  /** Offset in IMAGE of the first differing byte (or where IMAGE ends). */
  readonly offset: number;
  readonly inner: string | undefined;
  readonly field: string;
  readonly expected: string;
  readonly found: string;
  readonly notes?: string[];
}

export class TarWalk {
  /** Whether IMAGE can still be walked member by member after a difference. */
  resumable = true;

  /** Reads IMAGE's next header group; a malformed one is a difference of its own. */
  async readFound(source: ByteSource): Promise<TarHeadResult | Located> {
    try {
      return await readTarHead(source);
    } catch (error) {
      if (!(error instanceof TarFormatError)) throw error;
      this.resumable = false;
      return { offset: error.offset, inner: undefined, field: "tar header", expected: "a well-formed header", found: `malformed: ${error.message}` };
    }
  }

  /** Expected has a member here; IMAGE has an end block, or ends. */
  missingMember(expected: TarHead, found: TarHeadResult, what: string): Located | undefined {
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
  async archiveEnd(found: TarHeadResult, what: string, count: number, e: ByteSource, f: ByteSource): Promise<Located | undefined> {
    if (found.kind === "member") {
      return { offset: found.offset, inner: undefined, field: "entry", expected: "an end-of-archive block", found: `an extra ${what} ${count} ${showBytes(found.name)}` };
    }
    if (found.kind === "eof") {
      this.resumable = false;
      return { offset: found.offset + found.partial.length, inner: undefined, field: "length", expected: "two end-of-archive blocks and padding", found: `IMAGE ends at byte ${found.offset + found.partial.length}` };
    }
    return compareBytes(e, f, undefined, "end-of-archive blocks and padding");
  }

  async padding(expectedSize: number, foundSize: number, inner: string | undefined, what: string, e: ByteSource, f: ByteSource): Promise<Located | undefined> {
    return compareBytes(new SliceSource(e, paddedSize(expectedSize) - expectedSize), new SliceSource(f, paddedSize(foundSize) - foundSize), inner, what);
  }

  /** A store layer: its tarball walked entry by entry. */
  async layer(e: SliceSource, f: SliceSource): Promise<Located | undefined> {
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
}

/**
 * Byte-for-byte comparison of two regions, chunk by chunk.  `what` names the
 * region; the offset shown is within it, from `base`.
 */
export async function compareBytes(e: ByteSource, f: ByteSource, inner: string | undefined, what: string): Promise<Located | undefined> {
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

/** The first difference between two layer tarballs (a layer of a docker-archive, or a layer blob decompressed). */
export async function compareLayer(expected: ByteSource, found: ByteSource): Promise<Located | undefined> {
  return new TarWalk().layer(new SliceSource(expected, Number.MAX_SAFE_INTEGER), new SliceSource(found, Number.MAX_SAFE_INTEGER));
}
