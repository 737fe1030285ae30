/**
 * One member's header block as CPython's tarfile writes it: TarHeader (the
 * TarInfo fields that reach it), the ustar fields, the PAX records for what
 * does not fit, and the differences between CPython versions (TarFormat).
 */
import {
  BLOCK_SIZE,
  DEVMAJOR,
  DEVMINOR,
  GID,
  GNAME,
  LINKNAME,
  MAGIC,
  MODE,
  MTIME,
  NAME,
  PAX_HEADER_NAME,
  POSIX_MAGIC,
  SIZE,
  TYPEFLAG,
  TypeFlag,
  UID,
  UNAME,
  type Field,
} from "./constants.ts";
import { fitsOctal, paddedSize, writeChecksum, writeOctal, zeroFill } from "./number.ts";
import { encodePaxRecords, type PaxRecord } from "./pax.ts";
import { fsEncode, strFacts, writeAsciiReplaced } from "../py/fsname.ts";
import type { TarFormat } from "../profile/python.ts";

/**
 * One archive member's metadata, the fields of CPython's `TarInfo` that reach
 * the header.  Strings are Python strs: file names decoded with
 * surrogateescape, so a lone surrogate U+DC80..U+DCFF stands for a raw byte.
 */
export interface TarHeader {
  /** A directory gets its trailing "/" here, as `TarInfo.get_info` adds it. */
  readonly name: string;
  /** Full st_mode is fine: only `mode & 0o7777` is written. */
  readonly mode: number;
  readonly uid: number | bigint;
  readonly gid: number | bigint;
  readonly size: number | bigint;
  readonly mtime: number | bigint;
  readonly type: TypeFlag;
  readonly linkname: string;
  readonly uname: string;
  readonly gname: string;
  readonly devmajor: number;
  readonly devminor: number;
  /**
   * `TarInfo.pax_headers`: the PAX records tarfile read for a member of a
   * base image, in the order they were read (a Python dict).  `tobuf` writes
   * them all again first, and a field they name never gets a new record.
   * Only such a member's `mtime` may be a non-integer (PAX mtime is a float).
   */
  readonly pax?: ReadonlyMap<string, string>;
}

/** Python's `round(float)`: to the nearest integer, ties to even. */
function roundHalfEven(value: number): bigint {
  const floor = Math.floor(value);
  const rest = value - floor;
  const rounded = rest > 0.5 || (rest === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return BigInt(rounded);
}

/** The ustar value of a number field the read records name (see TarFormat.readPaxNumbersZeroed). */
function readPaxNumber(value: number | bigint, field: Field, format: TarFormat): number | bigint {
  if (format.readPaxNumbersZeroed) return 0;
  const integer = typeof value === "number" && !Number.isInteger(value) ? roundHalfEven(value) : value;
  return fitsOctal(integer, field) ? integer : 0;
}


export class TarHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TarHeaderError";
  }
}

/** `TarInfo.get_info`: a directory's name ends with "/" before any length test. */
function memberName(header: TarHeader): string {
  const { name, type } = header;
  return type === TypeFlag.directory && !name.endsWith("/") ? `${name}/` : name;
}

interface UstarFields {
  name: string;
  mode: number;
  uid: number | bigint;
  gid: number | bigint;
  size: number | bigint;
  mtime: number | bigint;
  type: TypeFlag;
  linkname: string;
  uname: string;
  gname: string;
  /** undefined: the fields are NUL-filled. */
  device: { major: number; minor: number } | undefined;
}

const ASCII_ONLY = /^[\x00-\x7f]*$/;

/**
 * tarfile's `stn(value, field.size, "ascii", "replace")` into a zeroed
 * field.  A pure-ASCII str (the usual name) takes Buffer's native write,
 * several times faster than the code point loop the general case needs.
 */
function writeStringField(header: Buffer, value: string, field: Field): void {
  if (ASCII_ONLY.test(value)) header.write(value, field.offset, field.size, "latin1");
  else writeAsciiReplaced(value, header, field.offset, field.size);
}

/** tarfile's `_create_header(info, USTAR_FORMAT, "ascii", "replace")`, written at `offset` of `block`. */
function writeUstarBlock(fields: UstarFields, block: Buffer, offset: number): void {
  zeroFill(block, offset, offset + BLOCK_SIZE);
  const header = offset === 0 && block.length === BLOCK_SIZE ? block : block.subarray(offset, offset + BLOCK_SIZE);
  writeStringField(header, fields.name, NAME);
  writeOctal(header, MODE, fields.mode & 0o7777);
  writeOctal(header, UID, fields.uid);
  writeOctal(header, GID, fields.gid);
  writeOctal(header, SIZE, fields.size);
  writeOctal(header, MTIME, fields.mtime);
  header[TYPEFLAG.offset] = fields.type;
  writeStringField(header, fields.linkname, LINKNAME);
  POSIX_MAGIC.copy(header, MAGIC.offset);
  writeStringField(header, fields.uname, UNAME);
  writeStringField(header, fields.gname, GNAME);
  if (fields.device !== undefined) {
    for (const [field, value] of [
      [DEVMAJOR, fields.device.major],
      [DEVMINOR, fields.device.minor],
    ] as const) {
      if (!fitsOctal(value, field)) {
        throw new TarHeaderError(`device number ${value} does not fit the ${field.size}-byte octal field`);
      }
      writeOctal(header, field, value);
    }
  }
  writeChecksum(header);
}

