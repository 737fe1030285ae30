/**
 * A conf's store path as the script takes it: where it is read from (by the
 * --root rule of root.ts if given) and the member name it gets
 * (`PurePosixPath`, gettarinfo's stripped slashes, `append_root`).
 */
import { fsDecode, fsEncode } from "../py/fsname.ts";
import { CannotArchiveError } from "./errors.ts";
import { pathInRoot } from "./root.ts";

/**
 * `str(pathlib.PurePosixPath(path))`: repeated slashes and "." components
 * dropped, a trailing slash removed, exactly two leading slashes kept.
 */
export function purePosixPath(path: string): string {
  const root = path.startsWith("//") && !path.startsWith("///") ? "//" : path.startsWith("/") ? "/" : "";
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  if (root === "" && parts.length === 0) return ".";
  return root + parts.join("/");
}

/** Where a store path is read from, and the member name (a Python str) it gets in the archive. */
export interface StorePathLocation {
  readonly fsPath: Buffer;
  readonly name: string;
}

/**
 * gettarinfo strips leading slashes and the script's `append_root` puts one
 * back, so the name is "/" + the normalised path without its leading slashes.
 * The name keeps the str as given (lone surrogates stay lone even where their
 * bytes would decode differently); the file system sees its fsencode bytes.
 * With a root directory, the normalised path is found by the --root rule
 * (root.ts), its last component not followed (gettarinfo lstat()s it); a
 * lookup that fails is the lstat() failing (CannotArchiveError).
 */
export function locateStorePath(path: string | Uint8Array, root?: string): StorePathLocation {
  const normalised = purePosixPath(typeof path === "string" ? path : fsDecode(path));
  const relative = normalised.replace(/^\/+/, "");
  const name = `/${relative}`;
  const bytes = fsEncode(normalised);
  try {
    return { fsPath: pathInRoot(bytes, root, { followLast: false }), name };
  } catch (error) {
    throw CannotArchiveError.fromFsError(name, "lstat", error);
  }
}
