/**
 * Each store entry as a tar member header: `tar.gettarinfo` of what the walk
 * found, then the script's `append_root` and `apply_filters` (owner, mtime),
 * and the /nix and /nix/store members every store layer starts with.  What
 * tarfile cannot archive (a socket) is a CannotArchiveError here.
 */
import { constants, readlinkSync } from "node:fs";
import { TypeFlag } from "../tar/constants.ts";
import type { TarHeader } from "../tar/header.ts";
import { CannotArchiveError, displayPath } from "./errors.ts";
import type { EntryStat, WalkedEntry } from "./walk.ts";
import { fsDecode } from "../py/fsname.ts";
import type { MemberOwner } from "../profile/generation.ts";


/** glibc's gnu_dev_major/gnu_dev_minor, which os.major/os.minor call. */
export function deviceNumbers(rdev: number | bigint): { major: number; minor: number } {
  const dev = BigInt(rdev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

function typeOf(stat: EntryStat, name: string): TypeFlag {
  switch (stat.mode & constants.S_IFMT) {
    case constants.S_IFREG:
      // A hard link to a member already written: the script turns tarfile's
      // LNKTYPE back into a regular file with its full content.
      return TypeFlag.regular;
    case constants.S_IFDIR:
      return TypeFlag.directory;
    case constants.S_IFIFO:
      return TypeFlag.fifo;
    case constants.S_IFLNK:
      return TypeFlag.symlink;
    case constants.S_IFCHR:
      return TypeFlag.char;
    case constants.S_IFBLK:
      return TypeFlag.block;
    case constants.S_IFSOCK:
      // gettarinfo returns None and the reference crashes with a TypeError.
      throw new CannotArchiveError(displayPath(name), "sockets cannot be stored in a tar archive");
    default:
      throw new CannotArchiveError(displayPath(name), `unknown file type (mode 0o${stat.mode.toString(8)})`);
  }
}

/** os.readlink on a str path: the target decoded with surrogateescape. */
function readLink(entry: WalkedEntry): string {
  try {
    return fsDecode(readlinkSync(entry.fsPath, { encoding: "buffer" }));
  } catch (error) {
    throw CannotArchiveError.fromFsError(entry.name, "readlink", error);
  }
}

/**
 * `tar.gettarinfo(path)` followed by the script's `append_root` and
 * `apply_filters`: owner (the generation's, see LayerStyle), mtime.
 */
export function storeEntryHeader(entry: WalkedEntry, mtime: number | bigint, owner: MemberOwner): TarHeader {
  const { stat } = entry;
  const type = typeOf(stat, entry.name);
  const device = type === TypeFlag.char || type === TypeFlag.block ? deviceNumbers(stat.rdev) : { major: 0, minor: 0 };
  return {
    name: entry.name,
    mode: stat.mode,
    uid: owner.uid,
    gid: owner.gid,
    size: type === TypeFlag.regular ? stat.size : 0,
    mtime,
    type,
    linkname: type === TypeFlag.symlink ? readLink(entry) : "",
    uname: owner.uname,
    gname: owner.gname,
    devmajor: device.major,
    devminor: device.minor,
  };
}

/** The `/nix` and `/nix/store` entries every store layer starts with (owner and mode: the generation's, see LayerStyle). */
export function nixRootHeader(name: "/nix" | "/nix/store", mtime: number | bigint, owner: MemberOwner, mode: number): TarHeader {
  return {
    name,
    mode,
    uid: owner.uid,
    gid: owner.gid,
    size: 0,
    mtime,
    type: TypeFlag.directory,
    linkname: "",
    uname: owner.uname,
    gname: owner.gname,
    devmajor: 0,
    devminor: 0,
  };
}
