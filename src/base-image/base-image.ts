/**
 * The current script's `from_image`: a docker-archive base image, opened the
 * way `tarfile.open(path)` opens it (uncompressed, or gzip), its members
 * listed as tarfile reads them, `manifest.json` and the config read with
 * `getmember` + `extractfile` + `json.load`, and each layer the manifest
 * lists found again with `getmember` (the last member of that name).  The
 * members are read by the one tar reader (tar/reader.ts, tar/tarinfo.ts);
 * this file decides what a base image may hold.
 *
 * Supported: ustar/GNU/POSIX headers, a PAX extended header (its records
 * kept on the member: tarfile writes them again) and GNU long names and
 * link names.  Refused with one line: PAX global headers, GNU sparse
 * members, two PAX headers in a row and records the CPython versions read
 * differently.  bzip2, xz and zstd archives are refused too (no decoder in
 * Node's zlib; CPython <= 3.13 cannot open zstd either).
 */
import { closeSync, fstatSync, openSync } from "node:fs";
import { posix } from "node:path";
import { GunzipFailure, startGunzip, type Decompression } from "../workers/gunzip/gunzip.ts";
import type { Pause } from "../workers/pause.ts";
import { BLOCK_SIZE, TYPEFLAG, TypeFlag } from "../tar/constants.ts";
import type { TarHeader } from "../tar/header.ts";
import { checksumValid, fdReader, hasData, paxRecordSpans, readGroup, readSync, ReadTypeFlag, type Extension, type MemberGroup } from "../tar/reader.ts";
import { TARFILE_READS, tarInfo, type TarInfo, type TarReadRules } from "../tar/tarinfo.ts";
import { fsDecode, fsEncode, strFacts } from "../py/fsname.ts";
import { parsePythonJson } from "../py/json/json.ts";
import { isPyDict, isPyList, isPyStr, pyTypeName, type PyDict, type PyValue } from "../py/value.ts";
import type { PythonVersion } from "../py/version.ts";
import { profileFor } from "../profile/python.ts";
import { pathInRoot } from "../store/root.ts";

/** The base image cannot be used: one line naming the file and what is wrong. */
export class BaseImageError extends Error {
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`from_image ${JSON.stringify(file)}: ${message}`, options);
    this.name = "BaseImageError";
  }
}

/** A base layer: its member's header as read, and where the bytes `extractfile` gives come from. */
export interface BaseLayer {
  /** The member's name: the manifest's Layers entry and history comment. */
  readonly path: string;
  /** The base config's diff_id without "sha256:". */
  readonly sha256: string;
  readonly header: TarHeader;
  /** Offset of the content in the (decompressed) archive; the size is header.size. */
  readonly dataOffset: number;
  /** Bytes `addfile` copies: the member's size (0 for links and directories: header only). */
  readonly copySize: number;
}

export interface BaseImage {
  readonly file: string;
  readonly layers: readonly BaseLayer[];
  /** The base config's "config" object (its Env is merged into the image's). */
  readonly config: PyDict;
  /** The descriptor the layers are read from (a gzip archive's: its unlinked decompressed copy); close() releases it, once. */
  readonly fd: number;
  close(): void;
}

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
function findMember(members: readonly TarInfo[], name: string, normalize = false, before = members.length): TarInfo | undefined {
  const wanted = normalize ? posix.normalize(name) : name;
  for (let i = before - 1; i >= 0; i--) {
    const candidate = members[i]!;
    if ((normalize ? posix.normalize(candidate.name) : candidate.name) === wanted) return candidate;
  }
  return undefined;
}

/** `extractfile(member)`'s data: the member's own, or its link target's; undefined where it returns None. */
function dataMember(members: readonly TarInfo[], member: TarInfo, file: string, depth = 0): TarInfo | undefined {
  if (hasData(member.type)) return member;
  if (member.type !== TypeFlag.symlink && member.type !== ReadTypeFlag.hardlink) return undefined;
  const symlink = member.type === TypeFlag.symlink;
  const linkname = symlink ? [posix.dirname(member.name), member.linkname].filter((part) => part !== "" && part !== ".").join("/") : member.linkname;
  const target = findMember(members, linkname, true, symlink ? members.length : members.indexOf(member));
  if (target === undefined || depth > 40) throw new BaseImageError(file, `KeyError: linkname ${JSON.stringify(linkname)} of ${JSON.stringify(member.name)} not found`);
  return dataMember(members, target, file, depth + 1);
}

