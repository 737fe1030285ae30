/**
 * A base image's members as tarfile lists them (`getmembers`), through the
 * one tar reader (tar/reader.ts, tar/tarinfo.ts), with the refusals of
 * what we could not write again alike (PAX global headers, GNU sparse
 * members, two PAX headers in a row, records the CPython versions read
 * differently); `getmember` and `extractfile` over that list; and
 * `json.load` of a member (manifest.json, the config).
 */
import { fstatSync } from "node:fs";
import { posix } from "node:path";
import { TYPEFLAG, TypeFlag } from "../tar/constants.ts";
import { fdReader, hasData, paxRecordSpans, readGroup, readSync, ReadTypeFlag, type Extension, type MemberGroup } from "../tar/reader.ts";
import { TARFILE_READS, tarInfo, type TarInfo, type TarReadRules } from "../tar/tarinfo.ts";
import { fsDecode, strFacts } from "../py/fsname.ts";
import { parsePythonJson } from "../py/json/json.ts";
import type { PyValue } from "../py/value.ts";
import type { PythonVersion } from "../py/version.ts";
import { BaseImageError } from "./errors.ts";

/** Member types tarfile folds into later members in ways not reproduced here. */
const REFUSED: Record<number, string> = { [ReadTypeFlag.paxGlobal]: "PAX global", [ReadTypeFlag.gnuSparse]: "GNU sparse" };

const INT_TEXT = /^[0-9]+$/;
const FLOAT_TEXT = /^-?[0-9]+(\.[0-9]+)?$/;
const HDRCHARSET = Buffer.from("hdrcharset=");
const PAX_INTEGERS = new Set(["uid", "gid", "size"]);

/**
 * `_proc_pax`'s records as `TarInfo.pax_headers` holds them (a dict), or a
 * refusal of what tarfile would read but we could not write again alike.
 */
function readPaxRecords(extension: Extension, file: string): Map<string, string> {
  const where = `the PAX header at offset ${extension.offset}`;
  const raw = paxRecordSpans(extension.payload);
  if (typeof raw === "string") throw new BaseImageError(file, `${where}: ${raw}`);
  // 3.8–3.12 search the whole payload for "<n> hdrcharset=", values included.
  if (raw.some(({ value }) => value.includes(HDRCHARSET))) throw new BaseImageError(file, `${where}: a value containing "hdrcharset=", which base images may not have yet`);
  const records = new Map<string, string>();
  for (const [index, { keywordBytes, value }] of raw.entries()) {
    const name = fsDecode(keywordBytes);
    // 3.8–3.12 find hdrcharset anywhere in the payload and put it first; 3.13 takes the first record: they agree only here.
    if (name === "hdrcharset" && (index !== 0 || value.length === 0)) throw new BaseImageError(file, `${where}: an hdrcharset record that is not the first one, which base images may not have yet`);
    if (name.startsWith("GNU.sparse.")) throw new BaseImageError(file, `${where}: GNU sparse records, which base images may not have yet`);
    if (!strFacts(name).utf8) throw new BaseImageError(file, `${where}: a keyword that is not UTF-8 (tarfile cannot write it again)`);
    const text = fsDecode(value);
    const numeric = name === "mtime" ? FLOAT_TEXT : PAX_INTEGERS.has(name) ? INT_TEXT : undefined;
    if (numeric !== undefined && !numeric.test(text)) throw new BaseImageError(file, `${where}: ${name}=${JSON.stringify(text)} is not a plain decimal number, which base images may not have yet`);
    records.set(name, text);
  }
  return records;
}

/** The group's PAX records, checked (undefined without a PAX header). */
function groupPax(extensions: readonly Extension[], file: string): Map<string, string> | undefined {
  const pax = extensions.find((extension) => extension.type === TypeFlag.paxExtended);
  return pax === undefined ? undefined : readPaxRecords(pax, file);
}

