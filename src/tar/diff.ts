/**
 * Explains where two tar archives first differ, in terms a person can act
 * on: member, header field, PAX record or content offset.
 */
import { BLOCK_SIZE } from "./constants.ts";
import { HEADER_FIELDS, parseTarLayout, TarParseError, type TarMember } from "./inspect.ts";
import { firstDifferingByte, showBytes } from "./show.ts";

export interface TarDifference {
  /** Offset of the first differing byte (or the shorter length). */
  readonly offset: number;
  /** Where that byte lies, e.g. `member 3 "/nix/store/x/y": header field mtime`. */
  readonly where: string;
  /** The differing region in each archive, shown as escaped text. */
  readonly expected: string;
  readonly actual: string;
}

function describeMember(member: TarMember): string {
  return `member ${member.index} ${showBytes(member.name)}`;
}

/** Locates `offset` in `archive` and cuts the surrounding field out of both archives. */
function locate(archive: Buffer, other: Buffer, offset: number): Omit<TarDifference, "offset"> {
  const cut = (start: number, end: number) => ({ expected: showBytes(archive.subarray(start, end)), actual: showBytes(other.subarray(start, end)) });
  let layout;
  try {
    layout = parseTarLayout(archive);
  } catch (error) {
    if (!(error instanceof TarParseError)) throw error;
    return { where: `unparsable archive (${error.message})`, ...cut(offset, offset + 16) };
  }
  for (const member of layout.members) {
    if (offset >= member.end) continue;
    const who = describeMember(member);
    if (member.paxHeaderOffset !== undefined && offset < member.headerOffset) {
      if (offset < member.paxHeaderOffset + BLOCK_SIZE) {
        const [field, span] = HEADER_FIELDS.find(([, f]) => offset - member.paxHeaderOffset! < f.offset + f.size)!;
        const start = member.paxHeaderOffset + span.offset;
        return { where: `${who}: PAX header block field ${field}`, ...cut(start, start + span.size) };
      }
      const record = member.paxRecords.find((r) => offset < r.end);
      if (record === undefined) return { where: `${who}: padding after the PAX records`, ...cut(offset, offset + 16) };
      return { where: `${who}: PAX record ${record.keyword}`, ...cut(record.start, record.end) };
    }
    if (offset < member.headerOffset + BLOCK_SIZE) {
      const [field, span] = HEADER_FIELDS.find(([, f]) => offset - member.headerOffset < f.offset + f.size) ?? ["padding", { offset: 500, size: 12 }];
      const start = member.headerOffset + span.offset;
      return { where: `${who}: header field ${field}`, ...cut(start, start + span.size) };
    }
    const contentOffset = offset - member.dataOffset;
    const region = contentOffset < member.dataSize ? `content at offset ${contentOffset}` : "zero padding after the content";
    return { where: `${who}: ${region}`, ...cut(offset, offset + 16) };
  }
  return { where: `end-of-archive blocks/padding (after ${layout.members.length} members)`, ...cut(offset, offset + 16) };
}

/** The first difference between two archives, or undefined when they are identical. */
export function diffTar(expected: Buffer, actual: Buffer): TarDifference | undefined {
  const offset = firstDifferingByte(expected, actual);
  if (offset === -1) return undefined;
  if (offset === Math.min(expected.length, actual.length)) {
    return {
      offset,
      where: `length: expected ${expected.length} bytes, got ${actual.length}`,
      expected: `${expected.length} bytes`,
      actual: `${actual.length} bytes`,
    };
  }
  return { offset, ...locate(expected, actual, offset) };
}

export function formatTarDifference(difference: TarDifference): string {
  return `first difference at byte ${difference.offset}, ${difference.where}: expected ${difference.expected}, got ${difference.actual}`;
}
