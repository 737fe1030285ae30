/**
 * The CPython table: everything that differs, byte-wise, between the
 * interpreters the script may run under (tarfile's header bytes, rglob's
 * walk, the reading of a base archive), one profile per version.  Data
 * only: the stages read their facet of it (tar/, store/, base-image/).
 */
import { PYTHON_VERSIONS, type PythonVersion } from "../py/version.ts";

export { PYTHON_VERSIONS, isPythonVersion, type PythonVersion } from "../py/version.ts";

/** The newest profile: what a current nixpkgs runs the script with. */
export const DEFAULT_PYTHON: PythonVersion = "3.13";

/** The header bytes that differ between CPython versions. */
export interface TarFormat {
  /**
   * CPython 3.8 writes devmajor/devminor as octal zeros in every header (PAX
   * headers included); 3.9+ NUL-fills them unless the entry is a device.
   */
  readonly devFieldsInEveryHeader: boolean;
  /**
   * A number field (uid, gid, size, mtime) whose keyword is among the records
   * read: CPython 3.8's `create_pax_header` writes 0 in the ustar field; 3.9+
   * writes the value (a float rounded half-to-even) when it fits, else 0.
   */
  readonly readPaxNumbersZeroed: boolean;
}

export const TAR_FORMAT_CURRENT: TarFormat = { devFieldsInEveryHeader: false, readPaxNumbersZeroed: false };
export const TAR_FORMAT_PY38: TarFormat = { devFieldsInEveryHeader: true, readPaxNumbersZeroed: true };

/**
 * Where the chosen CPython's rglob stat()s through a symlink and lets an
 * error out instead of taking the link for "not a directory" (see
 * profileFor).
 */
export interface RglobLinkStats {
  readonly version: PythonVersion;
  /**
   * `Path.is_dir()` on the store path itself, which rglob calls first, raises
   * every error but ENOENT, ENOTDIR, EBADF and ELOOP (3.8–3.12; 3.13 calls
   * os.scandir and swallows every OSError).
   */
  readonly storePathLink: boolean;
  /**
   * `DirEntry.is_dir()` follows each symlink below the store path (3.8–3.10;
   * 3.11 passes follow_symlinks=False, 3.12 walks with os.walk, which swallows errors).
   */
  readonly childLinks: boolean;
}

/** What differs, byte-wise, between the CPython versions running the script. */
export interface PythonProfile {
  readonly version: PythonVersion;
  /** tarfile's header bytes (3.8 fills devmajor/devminor everywhere). */
  readonly tarFormat: TarFormat;
  /** rglob re-decodes child paths from bytes (3.13's glob rewrite). */
  readonly rglobChildNamesFromBytes: boolean;
  /**
   * Where rglob stat()s through a symlink and an error other than "not a
   * directory" ends the run (3.8–3.10: every symlink below a store path;
   * 3.8–3.12: a symlinked store path; 3.13: nowhere).
   */
  readonly rglobLinkStats: RglobLinkStats;
  /** How `tarfile.open` reads a `from_image` base archive. */
  readonly baseArchive: {
    /** 3.10+ `_proc_gnulong` drops a directory's trailing "/" from a GNU long name; 3.8–3.9 keep it in the name. */
    readonly longNameDirSlashStripped: boolean;
  };
}

/** `version` is `last` or older. */
function upTo(version: PythonVersion, last: PythonVersion): boolean {
  return PYTHON_VERSIONS.indexOf(version) <= PYTHON_VERSIONS.indexOf(last);
}

export function profileFor(version: PythonVersion): PythonProfile {
  return {
    version,
    tarFormat: version === "3.8" ? TAR_FORMAT_PY38 : TAR_FORMAT_CURRENT,
    rglobChildNamesFromBytes: version === "3.13",
    rglobLinkStats: { version, storePathLink: upTo(version, "3.12"), childLinks: upTo(version, "3.10") },
    baseArchive: { longNameDirSlashStripped: !upTo(version, "3.9") },
  };
}
