/**
 * Where the chosen CPython's rglob stat()s through a symlink (a symlinked
 * store path, a symlink below one) and what the reference then does when
 * that fails: checks that turn such a case into a CannotArchiveError before
 * any byte, in the reference's words.
 */
import { statSync, type Stats } from "node:fs";
import { CannotArchiveError, displayPath } from "./errors.ts";
import { strerror } from "../py/errno.ts";
import type { RglobLinkStats } from "../profile/python.ts";
import { linkTargetInRoot } from "./root.ts";

/** Where a symlink leads (stat() through it), or the errno code that stat() fails with. */
type LinkTarget = { readonly fsPath: string | Buffer; readonly stat: Stats } | { readonly code: string };

/**
 * `os.stat(link)` as the reference sees it: below a root directory the link
 * is followed by the --root rule (root.ts), so absolute targets like
 * /nix/store/x stay in DIR, and a failing component gives the kernel's errno
 * for it.
 */
function statThroughLink(fsPath: string | Buffer, root: string | undefined): LinkTarget {
  try {
    const target = root === undefined ? fsPath : linkTargetInRoot(fsPath, root);
    return { fsPath: target, stat: statSync(target) };
  } catch (error) {
    return { code: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}

/** pathlib's `_ignore_error`: in every version these make is_dir() False. */
const NOT_A_DIRECTORY = new Set(["ENOENT", "ENOTDIR", "EBADF", "ELOOP"]);
/** Python's PermissionError. */
const PERMISSION = new Set(["EACCES", "EPERM"]);

/** The store path is a symlink and stat() through it failed with `code`. */
function checkStorePathLink(code: string, name: string, rglob: RglobLinkStats | undefined): void {
  if (rglob === undefined || !rglob.storePathLink || NOT_A_DIRECTORY.has(code)) return;
  throw new CannotArchiveError(
    displayPath(name),
    `CPython ${rglob.version}'s rglob follows this symlinked store path and fails: ${strerror(code)} (the reference exits with a traceback)`,
  );
}

/** A symlink below the store path, in directory `parentName`, and stat() through it failed with `code`. */
function checkChildLink(code: string, name: string, parentName: string, rglob: RglobLinkStats | undefined): void {
  if (rglob === undefined || !rglob.childLinks || NOT_A_DIRECTORY.has(code)) return;
  // 3.8–3.10's _iterate_directories catches PermissionError around its whole
  // loop: it stops there, and the subdirectories of the parent that os.scandir
  // lists after the link are never listed (their contents silently left out).
  const consequence = PERMISSION.has(code)
    ? `the reference then stops descending ${displayPath(parentName)}: the subdirectories listed after the link are written without their contents`
    : "the reference exits with a traceback";
  throw new CannotArchiveError(displayPath(name), `CPython ${rglob.version}'s rglob follows this symlink and fails: ${strerror(code)} (${consequence})`);
}

/**
 * Where a symlinked store path leads for rglob's `is_dir()`: the directory
 * (its path and stat), or undefined when it leads to none (a file, or a
 * failure is_dir() takes for False); a failure this CPython lets out throws.
 */
export function storePathLinkDirectory(fsPath: string | Buffer, name: string, root: string | undefined, rglob: RglobLinkStats | undefined): { readonly fsPath: string | Buffer; readonly stat: Stats } | undefined {
  const target = statThroughLink(fsPath, root);
  if ("code" in target) {
    checkStorePathLink(target.code, name, rglob);
    return undefined;
  }
  return target.stat.isDirectory() ? target : undefined;
}

/** A symlink below a store path, in directory `parentName`: where this CPython's rglob stats through it, a failure it lets out throws. */
export function checkChildLinkTarget(fsPath: string | Buffer, name: string, parentName: string, root: string | undefined, rglob: RglobLinkStats | undefined): void {
  if (rglob === undefined || !rglob.childLinks) return;
  const target = statThroughLink(fsPath, root);
  if ("code" in target) checkChildLink(target.code, name, parentName, rglob);
}
