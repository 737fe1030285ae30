/**
 * The walk of one store path: the entries of `sorted(chain([path],
 * path.rglob("*")))` in that order, lazily, with names as Python sees them
 * (surrogateescape) and the raw bytes where a name is not valid UTF-8.
 */
import { lstatSync, readdirSync, type Stats } from "node:fs";
import { codePointSortKey, compareCodePoints, fsDecode, fsEncode } from "../py/fsname.ts";
import { CannotArchiveError } from "./errors.ts";
import { checkChildLinkTarget, storePathLinkDirectory } from "./rglob-links.ts";
import type { RglobLinkStats } from "../profile/python.ts";

/** What a member needs of an entry's lstat (mode, size, device numbers) and the digest cache checks (ctime, inode). */
export type EntryStat = Pick<Stats, "mode" | "size" | "rdev" | "ctimeMs" | "ino">;

/** One file system object found under a store path. */
export interface WalkedEntry {
  /**
   * Where to read it, under the optional root directory: a string when the
   * whole path is valid UTF-8 (its bytes are then exactly the string's
   * UTF-8), else the raw bytes.
   */
  readonly fsPath: string | Buffer;
  /** Its member name in the archive (a Python str), without a directory's trailing "/". */
  readonly name: string;
  readonly stat: EntryStat;
}

const SLASH = 0x2f;

function childPath(parent: Buffer, name: Buffer): Buffer {
  const path = Buffer.allocUnsafe(parent.length + 1 + name.length);
  path.set(parent, 0);
  path[parent.length] = SLASH;
  path.set(name, parent.length + 1);
  return path;
}

/** scandir gives str names decoded with surrogateescape; Path("/")'s children are "/x", not "//x". */
function childName(parent: string, name: string): string {
  return parent.endsWith("/") ? parent + name : `${parent}/${name}`;
}

function lstat(fsPath: string | Buffer, name: string): Stats {
  try {
    return lstatSync(fsPath);
  } catch (error) {
    throw CannotArchiveError.fromFsError(name, "lstat", error);
  }
}

/**
 * Where `Path.is_dir()` on a symlinked starting path leads: the directory to
 * list, or undefined when the link does not end at a directory (is_dir() is
 * False for dangling links too; an error the chosen CPython lets out throws).
 */
function symlinkedDirectory(top: WalkedEntry, options: WalkOptions): string | Buffer | undefined {
  const directory = storePathLinkDirectory(top.fsPath, top.name, options.root, options.rglobLinkStats);
  options.onStorePathLink?.(top, directory?.stat);
  return directory?.fsPath;
}

function listDirectory<T extends "utf8" | "buffer">(dirFsPath: string | Buffer, dirName: string, encoding: T): T extends "utf8" ? string[] : Buffer[];
function listDirectory(dirFsPath: string | Buffer, dirName: string, encoding: "utf8" | "buffer"): (string | Buffer)[] {
  try {
    return readdirSync(dirFsPath, { encoding: encoding as "buffer" });
  } catch (error) {
    throw CannotArchiveError.fromFsError(dirName, "reading the directory", error);
  }
}

/** Decoding replaced an invalid sequence (or the name holds U+FFFD itself): the raw bytes are needed. */
const REPLACEMENT_CHARACTER = /\ufffd/;
const SURROGATE = /[\ud800-\udfff]/;

/**
 * A directory's children in Python's order (str comparison: code points
 * after surrogateescape decoding), with their paths.  Listing names as
 * strings costs a third of listing them as buffers in Node, so names are
 * read as UTF-8 strings and only a directory with a name that is not valid
 * UTF-8 is listed again as raw bytes.
 */
