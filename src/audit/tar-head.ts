/**
 * Reading one tar member's header group from a ByteSource (the optional PAX
 * extended header and the ustar header block) with the one tar reader, so
 * the content is never buffered.
 */
import { readAsync, readGroup, type MemberGroup, type PaxRecordSpan } from "../tar/reader.ts";
import { TARFILE_WRITTEN, writtenMember } from "../tar/written.ts";
import { readUpTo, type ByteSource } from "./byte-source.ts";

/** The IMAGE holds bytes that are not a tar header where one must be. */
export class TarFormatError extends Error {
  /** Offset in the archive being read. */
  readonly offset: number;
  constructor(offset: number, message: string) {
    super(message);
    this.offset = offset;
    this.name = "TarFormatError";
  }
}

export interface TarHead {
  readonly kind: "member";
  /** Offset of the group's first byte in IMAGE (ByteSource.absolute). */
  readonly offset: number;
  /** The whole group: PAX block, padded PAX payload, ustar block. */
  readonly bytes: Buffer;
  /** Offset of the ustar block within `bytes` (0 without PAX). */
  readonly headerStart: number;
  /** PAX records with spans relative to `bytes`; empty without PAX. */
  readonly paxRecords: readonly PaxRecordSpan[];
  readonly hasPax: boolean;
  /** PAX path if any, else the ustar name field. */
  readonly name: Buffer;
  readonly type: number;
  /** Content bytes that follow (0 for links, directories, devices). */
  readonly size: number;
}

/** Where an archive's members end: the first all-zero block (consumed). */
export interface TarEnd {
  readonly kind: "end";
  readonly offset: number;
}

/** Input ended where a header block should start or before it was complete. */
export interface TarEof {
  readonly kind: "eof";
  readonly offset: number;
  readonly partial: Buffer;
}

export type TarHeadResult = TarHead | TarEnd | TarEof;

/** Reads the header group at the source's position (reader.ts), relative offsets made absolute. */
export async function readTarHead(source: ByteSource): Promise<TarHeadResult> {
  const offset = source.absolute;
  // Read from offset 0: the group's offsets are then relative to its first byte, as TarHead's are.
  const group = await readAsync(readGroup(0, TARFILE_WRITTEN), (length) => readUpTo(source, length));
  if (group.kind === "end") return { kind: "end", offset };
  if (group.kind === "eof") return { kind: "eof", offset, partial: group.partial };
  const member = group.kind === "bad" ? group : writtenMember(group);
  if ("kind" in member) throw new TarFormatError(offset + member.offset, member.reason);
  const { bytes, blockOffset } = group as MemberGroup;
  return { kind: "member", offset, bytes, headerStart: blockOffset, paxRecords: member.paxRecords, hasPax: member.paxHeaderOffset !== undefined, name: member.name, type: member.type, size: member.dataSize };
}