const STRING_FIELDS = [
  ["name", "path", NAME],
  ["linkname", "linkpath", LINKNAME],
  ["uname", "uname", UNAME],
  ["gname", "gname", GNAME],
] as const;

const NO_RECORDS: ReadonlyMap<string, string> = new Map();

const NUMBER_FIELDS = [
  ["uid", UID],
  ["gid", GID],
  ["size", SIZE],
  ["mtime", MTIME],
] as const;

/**
 * The bytes tarfile writes for one member in PAX_FORMAT (`TarInfo.tobuf` →
 * `create_pax_header`): an optional PAX extended header with its records,
 * then the ustar block.  Content and its padding are the caller's.
 */
export function encodeHeader(header: TarHeader, format: TarFormat): Buffer {
  const fields = ustarFields(header, format);
  const read = header.pax ?? NO_RECORDS;
  // The records read come first, as read; a value that is not valid UTF-8
  // (surrogateescaped) makes the whole header hdrcharset=BINARY.
  const records: PaxRecord[] = [...read].map(([keyword, value]) => ({ keyword, value: fsEncode(value) }));
  let binary = [...read.values()].some((value) => !strFacts(value).utf8);
  if (addStringRecords(fields, read, records)) binary = true;
  addNumberRecords(fields, read, format, records);
  return records.length === 0 ? ustarOnly(fields) : withPaxHeader(fields, encodePaxRecords(records, binary), format);
}

/** The ustar fields of `header` before any goes to a PAX record. */
function ustarFields(header: TarHeader, format: TarFormat): UstarFields {
  const isDevice = header.type === TypeFlag.char || header.type === TypeFlag.block;
  return {
    name: memberName(header),
    mode: header.mode,
    uid: header.uid,
    gid: header.gid,
    size: header.size,
    mtime: header.mtime,
    type: header.type,
    linkname: header.linkname,
    uname: header.uname,
    gname: header.gname,
    device: isDevice
      ? { major: header.devmajor, minor: header.devminor }
      : format.devFieldsInEveryHeader
        ? { major: 0, minor: 0 }
        : undefined,
  };
}

/**
 * A string goes to a record when it is not pure ASCII or longer (in code
 * points) than its field, unless the records read name it already.
 * Returns whether one of them makes the header hdrcharset=BINARY.
 */
function addStringRecords(fields: UstarFields, read: ReadonlyMap<string, string>, records: PaxRecord[]): boolean {
  let binary = false;
  for (const [key, keyword, field] of STRING_FIELDS) {
    if (read.has(keyword)) continue;
    const value = fields[key];
    const facts = strFacts(value);
    if (!facts.ascii || facts.length > field.size) {
      // UTF-8, or with hdrcharset=BINARY the raw bytes surrogateescape
      // restores: for a str both are what fsEncode gives.
      records.push({ keyword, value: fsEncode(value) });
      if (!facts.utf8) binary = true;
    }
  }
  return binary;
}

/**
 * A number goes to a record (and the field holds 0) when it is negative or
 * too large for the octal field; one the records read name is written as
 * TarFormat says.
 */
function addNumberRecords(fields: UstarFields, read: ReadonlyMap<string, string>, format: TarFormat, records: PaxRecord[]): void {
  for (const [key, field] of NUMBER_FIELDS) {
    const value = fields[key];
    if (read.has(key)) fields[key] = readPaxNumber(value, field, format);
    else if (!fitsOctal(value, field)) {
      // str(int): via BigInt, since Number#toString switches to exponents at 1e21.
      records.push({ keyword: key, value: Buffer.from(BigInt(value).toString(), "latin1") });
      fields[key] = 0;
    }
  }
}

/**
 * A member with no PAX records: its ustar block alone.  (One buffer per
 * member, from Node's pool: withPaxHeader writes the PAX block, its padded
 * records and the ustar block into one in place.)
 */
function ustarOnly(fields: UstarFields): Buffer {
  const block = Buffer.allocUnsafe(BLOCK_SIZE);
  writeUstarBlock(fields, block, 0);
  return block;
}

/** A member whose records `payload` holds: the PAX header block, the padded records, then its ustar block. */
function withPaxHeader(fields: UstarFields, payload: Buffer, format: TarFormat): Buffer {
  const member = Buffer.allocUnsafe(BLOCK_SIZE + paddedSize(payload.length) + BLOCK_SIZE);
  writeUstarBlock({
    name: PAX_HEADER_NAME,
    mode: 0,
    uid: 0,
    gid: 0,
    size: payload.length,
    mtime: 0,
    type: TypeFlag.paxExtended,
    linkname: "",
    uname: "",
    gname: "",
    device: format.devFieldsInEveryHeader ? { major: 0, minor: 0 } : undefined,
  }, member, 0);
  payload.copy(member, BLOCK_SIZE);
  const blockOffset = member.length - BLOCK_SIZE;
  zeroFill(member, BLOCK_SIZE + payload.length, blockOffset);
  writeUstarBlock(fields, member, blockOffset);
  return member;
}
