/**
 * Reading back the archives we (and the reference) write: enough structure
 * to say which member, header field, PAX record or content byte a given
 * offset belongs to.  Not a general tar reader: only what tarfile emits.
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

export interface PaxRecordSpan {
  readonly keyword: string;
  readonly value: Buffer;
  /** Offsets of the whole record ("<len> <kw>=<value>\n") in the archive. */
  readonly start: number;
  readonly end: number;
}

export interface TarMember {
  readonly index: number;
  /** Path from the PAX record if any, else the ustar name field (raw bytes). */
  readonly name: Buffer;
  readonly type: number;
  /** Offset of the PAX extended header block, when there is one. */
  readonly paxHeaderOffset: number | undefined;
  readonly paxRecords: readonly PaxRecordSpan[];
  /** Offset of the member's ustar header block. */
  readonly headerOffset: number;
  readonly dataOffset: number;
  readonly dataSize: number;
  /** End of the padded data: the next member's first byte. */
  readonly end: number;
}

export interface TarLayout {
  readonly members: readonly TarMember[];
  /** Where the end-of-archive zero blocks start. */
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

function fieldBytes(block: Buffer, field: Field): Buffer {
  const raw = block.subarray(field.offset, field.offset + field.size);
  const nul = raw.indexOf(0);
  return nul === -1 ? raw : raw.subarray(0, nul);
}

function octal(block: Buffer, field: Field, at: number): number {
  const text = fieldBytes(block, field).toString("latin1").trim();
  if (!/^[0-7]*$/.test(text)) throw new TarParseError(at + field.offset, `field at ${field.offset} is not octal: ${JSON.stringify(text)}`);
  return text === "" ? 0 : parseInt(text, 8);
}

function paddedEnd(offset: number, size: number): number {
  return offset + Math.ceil(size / BLOCK_SIZE) * BLOCK_SIZE;
}

function parsePaxRecords(payload: Buffer, base: number): PaxRecordSpan[] {
  const records: PaxRecordSpan[] = [];
  let pos = 0;
  while (pos < payload.length) {
    const space = payload.indexOf(0x20, pos);
    const length = space === -1 ? NaN : parseInt(payload.subarray(pos, space).toString("latin1"), 10);
    if (!(length > 0) || pos + length > payload.length) throw new TarParseError(base + pos, "bad PAX record length");
    const body = payload.subarray(space + 1, pos + length - 1);
    const equals = body.indexOf(0x3d);
    records.push({
      keyword: body.subarray(0, equals).toString("utf8"),
      value: body.subarray(equals + 1),
      start: base + pos,
      end: base + pos + length,
    });
    pos += length;
  }
  return records;
}

/** Splits an archive into members; stops at the first all-zero block. */
export function parseTarLayout(archive: Buffer): TarLayout {
  const members: TarMember[] = [];
  let offset = 0;
  let paxHeaderOffset: number | undefined;
  let paxRecords: PaxRecordSpan[] = [];
  while (offset + BLOCK_SIZE <= archive.length) {
    const block = archive.subarray(offset, offset + BLOCK_SIZE);
    if (block.every((b) => b === 0)) return { members, trailerOffset: offset };
    const type = block[TYPEFLAG.offset]!;
    const size = octal(block, SIZE, offset);
    if (type === TypeFlag.paxExtended) {
      paxHeaderOffset = offset;
      const payload = archive.subarray(offset + BLOCK_SIZE, offset + BLOCK_SIZE + size);
      paxRecords = parsePaxRecords(payload, offset + BLOCK_SIZE);
      offset = paddedEnd(offset + BLOCK_SIZE, size);
      continue;
    }
    const path = paxRecords.find((r) => r.keyword === "path")?.value;
    const paxSize = paxRecords.find((r) => r.keyword === "size")?.value;
    const dataSize = paxSize !== undefined ? Number(paxSize.toString("latin1")) : size;
    const hasData = type === TypeFlag.regular || type === 0;
    const dataOffset = offset + BLOCK_SIZE;
    const end = hasData ? paddedEnd(dataOffset, dataSize) : dataOffset;
    members.push({
      index: members.length,
      name: Buffer.from(path ?? fieldBytes(block, NAME)),
      type,
      paxHeaderOffset,
      paxRecords,
      headerOffset: offset,
      dataOffset,
      dataSize: hasData ? dataSize : 0,
      end,
    });
    paxHeaderOffset = undefined;
    paxRecords = [];
    offset = end;
  }
  return { members, trailerOffset: offset };
}
