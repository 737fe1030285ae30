/**
 * The one tar reader, for base images, `verify` and the inspection of
 * archives: each member's header group — extension headers (PAX `x`, GNU
 * long name `L` and long link `K`) with their payloads, then the member's
 * own header block — read as CPython's tarfile reads it (`TarInfo.frombuf`
 * and `_proc_member`: nts, nti, the checksum, where the data starts and
 * ends).  tarinfo.ts turns a group into the TarInfo tarfile makes of it,
 * written.ts into what `verify` compares.
 *
 * The reading itself does no I/O: it is a step generator that asks for a number of
 * bytes and is handed at most that many (fewer only at the end of input),
 * so one implementation reads a Buffer, a file descriptor and an async
 * stream (readSync, readAsync).  What makes a block unusable is the
 * caller's ReadPolicy: a base image stops at a bad checksum, as tarfile
 * does, where `verify` reports it as a differing field.  The drivers'
 * readers of a Buffer and a file descriptor are here too.
 */
import { readSync as pread } from "node:fs";
import { BLOCK_SIZE, CHKSUM, NAME, SIZE, TYPEFLAG, TypeFlag, type Field } from "./constants.ts";
import { paddedSize } from "./number.ts";

/** Type flags tarfile reads beyond those it writes. */
export const ReadTypeFlag = {
  oldRegular: 0x00, // AREGTYPE, "\0"
  hardlink: 0x31, // "1"
  contiguous: 0x37, // "7"
  gnuLongLink: 0x4b, // "K"
  gnuLongName: 0x4c, // "L"
  gnuSparse: 0x53, // "S"
  paxGlobal: 0x67, // "g"
} as const;

/** tarfile.REGULAR_TYPES: members whose data follows their header. */
const REGULAR_TYPES: ReadonlySet<number> = new Set([TypeFlag.regular, ReadTypeFlag.oldRegular, ReadTypeFlag.contiguous, ReadTypeFlag.gnuSparse]);
/** tarfile.SUPPORTED_TYPES: a type not among them is read as a regular file (its data skipped). */
const SUPPORTED_TYPES: ReadonlySet<number> = new Set([
  ...REGULAR_TYPES,
  ReadTypeFlag.hardlink,
  TypeFlag.symlink,
  TypeFlag.directory,
  TypeFlag.fifo,
  TypeFlag.char,
  TypeFlag.block,
  ReadTypeFlag.gnuLongName,
  ReadTypeFlag.gnuLongLink,
]);
/** tarfile.GNU_TYPES: their header's prefix field is not part of the name. */
export const GNU_TYPES: ReadonlySet<number> = new Set([ReadTypeFlag.gnuLongName, ReadTypeFlag.gnuLongLink, ReadTypeFlag.gnuSparse]);

/** tarfile's `nts`: a field's bytes up to its first NUL. */
export function fieldBytes(block: Buffer, field: Field): Buffer {
  const raw = block.subarray(field.offset, field.offset + field.size);
  const nul = raw.indexOf(0);
  return nul === -1 ? raw : raw.subarray(0, nul);
}

/** tarfile's `nti`: base-256 (a first byte of 0o200 or 0o377) or octal text; undefined where tarfile raises InvalidHeaderError. */
export function fieldNumber(block: Buffer, field: Field): bigint | undefined {
  const raw = block.subarray(field.offset, field.offset + field.size);
  if (raw[0] === 0o200 || raw[0] === 0o377) {
    let n = 0n;
    for (let i = 1; i < raw.length; i++) n = (n << 8n) + BigInt(raw[i]!);
    return raw[0] === 0o377 ? n - 256n ** BigInt(raw.length - 1) : n;
  }
  // int(nts(s).strip() or "0", 8): Python's strip() of ASCII whitespace, an optional sign.
  const text = fieldBytes(block, field).toString("latin1").trim();
  if (text === "") return 0n;
  if (!/^[+-]?[0-7]+$/.test(text)) return undefined;
  const magnitude = BigInt(`0o${text.replace(/^[+-]/, "")}`);
  return text.startsWith("-") ? -magnitude : magnitude;
}

