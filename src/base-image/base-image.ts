/**
 * The current script's `from_image`: a docker-archive base image, opened the
 * way `tarfile.open(path)` opens it (uncompressed, or gzip), its members
 * listed as tarfile reads them, `manifest.json` and the config read with
 * `getmember` + `extractfile` + `json.load`, and each layer the manifest
 * lists found again with `getmember` (the last member of that name).  The
 * members are listed, and refused where we could not write them again
 * alike, by members.ts; this file opens the archive and reads the manifest,
 * the config and the layers from them.
 *
 * Supported: ustar/GNU/POSIX headers, a PAX extended header (its records
 * kept on the member: tarfile writes them again) and GNU long names and
 * link names.  Refused with one line: PAX global headers, GNU sparse
 * members, two PAX headers in a row and records the CPython versions read
 * differently.  bzip2, xz and zstd archives are refused too (no decoder in
 * Node's zlib; CPython <= 3.13 cannot open zstd either).
 */
import { closeSync, openSync } from "node:fs";
import { GunzipFailure, startGunzip, type Decompression } from "../workers/gunzip/gunzip.ts";
import type { Pause } from "../workers/pause.ts";
import { BLOCK_SIZE } from "../tar/constants.ts";
import type { TarHeader } from "../tar/header.ts";
import { checksumValid, fdReader } from "../tar/reader.ts";
import { fsEncode } from "../py/fsname.ts";
import { strerror } from "../py/errno.ts";
import { isPyDict, isPyList, isPyStr, pyTypeName, type PyDict, type PyValue } from "../py/value.ts";
import type { PythonVersion } from "../py/version.ts";
import { profileFor } from "../profile/python.ts";
import { pathInRoot } from "../store/root.ts";
import { BaseImageError } from "./errors.ts";
import { dataMember, findMember, listMembers, loadJson } from "./members.ts";

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


const MAGIC: [Buffer, string][] = [
  [Buffer.from("BZh"), "bzip2-compressed base images are not supported (Node's zlib has no bzip2)"],
  [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), "xz-compressed base images are not supported (Node's zlib has no xz)"],
  [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), "a zstd-compressed archive: tarfile.open cannot open it either (CPython <= 3.13 has no zstd)"],
];

/** What `tarfile.open(path)` found: a plain tar to read now, or gzip being decompressed meanwhile. */
type OpenedArchive = { readonly fd: number } | { readonly decompression: Decompression };

/** open() failed: the errno in the words CPython's OSError uses (the reference's traceback), and its code. */
function cannotOpen(file: string, error: unknown): BaseImageError {
  const code = (error as NodeJS.ErrnoException).code;
  return new BaseImageError(file, `cannot open it: ${code === undefined ? String(error) : `${strerror(code)} (${code})`}`, { cause: error });
}

/** `tarfile.open(path)`: plain tar, or gzip; anything else refused before any byte. */
function openArchive(path: Buffer, file: string): OpenedArchive {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw cannotOpen(file, error);
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
    throw cannotOpen(from, error);
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
