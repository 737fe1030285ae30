/**
 * The TarInfo CPython's tarfile makes of a header group when it reads an
 * archive (`TarFile.next`: `frombuf`, then `_proc_gnulong` and `_proc_pax`
 * folding the extensions in, the innermost first), as the TarHeader our
 * writer takes: a base image's members are written again as `addfile`
 * writes them.  Where the CPython versions read alike is the profile's
 * `baseArchive` rules.
 */
import { fsDecode } from "../py/fsname.ts";
import type { PythonProfile } from "../profile/python.ts";
import { BLOCK_SIZE, DEVMAJOR, DEVMINOR, GID, GNAME, LINKNAME, MODE, MTIME, NAME, PREFIX, SIZE, TYPEFLAG, TypeFlag, UID, UNAME } from "./constants.ts";
import type { TarHeader } from "./header.ts";
import { paddedSize } from "./number.ts";
import { checksumValid, fieldBytes, fieldNumber, GNU_TYPES, hasData, memberType, ReadTypeFlag, type MemberGroup, type ReadPolicy } from "./reader.ts";

/** How tarfile reads: a block is a header when its checksum and every number field are; PAX and GNU long names and links. */
export const TARFILE_READS: ReadPolicy = {
  check(block) {
    const numbers = [MODE, UID, GID, SIZE, MTIME, DEVMAJOR, DEVMINOR].every((field) => fieldNumber(block, field) !== undefined);
    return checksumValid(block) && numbers ? undefined : { at: 0, reason: "an invalid header" };
  },
  extensions: new Set([TypeFlag.paxExtended, ReadTypeFlag.gnuLongName, ReadTypeFlag.gnuLongLink]),
  maxExtensionSize: Number.MAX_SAFE_INTEGER,
};

/** The CPython differences in reading (PythonProfile.baseArchive). */
export type TarReadRules = PythonProfile["baseArchive"];

/** One member as `TarFile.next()` reads it. */
export interface TarInfo {
  readonly name: string;
  /** The header tarfile's `addfile` writes again for it. */
  readonly header: TarHeader;
  readonly type: number;
  readonly linkname: string;
  readonly size: number;
  readonly dataOffset: number;
  /** Where the next header starts. */
  readonly end: number;
  /** Its fields came through a PAX extended header. */
  readonly viaPax: boolean;
}

/** tarfile's `nts`, decoded as the file system encoding with surrogateescape. */
function text(block: Buffer, field: typeof NAME): string {
  return fsDecode(fieldBytes(block, field));
}

/** `TarInfo.frombuf` for a block the policy accepted (its numbers are readable). */
function fromBlock(block: Buffer): TarHeader {
  const number = (field: typeof MODE): bigint => fieldNumber(block, field)!;
  const type = memberType(block);
  let name = text(block, NAME);
  if (type === TypeFlag.directory) name = name.replace(/\/+$/, "");
  const prefix = text(block, PREFIX);
  if (prefix !== "" && !GNU_TYPES.has(block[TYPEFLAG.offset]!)) name = `${prefix}/${name}`;
  return {
    name,
    mode: Number(number(MODE)),
    uid: number(UID),
    gid: number(GID),
    size: number(SIZE),
    mtime: number(MTIME),
    type: type as TypeFlag,
    linkname: text(block, LINKNAME),
    uname: text(block, UNAME),
    gname: text(block, GNAME),
    devmajor: Number(number(DEVMAJOR)),
    devminor: Number(number(DEVMINOR)),
  };
}

/** A member for a header; `_proc_builtin`'s rule for where the next header starts. */
function withHeader(header: TarHeader, dataOffset: number, viaPax: boolean): TarInfo {
  const size = Number(header.size);
  const end = hasData(header.type) ? dataOffset + paddedSize(size) : dataOffset;
  return { name: header.name, header, type: header.type, linkname: header.linkname, size, dataOffset, end, viaPax };
}

const INT_TEXT = /^[0-9]+$/;

/** `_apply_pax_info`: the fields the records replace (path without trailing "/"; numbers through int()/float()). */
function applyPax(header: TarHeader, records: ReadonlyMap<string, string>): TarHeader {
  const number = (key: string, fallback: number | bigint): number | bigint => {
    const value = records.get(key);
    if (value === undefined) return fallback;
    return key === "mtime" ? (INT_TEXT.test(value) ? BigInt(value) : Number(value)) : BigInt(value);
  };
  return {
    ...header,
    name: records.has("path") ? records.get("path")!.replace(/\/+$/, "") : header.name,
    linkname: records.get("linkpath") ?? header.linkname,
    uname: records.get("uname") ?? header.uname,
    gname: records.get("gname") ?? header.gname,
    uid: number("uid", header.uid),
    gid: number("gid", header.gid),
    size: number("size", header.size),
    mtime: number("mtime", header.mtime),
    pax: records,
  };
}

/**
 * The TarInfo of a group read with TARFILE_READS; `pax` is its PAX
 * extension's records as `pax_headers` holds them (a dict), checked by the
 * caller.  Each extension folds into what follows it, as `_proc_member`'s
 * recursion does: the innermost (the member's own header) first.
 */
export function tarInfo(group: MemberGroup, pax: ReadonlyMap<string, string> | undefined, rules: TarReadRules): TarInfo {
  let info = withHeader(fromBlock(group.block), group.blockOffset + BLOCK_SIZE, false);
  for (const extension of [...group.extensions].reverse()) {
    if (extension.type === TypeFlag.paxExtended) {
      const records = pax ?? new Map<string, string>();
      const patched = withHeader(applyPax(info.header, records), info.dataOffset, true);
      // `_proc_pax` moves the next header only when the records give a size.
      info = records.has("size") ? patched : { ...patched, end: info.end };
      continue;
    }
    const long = fsDecode(fieldBytes(extension.payload, { offset: 0, size: extension.payload.length }));
    let header: TarHeader = extension.type === ReadTypeFlag.gnuLongName ? { ...info.header, name: long } : { ...info.header, linkname: long };
    if (rules.longNameDirSlashStripped && header.type === TypeFlag.directory && header.name.endsWith("/")) header = { ...header, name: header.name.slice(0, -1) };
    info = { ...withHeader(header, info.dataOffset, info.viaPax), end: info.end };
  }
  return info;
}