/** tarfile's checksum test: the stored value is the unsigned or the signed sum of the block, its own field as spaces. */
export function checksumValid(block: Buffer): boolean {
  const stored = fieldNumber(block, CHKSUM);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const byte = i >= CHKSUM.offset && i < CHKSUM.offset + CHKSUM.size ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored !== undefined && (stored === BigInt(unsigned) || stored === BigInt(signed));
}

/** `frombuf`'s type: an old (V7) regular file whose name ends in "/" is a directory. */
export function memberType(block: Buffer): number {
  const type = block[TYPEFLAG.offset]!;
  return type === ReadTypeFlag.oldRegular && fieldBytes(block, NAME).at(-1) === 0x2f ? TypeFlag.directory : type;
}

/** `_proc_builtin`: whether `size` bytes of data (padded to blocks) follow a header of this (frombuf) type. */
export function hasData(type: number): boolean {
  return REGULAR_TYPES.has(type) || !SUPPORTED_TYPES.has(type);
}

/** One PAX record as `_proc_pax` frames it, with its offsets in the archive. */
export interface PaxRecordSpan {
  /** The keyword as UTF-8 text (tarfile decodes it so). */
  readonly keyword: string;
  readonly keywordBytes: Buffer;
  readonly value: Buffer;
  /** Offsets of the whole record ("<len> <kw>=<value>\n"). */
  readonly start: number;
  readonly end: number;
}

/**
 * A PAX payload's records, `base` being its offset in the archive, or why
 * not.  Only payloads every CPython 3.8–3.13 reads alike are accepted:
 * well-framed records ("%d %s=%s\n", the length counting itself) up to the
 * end or a NUL (3.8–3.12 stop quietly at a bad record where 3.13 raises).
 */
export function paxRecordSpans(payload: Buffer, base = 0): PaxRecordSpan[] | string {
  const records: PaxRecordSpan[] = [];
  let pos = 0;
  while (pos < payload.length && payload[pos] !== 0) {
    const space = payload.indexOf(0x20, pos);
    const digits = space === -1 ? "" : payload.subarray(pos, space).toString("latin1");
    if (!/^[0-9]{1,20}$/.test(digits)) return `a malformed record at byte ${pos}`;
    const length = Number(digits);
    const end = pos + length - 1;
    if (length < 5 || pos + length > payload.length || payload[end] !== 0x0a) return `a malformed record at byte ${pos}`;
    const body = payload.subarray(space + 1, end);
    const equals = body.indexOf(0x3d);
    if (equals < 1) return `a malformed record at byte ${pos}`;
    const keywordBytes = body.subarray(0, equals);
    records.push({ keyword: keywordBytes.toString("utf8"), keywordBytes, value: body.subarray(equals + 1), start: base + pos, end: base + pos + length });
    pos += length;
  }
  return records;
}

/** An extension header of a group and its payload (without padding). */
export interface Extension {
  readonly type: number;
  /** Absolute offset of its header block. */
  readonly offset: number;
  readonly block: Buffer;
  readonly payload: Buffer;
}

/** A member's header group. */
export interface MemberGroup {
  readonly kind: "member";
  /** Absolute offset of the group's first byte. */
  readonly offset: number;
  /** The whole group: extension blocks, their padded payloads, the member's block. */
  readonly bytes: Buffer;
  readonly extensions: readonly Extension[];
  /** The member's own header block, and its absolute offset. */
  readonly block: Buffer;
  readonly blockOffset: number;
}

/** The first all-zero block where a group would start (the end of the members). */
export interface EndOfArchive {
  readonly kind: "end";
  readonly offset: number;
}

/** Input ended inside the group: what there was of it. */
export interface Truncated {
  readonly kind: "eof";
  readonly offset: number;
  readonly partial: Buffer;
  /** Where the member's own header block was, or would have been, read. */
  readonly headerAt: number;
  /** The extension headers read whole before the input ended. */
  readonly extensions: readonly Extension[];
}

/** A block the policy refused, or an extension not followed by a header. */
export interface BadHeader {
  readonly kind: "bad";
  /** Absolute offset of the fault (in the refused block). */
  readonly offset: number;
  readonly reason: string;
  /** It came after an extension header of the same group. */
  readonly afterExtension: boolean;
  /** The extension headers read whole before it. */
  readonly extensions: readonly Extension[];
}