/** `json.load(extractfile(getmember(name)))` (UTF-8, a BOM allowed as json.loads(bytes) allows it). */
function loadJson(fd: number, members: readonly TarInfo[], name: string, file: string, python: PythonVersion): PyValue {
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

const MAGIC: [Buffer, string][] = [
  [Buffer.from("BZh"), "bzip2-compressed base images are not supported (Node's zlib has no bzip2)"],
  [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), "xz-compressed base images are not supported (Node's zlib has no xz)"],
  [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), "a zstd-compressed archive: tarfile.open cannot open it either (CPython <= 3.13 has no zstd)"],
];

/** What `tarfile.open(path)` found: a plain tar to read now, or gzip being decompressed meanwhile. */
type OpenedArchive = { readonly fd: number } | { readonly decompression: Decompression };

/** `tarfile.open(path)`: plain tar, or gzip; anything else refused before any byte. */
function openArchive(path: Buffer, file: string): OpenedArchive {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new BaseImageError(file, `cannot open it: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  const head = fdReader(fd)(BLOCK_SIZE);
  if (head.length === BLOCK_SIZE && checksumValid(head)) return { fd };
  closeSync(fd);
  if (head[0] === 0x1f && head[1] === 0x8b) return { decompression: startGunzip(path) };
  for (const [magic, message] of MAGIC) if (head.subarray(0, magic.length).equals(magic)) throw new BaseImageError(file, message);
  throw new BaseImageError(file, head.length === 0 ? "an empty file, not a tar archive" : "not a tar archive (nor gzip-compressed)");
}

function entry(value: PyValue, key: string | number, file: string, what: string): PyValue {
  if (typeof key === "number") {
    if (!isPyList(value) || value[key] === undefined) throw new BaseImageError(file, `${what}: expected a list with an item ${key}, found ${pyTypeName(value)}`);
    return value[key]!;
  }
  if (!isPyDict(value) || !value.has(key)) throw new BaseImageError(file, `${what}: no key ${JSON.stringify(key)}`);
  return value.get(key)!;
}

/** A base image opened and recognised; a gzip one is being decompressed until load() has finished. */
export interface OpenedBaseImage {
  readonly file: string;
  /** Whether load() may have to wait (for the decompression). */
  readonly pending: boolean;
  /** Lists the members and checks manifest, config and layers (BaseImageError), pausing for a decompression. */
  load(): Generator<Pause, BaseImage>;
  /** Releases what an image never loaded holds. */
  cancel(): void;
}

/**
 * Opens the base image and recognises its format (BaseImageError for what
 * tarfile.open cannot open); a gzip archive starts decompressing on another
 * thread at once.
 */
export function openBaseImage(from: string, root: string | undefined, python: PythonVersion): OpenedBaseImage {
  // The --root rule (store/root.ts), as tarfile.open's open() follows it.
  const bytes = fsEncode(from);
  let path: Buffer;
  try {
    path = pathInRoot(bytes, root, { followLast: true });
  } catch (error) {
    throw new BaseImageError(from, `cannot open it: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  const archive = openArchive(path, from);
  const release = (): void => {
    if ("fd" in archive) closeSync(archive.fd);
    else archive.decompression.cancel();
  };
  let done = false;
  return {
    file: from,
    pending: "decompression" in archive,
    *load() {
      if (done) throw new Error("openBaseImage: load() runs once");
      done = true;
      let opened = false;
      try {
        const fd = "fd" in archive ? archive.fd : yield* archive.decompression.finish();
        opened = true;
        return readBaseImage(fd, from, python);
      } catch (error) {
        throw error instanceof GunzipFailure ? new BaseImageError(from, `cannot decompress it as gzip: ${error.message}`, { cause: error }) : error;
      } finally {
        // A failed or abandoned wait (the caller gave up on the image).
        if (!opened) release();
      }
    },
    cancel() {
      if (done) return;
      done = true;
      release();
    },
  };
}

/** Reads the archive's members, manifest and config; closes `fd` when it throws. */
function readBaseImage(fd: number, from: string, python: PythonVersion): BaseImage {
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    closeSync(fd);
  };
  try {
    const members = listMembers(fd, from, profileFor(python).baseArchive);
    const manifest = loadJson(fd, members, "manifest.json", from, python);
    const first = entry(manifest, 0, from, "manifest.json");
    const configName = entry(first, "Config", from, "manifest.json[0]");
    if (!isPyStr(configName)) throw new BaseImageError(from, `manifest.json[0]["Config"] must be a string, not ${pyTypeName(configName)}`);
    const image = loadJson(fd, members, configName, from, python);
    const config = entry(image, "config", from, configName);
    if (!isPyDict(config)) throw new BaseImageError(from, `${configName}: "config" must be an object, not ${pyTypeName(config)}`);
    const layerNames = entry(first, "Layers", from, "manifest.json[0]");
    const diffIds = entry(entry(image, "rootfs", from, configName), "diff_ids", from, `${configName} rootfs`);
    if (!isPyList(layerNames) || !isPyList(diffIds)) throw new BaseImageError(from, "manifest Layers and config rootfs.diff_ids must be lists");
    // zip() would drop the layers past the last diff_id: an image missing layers, refused here.
    if (diffIds.length < layerNames.length) throw new BaseImageError(from, `${layerNames.length} layers but only ${diffIds.length} diff_ids in ${configName}`);
    const layers = layerNames.map((name, num): BaseLayer => {
      const diffId = diffIds[num]!;
      if (!isPyStr(name) || !isPyStr(diffId)) throw new BaseImageError(from, `layer ${num + 1}: its name and diff_id must be strings`);
      const member = findMember(members, name.replace(/\/+$/, ""));
      if (member === undefined) throw new BaseImageError(from, `KeyError: filename ${JSON.stringify(name)} not found`);
      const data = dataMember(members, member, from);
      if (data !== undefined && data.size < member.size) throw new BaseImageError(from, `layer ${JSON.stringify(name)}: its link target is shorter than the member`);
      return { path: member.name, sha256: diffId.replace(/^sha256:/, ""), header: member.header, dataOffset: data?.dataOffset ?? 0, copySize: data === undefined ? 0 : member.size };
    });
    return { file: from, layers, config, fd, close };
  } catch (error) {
    close();
    throw error;
  }
}

