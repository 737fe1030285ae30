/**
 * Reading back the archives we (and the reference) write, whole in memory:
 * enough structure to say which member, header field, PAX record or content
 * byte a given offset belongs to.  The reading itself is reader.ts's.
 */
import {
  BLOCK_SIZE,
  CHKSUM,
  DEVMAJOR,
  DEVMINOR,
  GID,
  GNAME,
  LINKNAME,
  MAGIC,
  MODE,
  MTIME,
  NAME,
  PREFIX,
  SIZE,
  TYPEFLAG,
  TypeFlag,
  UID,
  UNAME,
  VERSION,
  type Field,
} from "./constants.ts";
import { paddedSize } from "./number.ts";
import { bufferReader, readGroup, readSync, type MemberGroup } from "./reader.ts";
import { TARFILE_WRITTEN, writtenMember, type WrittenMember } from "./written.ts";

export type { PaxRecordSpan } from "./reader.ts";

export const HEADER_FIELDS: readonly (readonly [string, Field])[] = [
  ["name", NAME],
  ["mode", MODE],
  ["uid", UID],
  ["gid", GID],
  ["size", SIZE],
  ["mtime", MTIME],
  ["chksum", CHKSUM],
  ["typeflag", TYPEFLAG],
  ["linkname", LINKNAME],
  ["magic", MAGIC],
  ["version", VERSION],
  ["uname", UNAME],
  ["gname", GNAME],
  ["devmajor", DEVMAJOR],
  ["devminor", DEVMINOR],
  ["prefix", PREFIX],
];

export interface TarMember extends WrittenMember {
  readonly index: number;
  /** Offset of the member's ustar header block. */
  readonly headerOffset: number;
  readonly dataOffset: number;
  /** End of the padded data: the next member's first byte. */
  readonly end: number;
}

export interface TarLayout {
  readonly members: readonly TarMember[];
  /** Where the end-of-archive zero blocks start (or the input ends). */
  readonly trailerOffset: number;
}

export class TarParseError extends Error {
  readonly offset: number;
  constructor(offset: number, message: string) {
    super(`malformed tar at byte ${offset}: ${message}`);
    this.offset = offset;
    this.name = "TarParseError";
  }
}

/** Splits an archive tarfile wrote into members (reader.ts); stops at the first all-zero block. */
export function parseTarLayout(archive: Buffer): TarLayout {
  const members: TarMember[] = [];
  for (let offset = 0; ; ) {
    const group = readSync(readGroup(offset, TARFILE_WRITTEN), bufferReader(archive, offset));
    if (group.kind === "end" || group.kind === "eof") return { members, trailerOffset: offset };
    const member = group.kind === "bad" ? group : writtenMember(group);
    if ("kind" in member) throw new TarParseError(member.offset, member.reason);
    const dataOffset = (group as MemberGroup).blockOffset + BLOCK_SIZE;
    const end = dataOffset + paddedSize(member.dataSize);
    members.push({ ...member, index: members.length, headerOffset: dataOffset - BLOCK_SIZE, dataOffset, end });
    offset = end;
  }
}
