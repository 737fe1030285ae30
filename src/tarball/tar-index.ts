/**
 * Where each member of a tar archive is (its data's offset and size), read
 * from the headers alone by the one tar reader as Python's tarfile reads
 * any tool's archive (PAX paths and sizes, GNU long names), never loading
 * a member's data.  Symbolic and hard links are followed inside the
 * archive, as docker-archive readers do for `docker save`'s deduplicated
 * layers (`<id>/layer.tar -> ../<other>/layer.tar`).
 */
import { fstatSync } from "node:fs";
import { posix } from "node:path";
import { TypeFlag } from "../tar/constants.ts";
import { fdReader, hasData, paxRecordSpans, readGroup, readSync, ReadTypeFlag, type MemberGroup } from "../tar/reader.ts";
import { TARFILE_READS, tarInfo } from "../tar/tarinfo.ts";

export interface TarEntry {
  /** Normalised: no leading `./` or `/`, no trailing `/`. */
  readonly name: string;
  readonly type: number;
  readonly linkname: string;
  readonly dataOffset: number;
  readonly size: number;
}

/** Links followed for one name before it is given up (a loop). */
const MAX_HOPS = 16;

/** `./blobs//sha256/x` → `blobs/sha256/x` (`..` stops at the archive's root); undefined for the root itself. */
export function normaliseMemberName(name: string): string | undefined {
  const normal = posix.normalize(`/${name}`).replace(/^\/+/, "").replace(/\/+$/, "");
  return normal === "" ? undefined : normal;
}

function paxOf(group: MemberGroup): Map<string, string> | string | undefined {
  const pax = group.extensions.find((extension) => extension.type === TypeFlag.paxExtended);
  if (pax === undefined) return undefined;
  const records = paxRecordSpans(pax.payload);
  if (typeof records === "string") return `the PAX header at offset ${pax.offset} has ${records}`;
  return new Map(records.map(({ keyword, value }) => [keyword, value.toString("utf8")]));
}

/** Every member of the tar file open as `fd`, or the one-line reason it is not a readable tar. */
export function readTarIndex(fd: number): Map<string, TarEntry> | string {
  const total = fstatSync(fd).size;
  const entries = new Map<string, TarEntry>();
  for (let offset = 0; ; ) {
    const group = readSync(readGroup(offset, TARFILE_READS), fdReader(fd, offset));
    if (group.kind === "end") return entries;
    if (group.kind === "eof") return offset === 0 && group.partial.length === 0 ? "it is empty, not a tar archive" : `it ends inside the header at offset ${group.offset}: truncated`;
    if (group.kind === "bad") return `${offset === 0 ? "not a tar archive" : "a damaged tar archive"}: ${group.reason} at offset ${group.offset}`;
    const pax = paxOf(group);
    if (typeof pax === "string") return pax;
    const info = tarInfo(group, pax, { longNameDirSlashStripped: true });
    if (info.end > total) return `it ends inside member ${JSON.stringify(info.name)}: truncated`;
    const name = normaliseMemberName(info.name);
    if (name !== undefined) entries.set(name, { name, type: info.type, linkname: info.linkname, dataOffset: info.dataOffset, size: hasData(info.type) ? info.size : 0 });
    offset = info.end;
  }
}

/**
 * The regular member `name` is, links followed (a symbolic link relative
 * to its directory, a hard link by its archive path), or why there is none.
 */
export function lookUpMember(entries: ReadonlyMap<string, TarEntry>, name: string): TarEntry | string {
  let current = normaliseMemberName(name);
  for (let hops = 0; current !== undefined && hops <= MAX_HOPS; hops++) {
    const entry = entries.get(current);
    if (entry === undefined) return hops === 0 ? `it has no member ${JSON.stringify(name)}` : `member ${JSON.stringify(name)} links to ${JSON.stringify(current)}, which it does not have`;
    if (entry.type === TypeFlag.symlink) current = normaliseMemberName(entry.linkname.startsWith("/") ? entry.linkname : posix.join(posix.dirname(entry.name), entry.linkname));
    else if (entry.type === ReadTypeFlag.hardlink) current = normaliseMemberName(entry.linkname);
    else return hasData(entry.type) ? entry : `member ${JSON.stringify(name)} is not a file`;
  }
  return current === undefined ? `member ${JSON.stringify(name)} links to the archive's root` : `member ${JSON.stringify(name)}: more than ${MAX_HOPS} links`;
}
