/**
 * Deliberate damage to a golden image, for the verify tests: one header
 * field, one content byte, one PAX record value, two inner entries swapped,
 * two config keys swapped.  Every edit keeps the archive well-formed
 * (header checksums recomputed, lengths unchanged), so verify must find the
 * difference by content and not because the tar stopped parsing.
 */
import { BLOCK_SIZE, type Field } from "../../src/tar/constants.ts";
import { parseTarLayout, type TarMember } from "../../src/tar/inspect.ts";
import { writeChecksum } from "../../src/tar/number.ts";
import { dumpsPythonJson, parsePythonJson } from "../../src/py/json/json.ts";
import type { PyDict } from "../../src/py/value.ts";

export interface Located {
  /** The member in its own archive (offsets relative to that archive). */
  readonly member: TarMember;
  /** Where that archive starts in the image (0 for outer members). */
  readonly base: number;
}

/** Outer member `index`. */
export function outerMember(image: Buffer, index: number): Located {
  const member = parseTarLayout(image).members[index];
  if (member === undefined) throw new Error(`no outer member ${index}`);
  return { member, base: 0 };
}

/** Inner member `inner` of the layer that is outer member `layer`. */
export function innerMember(image: Buffer, layer: number, inner: number): Located {
  const outer = outerMember(image, layer).member;
  const member = parseTarLayout(image.subarray(outer.dataOffset, outer.dataOffset + outer.dataSize)).members[inner];
  if (member === undefined) throw new Error(`no inner member ${inner} in layer ${layer}`);
  return { member, base: outer.dataOffset };
}

export function memberName(at: Located): string {
  return at.member.name.toString("utf8");
}

/** A copy of `image` with `field` of the located ustar header set to `text` (NUL-padded) and the checksum redone. */
export function withHeaderField(image: Buffer, at: Located, field: Field, text: string): Buffer {
  const copy = Buffer.from(image);
  const start = at.base + at.member.headerOffset;
  const value = Buffer.alloc(field.size);
  value.write(text, "latin1");
  value.copy(copy, start + field.offset);
  writeChecksum(copy.subarray(start, start + BLOCK_SIZE));
  return copy;
}

/** A copy with one content byte of the located member inverted. */
export function withContentByteFlipped(image: Buffer, at: Located, offset: number): Buffer {
  if (offset >= at.member.dataSize) throw new Error(`offset ${offset} beyond the ${at.member.dataSize} content bytes`);
  const copy = Buffer.from(image);
  const position = at.base + at.member.dataOffset + offset;
  copy[position] = copy[position]! ^ 0xff;
  return copy;
}

/** A copy with the located member's PAX record `keyword` given another value of the same length. */
export function withPaxValue(image: Buffer, at: Located, keyword: string, value: string): Buffer {
  const record = at.member.paxRecords.find((r) => r.keyword === keyword);
  if (record === undefined) throw new Error(`no PAX record ${keyword}`);
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length !== record.value.length) throw new Error(`PAX ${keyword}: ${bytes.length} bytes for a ${record.value.length}-byte value`);
  const copy = Buffer.from(image);
  bytes.copy(copy, at.base + record.end - 1 - bytes.length);
  return copy;
}

/** The bytes of a member from its first header block to the end of its padded content. */
function span(at: Located): [number, number] {
  return [at.base + (at.member.paxHeaderOffset ?? at.member.headerOffset), at.base + at.member.end];
}

/** A copy with two adjacent members (`first`, then the one right after it) in swapped order. */
export function withMembersSwapped(image: Buffer, first: Located, second: Located): Buffer {
  const [a0, a1] = span(first);
  const [b0, b1] = span(second);
  if (a1 !== b0) throw new Error("the members to swap must be adjacent");
  return Buffer.concat([image.subarray(0, a0), image.subarray(b0, b1), image.subarray(a0, a1), image.subarray(b1)]);
}

/**
 * A copy whose config JSON (outer member `index`) has the keys of the object
 * at `path` in another order, re-dumped as the reference does; the length
 * must not change, so the member's size stays right.
 */
export function withConfigKeysReordered(image: Buffer, index: number, path: readonly string[], order: readonly string[]): Buffer {
  const { member } = outerMember(image, index);
  const text = image.subarray(member.dataOffset, member.dataOffset + member.dataSize).toString("utf8");
  const document = parsePythonJson(text) as PyDict;
  let target = document;
  for (const key of path) target = target.get(key) as PyDict;
  const entries = new Map(target);
  target.clear();
  for (const key of order) target.set(key, entries.get(key)!);
  const bytes = Buffer.from(dumpsPythonJson(document, 4), "utf8");
  if (bytes.length !== member.dataSize) throw new Error(`reordered config is ${bytes.length} bytes, not ${member.dataSize}`);
  const copy = Buffer.from(image);
  bytes.copy(copy, member.dataOffset);
  return copy;
}