/** The member of a group, or the refusal of a header kind not reproduced. */
function groupMember(group: MemberGroup, file: string, rules: TarReadRules): TarInfo {
  const pax = groupPax(group.extensions, file);
  const refused = REFUSED[group.block[TYPEFLAG.offset]!];
  if (refused !== undefined) throw new BaseImageError(file, `the member at offset ${group.blockOffset} has a ${refused} header, which base images may not have yet`);
  return tarInfo(group, pax, rules);
}

/** `TarFile.getmembers()`: every member until the end-of-archive block or a header tarfile cannot read. */
export function listMembers(fd: number, file: string, rules: TarReadRules): TarInfo[] {
  const total = fstatSync(fd).size;
  const members: TarInfo[] = [];
  for (let offset = 0; ; ) {
    const group = readSync(readGroup(offset, TARFILE_READS), fdReader(fd, offset));
    if (group.kind === "member") {
      const member = groupMember(group, file, rules);
      members.push(member);
      offset = member.end;
      if (offset > total) throw new BaseImageError(file, `the archive ends inside member ${JSON.stringify(member.name)}`);
      continue;
    }
    const afterExtension = group.kind !== "end" && group.extensions.length > 0;
    if (group.kind === "bad" && group.reason === "two PAX headers in a row") {
      throw new BaseImageError(file, `the member at offset ${offset}: two PAX headers in a row, which base images may not have yet`);
    }
    if (afterExtension) {
      // tarfile reads (and we check) the extensions before it looks for the header they belong to.
      groupPax(group.extensions, file);
      throw new BaseImageError(file, `a missing or bad header at offset ${group.kind === "eof" ? group.headerAt : group.offset}, after an extended header`);
    }
    if (offset === 0) throw new BaseImageError(file, group.kind === "bad" ? "not a tar archive (its first header is invalid)" : "an empty archive");
    return members;
  }
}

/** `_getmember(name)`: the last member of that name (normalize: os.path.normpath on both sides). */
export function findMember(members: readonly TarInfo[], name: string, normalize = false, before = members.length): TarInfo | undefined {
  const wanted = normalize ? posix.normalize(name) : name;
  for (let i = before - 1; i >= 0; i--) {
    const candidate = members[i]!;
    if ((normalize ? posix.normalize(candidate.name) : candidate.name) === wanted) return candidate;
  }
  return undefined;
}

/** `extractfile(member)`'s data: the member's own, or its link target's; undefined where it returns None. */
export function dataMember(members: readonly TarInfo[], member: TarInfo, file: string, depth = 0): TarInfo | undefined {
  if (hasData(member.type)) return member;
  if (member.type !== TypeFlag.symlink && member.type !== ReadTypeFlag.hardlink) return undefined;
  const symlink = member.type === TypeFlag.symlink;
  const linkname = symlink ? [posix.dirname(member.name), member.linkname].filter((part) => part !== "" && part !== ".").join("/") : member.linkname;
  const target = findMember(members, linkname, true, symlink ? members.length : members.indexOf(member));
  if (target === undefined || depth > 40) throw new BaseImageError(file, `KeyError: linkname ${JSON.stringify(linkname)} of ${JSON.stringify(member.name)} not found`);
  return dataMember(members, target, file, depth + 1);
}

/** `json.load(extractfile(getmember(name)))` (UTF-8, a BOM allowed as json.loads(bytes) allows it). */
export function loadJson(fd: number, members: readonly TarInfo[], name: string, file: string, python: PythonVersion): PyValue {
  const member = findMember(members, name.replace(/\/+$/, ""));
  if (member === undefined) throw new BaseImageError(file, `KeyError: filename ${JSON.stringify(name)} not found`);
  const data = dataMember(members, member, file);
  if (data === undefined) throw new BaseImageError(file, `${JSON.stringify(name)} is not a file`);
  let text = fdReader(fd, data.dataOffset)(data.size).toString("utf8");
  if (text.startsWith("\ufeff")) text = text.slice(1);
  try {
    return parsePythonJson(text, { profile: python });
  } catch (error) {
    throw new BaseImageError(file, `${JSON.stringify(name)}: invalid JSON: ${(error as Error).message}`, { cause: error });
  }
}
