/**
 * Reading one tar member's header group from a ByteSource: the optional PAX
 * extended header (block + records) and the ustar header block.  Everything
 * else about the layout is left to parseTarLayout, run on the few header
 * bytes only, so the content is never buffered.
 */
import { BLOCK_SIZE, SIZE, TYPEFLAG, TypeFlag } from "../tar/constants.ts";
import { parseTarLayout, TarParseError, type PaxRecordSpan } from "../tar/inspect.ts";
import { readUpTo, type ByteSource } from "./byte-source.ts";

/** PAX payloads tarfile writes are a few records; anything bigger is not an image we could have written. */
const MAX_PAX_SIZE = 1 << 20;

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

function octalField(block: Buffer, offset: number): number {
  const raw = block.subarray(SIZE.offset, SIZE.offset + SIZE.size);
  const nul = raw.indexOf(0);
  const text = (nul === -1 ? raw : raw.subarray(0, nul)).toString("latin1").trim();
  if (!/^[0-7]*$/.test(text)) throw new TarFormatError(offset + SIZE.offset, `size field is not octal: ${JSON.stringify(text)}`);
  return text === "" ? 0 : parseInt(text, 8);
}

export function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK_SIZE) * BLOCK_SIZE;
}

export async function readTarHead(source: ByteSource): Promise<TarHeadResult> {
  const offset = source.absolute;
  const first = await readUpTo(source, BLOCK_SIZE);
  if (first.length < BLOCK_SIZE) return { kind: "eof", offset, partial: first };
  if (first.every((b) => b === 0)) return { kind: "end", offset };
  // Named here, before parseTarLayout: its message gives only the field's offset.
  octalField(first, offset);
  const parts = [first];
  if (first[TYPEFLAG.offset] === TypeFlag.paxExtended) {
    const size = octalField(first, offset);
    if (size > MAX_PAX_SIZE) throw new TarFormatError(offset, `PAX extended header of ${size} bytes is implausibly large`);
    const payload = await readUpTo(source, paddedSize(size));
    const header = await readUpTo(source, BLOCK_SIZE);
    parts.push(payload, header);
    if (payload.length < paddedSize(size) || header.length < BLOCK_SIZE) {
      return { kind: "eof", offset, partial: Buffer.concat(parts) };
    }
    if (header[TYPEFLAG.offset] === TypeFlag.paxExtended) throw new TarFormatError(offset + BLOCK_SIZE + payload.length, "two PAX extended headers in a row");
    if (header.every((b) => b === 0)) throw new TarFormatError(offset + BLOCK_SIZE + payload.length, "PAX extended header followed by an end-of-archive block");
    octalField(header, offset + BLOCK_SIZE + payload.length);
  }
  const bytes = Buffer.concat(parts);
  let layout;
  try {
    layout = parseTarLayout(bytes);
  } catch (error) {
    if (error instanceof TarParseError) throw new TarFormatError(offset + error.offset, error.message.replace(/^malformed tar at byte \d+: /, ""));
    throw error;
  }
  const member = layout.members[0];
  if (member === undefined) throw new TarFormatError(offset, "no member header");
  return {
    kind: "member",
    offset,
    bytes,
    headerStart: member.headerOffset,
    paxRecords: member.paxRecords,
    hasPax: member.paxHeaderOffset !== undefined,
    name: member.name,
    type: member.type,
    size: member.dataSize,
  };
}