/**
 * `overlay_base_config`: the base config's Env, then the conf's, one entry
 * per variable name (first position, last value); the key is added at the
 * end of the conf's config when it had none, and only when there is any Env.
 */
export function overlayBaseConfig(base: PyDict, config: PyValue, file: string): PyValue {
  if (!isPyDict(config)) throw new BaseImageError(file, `the conf's "config" must be an object to merge the base Env into, not ${pyTypeName(config)}`);
  const baseEnv = base.has("Env") ? base.get("Env")! : [];
  const ownEnv = config.has("Env") ? config.get("Env")! : [];
  if (!isPyList(baseEnv) || !isPyList(ownEnv)) throw new BaseImageError(file, `"Env" must be lists to be merged (base: ${pyTypeName(baseEnv)}, conf: ${pyTypeName(ownEnv)})`);
  const all = [...baseEnv, ...ownEnv];
  if (all.length === 0) return config;
  const resolved = new Map<string, PyValue>();
  for (const item of all) {
    if (!isPyStr(item)) throw new BaseImageError(file, `an "Env" entry must be a string, not ${pyTypeName(item)}`);
    resolved.set(item.split("=")[0]!, item);
  }
  const merged: PyDict = new Map(config);
  merged.set("Env", [...resolved.values()]);
  return merged;
}