export type GroupResult = MemberGroup | EndOfArchive | Truncated | BadHeader;

/** Why a header block cannot be read on, and where in the block the trouble is. */
export interface BlockFault {
  readonly at: number;
  readonly reason: string;
}

export interface ReadPolicy {
  /** What makes `block` (a header block, not all zeros) unreadable, or undefined. */
  check(block: Buffer): BlockFault | undefined;
  /** Extension types read into the group (others are members). */
  readonly extensions: ReadonlySet<number>;
  /** Largest extension payload accepted. */
  readonly maxExtensionSize: number;
}

/** Steps of a read: each yield asks for a byte count and receives at most that many bytes. */
export type ReadSteps<T> = Generator<number, T, Buffer>;

function isZero(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Reads the header group starting at `offset` (the reader's position). */
export function* readGroup(offset: number, policy: ReadPolicy): ReadSteps<GroupResult> {
  const parts: Buffer[] = [];
  const extensions: Extension[] = [];
  let at = offset;
  for (;;) {
    const block = yield BLOCK_SIZE;
    parts.push(block);
    if (block.length < BLOCK_SIZE) return { kind: "eof", offset, partial: Buffer.concat(parts), headerAt: at, extensions };
    const afterExtension = extensions.length > 0;
    const bad = (where: number, reason: string): BadHeader => ({ kind: "bad", offset: where, reason, afterExtension, extensions });
    if (isZero(block)) return afterExtension ? bad(at, "an end-of-archive block after an extended header") : { kind: "end", offset };
    const fault = policy.check(block);
    if (fault !== undefined) return bad(at + fault.at, fault.reason);
    const type = block[TYPEFLAG.offset]!;
    if (!policy.extensions.has(type)) return { kind: "member", offset, bytes: Buffer.concat(parts), extensions, block, blockOffset: at };
    if (type === TypeFlag.paxExtended && extensions.some((extension) => extension.type === TypeFlag.paxExtended)) return bad(at, "two PAX headers in a row");
    const size = Number(fieldNumber(block, SIZE) ?? -1);
    if (size < 0) return bad(at, "an extended header without a size");
    if (size > policy.maxExtensionSize) return bad(at, `an extended header of ${size} bytes, implausibly large`);
    const payload = yield paddedSize(size);
    parts.push(payload);
    if (payload.length < paddedSize(size)) return { kind: "eof", offset, partial: Buffer.concat(parts), headerAt: at + BLOCK_SIZE + paddedSize(size), extensions };
    extensions.push({ type, offset: at, block, payload: payload.subarray(0, size) });
    at += BLOCK_SIZE + payload.length;
  }
}

/** Runs `steps` reading synchronously: `read(n)` gives the next n bytes, fewer at the end of input. */
export function readSync<T>(steps: ReadSteps<T>, read: (length: number) => Buffer): T {
  let step = steps.next(Buffer.alloc(0));
  while (step.done !== true) step = steps.next(read(step.value));
  return step.value;
}

/** Runs `steps` reading asynchronously. */
export async function readAsync<T>(steps: ReadSteps<T>, read: (length: number) => Promise<Buffer>): Promise<T> {
  let step = steps.next(Buffer.alloc(0));
  while (step.done !== true) step = steps.next(await read(step.value));
  return step.value;
}

/** A reader of the file `fd` from `position` on, for readSync (pread: the descriptor's offset is not used). */
export function fdReader(fd: number, position = 0): (length: number) => Buffer {
  let at = position;
  return (length) => {
    const buffer = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const got = pread(fd, buffer, done, length - done, at + done);
      if (got === 0) break;
      done += got;
    }
    at += done;
    return buffer.subarray(0, done);
  };
}

/** A reader of `archive` from `position` on, for readSync: the subarrays it hands out share its memory. */
export function bufferReader(archive: Buffer, position = 0): (length: number) => Buffer {
  let at = position;
  return (length) => {
    const bytes = archive.subarray(at, at + length);
    at += bytes.length;
    return bytes;
  };
}
