import { PYTHON_VERSIONS, type PythonVersion } from "./py/version.ts";
import type { RglobLinkStats } from "./rglob-links.ts";
import { TAR_FORMAT_CURRENT, TAR_FORMAT_PY38, type TarFormat } from "./tar/header.ts";

export { PYTHON_VERSIONS, isPythonVersion, type PythonVersion } from "./py/version.ts";

/** The newest profile: what a current nixpkgs runs the script with. */
export const DEFAULT_PYTHON: PythonVersion = "3.13";


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
