/**
 * A conf's store path as the script takes it: where it is read from (below
 * --root if given) and the member name it gets (`PurePosixPath`, gettarinfo's
 * stripped slashes, `append_root`).
 */
import { fsDecode, fsEncode } from "../py/fsname.ts";

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
 * With a root directory, the same path is read below it instead of below "/".
 */
export function locateStorePath(path: string | Uint8Array, root?: string): StorePathLocation {
  const normalised = purePosixPath(typeof path === "string" ? path : fsDecode(path));
  const relative = normalised.replace(/^\/+/, "");
  const name = `/${relative}`;
  if (root === undefined) return { fsPath: fsEncode(normalised), name };
  return { fsPath: Buffer.concat([Buffer.from(root.replace(/\/+$/, "")), fsEncode(name)]), name };
}