function sortedChildren(dirFsPath: string | Buffer, dirName: string): { name: string; fsPath: string | Buffer }[] {
  if (typeof dirFsPath === "string") {
    const names = listDirectory(dirFsPath, dirName, "utf8");
    if (!names.some((name) => REPLACEMENT_CHARACTER.test(name))) {
      // UTF-16 order is code point order unless a surrogate pair meets U+E000..U+FFFF.
      if (names.some((name) => SURROGATE.test(name))) names.sort(compareCodePoints);
      else names.sort();
      return names.map((name) => ({ name, fsPath: `${dirFsPath}/${name}` }));
    }
  }
  const parent = typeof dirFsPath === "string" ? Buffer.from(dirFsPath, "utf8") : dirFsPath;
  const keyed = listDirectory(parent, dirName, "buffer").map((bytes) => ({ bytes, key: codePointSortKey(bytes) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map(({ bytes }) => ({ name: fsDecode(bytes), fsPath: childPath(parent, bytes) }));
}

/** A directory being walked: its sorted children and the next one's index. */
interface Listing {
  readonly children: readonly { name: string; fsPath: string | Buffer }[];
  readonly dirName: string;
  next: number;
}

/**
 * The sorted children of `dirName`, each followed by its subtree.  A stack
 * of listings rather than a generator per level: each entry otherwise
 * resumed one generator per directory above it, which a one-shot run (its
 * code not yet optimised) paid for every entry.
 */
function* walkChildren(dirFsPath: string | Buffer, dirName: string, options: WalkOptions): Generator<WalkedEntry> {
  const stack: Listing[] = [{ children: sortedChildren(dirFsPath, dirName), dirName, next: 0 }];
  while (stack.length > 0) {
    const listing = stack[stack.length - 1]!;
    if (listing.next === listing.children.length) {
      stack.pop();
      continue;
    }
    const { name, fsPath } = listing.children[listing.next++]!;
    const entryName = childName(listing.dirName, name);
    const stat = lstat(fsPath, entryName);
    if (stat.isSymbolicLink()) checkChildLinkTarget(fsPath, entryName, listing.dirName, options.root, options.rglobLinkStats);
    yield { fsPath, name: entryName, stat };
    // rglob never descends into a symlink below the starting path.
    if (stat.isDirectory()) stack.push({ children: sortedChildren(fsPath, entryName), dirName: entryName, next: 0 });
  }
}

/** The path as a string when that loses nothing (valid UTF-8), else as it is. */
function asStringWhenExact(fsPath: Buffer): string | Buffer {
  const text = fsPath.toString("utf8");
  return Buffer.from(text, "utf8").equals(fsPath) ? text : fsPath;
}

export interface WalkOptions {
  /** Read the store below this directory instead of "/". */
  readonly root?: string | undefined;
  /**
   * CPython 3.13's rglob names children by os.scandir's `entry.path`, which
   * decodes the whole joined path from bytes again; older versions append the
   * decoded name to the starting path's str as given.  The two differ only
   * when the store path str holds lone surrogates whose bytes are valid UTF-8.
   */
  readonly childNamesFromBytes?: boolean;
  /** Where rglob stat()s through symlinks and an error ends the reference's run. */
  readonly rglobLinkStats?: RglobLinkStats | undefined;
  /** The current script's `if path.is_symlink(): files = [path]`: a symlinked starting path is not walked through. */
  readonly symlinkAlone?: boolean | undefined;
  /**
   * Told of a symlinked starting path that is walked through, with the
   * stat() of the directory it leads to (undefined: it leads to none, so
   * only the link is archived): what is listed there is no entry of the walk.
   */
  readonly onStorePathLink?: ((top: WalkedEntry, directory: Stats | undefined) => void) | undefined;
}

/** Path ordering: component lists compared by code point. */
export function comparePaths(a: string, b: string): number {
  const as = a.split("/");
  const bs = b.split("/");
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const order = compareCodePoints(as[i]!, bs[i]!);
    if (order !== 0) return order;
  }
  return as.length - bs.length;
}

/** A store path's own entry, the directory its children are listed from (none: it is walked alone), their names' prefix, and whether it sorts after them. */
interface StorePathStart {
  readonly top: WalkedEntry;
  readonly directory: string | Buffer | undefined;
  readonly childPrefix: string;
  readonly topLast: boolean;
}

function storePathStart(storeFsPath: Buffer, name: string, options: WalkOptions): StorePathStart {
  const fsPath = asStringWhenExact(storeFsPath);
  const stat = lstat(fsPath, name);
  const top: WalkedEntry = { fsPath, name, stat };
  let directory: string | Buffer | undefined;
  if (stat.isDirectory()) directory = fsPath;
  // The starting path is descended with is_dir(), which follows a symlink;
  // its children keep names under the link's own path.
  else if (stat.isSymbolicLink() && options.symlinkAlone !== true) directory = symlinkedDirectory(top, options);
  const childPrefix = directory !== undefined && options.childNamesFromBytes ? fsDecode(fsEncode(name)) : name;
  // Children all share childPrefix, so the starting path sorts either before
  // all of them (the usual case: it is their prefix) or after all of them.
  return { top, directory, childPrefix, topLast: directory !== undefined && comparePaths(name, childPrefix) > 0 };
}

/**
 * The entries of `sorted(chain([path], path.rglob("*")))`.  Sorting whole
 * paths component-wise is a pre-order walk with each directory's children
 * sorted, so the walk is lazy and never holds more than one listing per level.
 */
export function* walkStorePath(storeFsPath: Buffer, name: string, options: WalkOptions = {}): Generator<WalkedEntry> {
  const { top, directory, childPrefix, topLast } = storePathStart(storeFsPath, name, options);
  if (directory === undefined) {
    yield top;
    return;
  }
  if (!topLast) yield top;
  yield* walkChildren(directory, childPrefix, options);
  if (topLast) yield top;
}
