import { lstatSync, readdirSync, statSync, type Stats } from "node:fs";
import { codePointSortKey, compareCodePoints, fsDecode, fsEncode } from "./py/fsname.js";
import { CannotArchiveError } from "./errors.js";
import { resolveInRoot } from "./resolve-in-root.js";

/** One file system object found under a store path. */
export interface WalkedEntry {
  /** Where to read it, under the optional root directory. */
  readonly fsPath: Buffer;
  /** Its member name in the archive (a Python str), without a directory's trailing "/". */
  readonly name: string;
  readonly stat: Stats;
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
function childName(parent: string, name: Buffer): string {
  return parent.endsWith("/") ? parent + fsDecode(name) : `${parent}/${fsDecode(name)}`;
}

function lstat(fsPath: Buffer, name: string): Stats {
  try {
    return lstatSync(fsPath);
  } catch (error) {
    throw CannotArchiveError.fromFsError(name, "lstat", error);
  }
}

/**
 * Where `Path.is_dir()` on a symlinked starting path leads: the directory to
 * list, or undefined when the link does not end at a directory (is_dir() is
 * False for dangling links too).  Below a root directory the link is resolved
 * inside the root, so absolute targets like /nix/store/x stay in the store.
 */
function symlinkedDirectory(fsPath: Buffer, name: string, root: string | undefined): Buffer | undefined {
  const target = root === undefined ? fsPath : resolveInRoot(root, fsEncode(name));
  if (target === undefined) return undefined;
  try {
    return statSync(target).isDirectory() ? target : undefined;
  } catch {
    return undefined;
  }
}

/** Children in Python's order: str comparison, i.e. code points after surrogateescape decoding. */
function sortedChildren(dirFsPath: Buffer, dirName: string): Buffer[] {
  let names: Buffer[];
  try {
    names = readdirSync(dirFsPath, { encoding: "buffer" });
  } catch (error) {
    throw CannotArchiveError.fromFsError(dirName, "reading the directory", error);
  }
  const keyed = names.map((name) => ({ name, key: codePointSortKey(name) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map(({ name }) => name);
}

function* walkChildren(dirFsPath: Buffer, dirName: string): Generator<WalkedEntry> {
  for (const name of sortedChildren(dirFsPath, dirName)) {
    const fsPath = childPath(dirFsPath, name);
    const entryName = childName(dirName, name);
    const entry: WalkedEntry = { fsPath, name: entryName, stat: lstat(fsPath, entryName) };
    yield entry;
    // rglob never descends into a symlink below the starting path.
    if (entry.stat.isDirectory()) yield* walkChildren(fsPath, entryName);
  }
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

/**
 * The entries of `sorted(chain([path], path.rglob("*")))`.  Sorting whole
 * paths component-wise is a pre-order walk with each directory's children
 * sorted, so the walk is lazy and never holds more than one listing per level.
 */
export function* walkStorePath(fsPath: Buffer, name: string, options: WalkOptions = {}): Generator<WalkedEntry> {
  const stat = lstat(fsPath, name);
  const top: WalkedEntry = { fsPath, name, stat };
  let directory: Buffer | undefined;
  if (stat.isDirectory()) directory = fsPath;
  // The starting path is descended with is_dir(), which follows a symlink;
  // its children keep names under the link's own path.
  else if (stat.isSymbolicLink()) directory = symlinkedDirectory(fsPath, name, options.root);
  if (directory === undefined) {
    yield top;
    return;
  }
  const childPrefix = options.childNamesFromBytes ? fsDecode(fsEncode(name)) : name;
  // Children all share childPrefix, so the starting path sorts either before
  // all of them (the usual case: it is their prefix) or after all of them.
  const topLast = comparePaths(name, childPrefix) > 0;
  if (!topLast) yield top;
  yield* walkChildren(directory, childPrefix);
  if (topLast) yield top;
}
