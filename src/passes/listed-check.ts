/**
 * The digest cache's check of a layer against the walk its entry keeps
 * (WalkedList): one lstat per entry, no directory listed again.  An entry
 * is unchanged when its mode, ctime and inode are (and a regular file's
 * size, a device's numbers).  A directory's ctime moves whenever an entry
 * comes into it, leaves it or is renamed in it, so unchanged directories
 * mean the walk would find the same names; any write, chmod or new link to
 * a file moves its ctime, which user space cannot set back.  A symlinked
 * store path's target directory, listed but no entry, is kept as a row of
 * its own and looked at through the link again.
 */
import { constants, lstatSync, type Stats } from "node:fs";
import type { WalkedList } from "../store/walked-list.ts";
import type { WalkedEntry } from "../store/walk.ts";
import { checkChildLinkTarget, storePathLinkDirectory } from "../store/rglob-links.ts";
import { profileFor, type PythonVersion, type RglobLinkStats } from "../profile/python.ts";
import { YIELD, type Pause } from "../workers/pause.ts";

/** A store path's own name (/nix/store/<name>): its link, if it is one, is the link-target row's to check. */
const STORE_PATH = /^\/nix\/store\/[^/]+$/;

/** Entries checked per pause: the async API's event loop turns between them. */
const ENTRIES_PER_PAUSE = 1024;

/**
 * A symlinked store path still leads where it did: to the same directory
 * (mode, ctime, inode: its listing unchanged), or still to no directory
 * without an error this CPython's rglob would stop on.
 */
function sameLinkTarget(recorded: WalkedEntry, rglob: RglobLinkStats, root: string | undefined): boolean {
  let directory: ReturnType<typeof storePathLinkDirectory>;
  try {
    directory = storePathLinkDirectory(recorded.fsPath, recorded.name, root, rglob);
  } catch {
    return false;
  }
  if (directory === undefined) return recorded.stat.mode === 0;
  const { stat } = directory;
  return stat.mode === recorded.stat.mode && stat.ctimeMs === recorded.stat.ctimeMs && stat.ino === recorded.stat.ino;
}

/**
 * True when every entry of `list` is as it was recorded; false at the first
 * that is not, or that cannot be looked at (gone, unreadable), or that is a
 * symlink this CPython's rglob stats through and would fail on: the layer
 * is then hashed again, and the hash pass reports what the walk meets.
 */
export function* unchangedSince(list: WalkedList, python: PythonVersion, root: string | undefined): Generator<Pause, boolean> {
  const rglob = profileFor(python).rglobLinkStats;
  for (let index = 0; index < list.length; index++) {
    const recorded = list.at(index);
    if (list.isLinkTarget(index)) {
      if (!sameLinkTarget(recorded, rglob, root)) return false;
      continue;
    }
    let stat: Stats | undefined;
    try {
      stat = lstatSync(recorded.fsPath, { throwIfNoEntry: false });
    } catch {
      return false;
    }
    const was = recorded.stat;
    if (stat === undefined || stat.mode !== was.mode || stat.ctimeMs !== was.ctimeMs || stat.ino !== was.ino) return false;
    const kind = stat.mode & constants.S_IFMT;
    if (kind === constants.S_IFREG && stat.size !== was.size) return false;
    if ((kind === constants.S_IFCHR || kind === constants.S_IFBLK) && stat.rdev !== was.rdev) return false;
    // Where the target of a link below a store path matters to the reference (rglob stats through it), it is looked at again.
    if (kind === constants.S_IFLNK && !STORE_PATH.test(recorded.name)) {
      try {
        checkChildLinkTarget(recorded.fsPath, recorded.name, recorded.name.slice(0, recorded.name.lastIndexOf("/")), root, rglob);
      } catch {
        return false;
      }
    }
    if (index % ENTRIES_PER_PAUSE === ENTRIES_PER_PAUSE - 1) yield YIELD;
  }
  return true;
}
