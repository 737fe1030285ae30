/**
 * Which version of nixpkgs' stream_layered_image.py a conf was written for.
 * Everything that differs between the script generations lives in this one
 * table (as profile/python.ts does for CPython versions):
 *
 * - "2020": the script of August 2020: `sys.argv[1]` is the conf, members
 *   owned by 0/0 root/root, /nix and /nix/store with mode 0555, store paths
 *   must start with "/nix/store/", a symlinked store path is walked through
 *   (rglob follows the starting path), layers numbered from 0.
 * - "current": the script nixpkgs ships today (argparse with --repo_tag/-t;
 *   conf keys store_dir, from_image, mtime, uid, gid, uname, gname):
 *   ownership from the conf, /nix and /nix/store with mode 0755, store
 *   paths must start with store_dir (a plain string prefix), a symlinked
 *   store path is written alone, "No 'fromImage' provided" first, layers
 *   numbered from 1 after the base image's.
 */

export const GENERATIONS = ["2020", "current"] as const;
export type Generation = (typeof GENERATIONS)[number];

/** The generation a conf is detected as when it holds all of these keys. */
export const CURRENT_KEYS = ["store_dir", "from_image", "mtime", "uid", "gid", "uname", "gname"] as const;

export function isGeneration(value: string): value is Generation {
  return (GENERATIONS as readonly string[]).includes(value);
}

export interface GenerationProfile {
  readonly generation: Generation;
  /** `nix_root`'s mode for the /nix and /nix/store members. */
  readonly nixRootMode: number;
  /** A top-level store path that is a symlink is written alone (no rglob through it). */
  readonly symlinkedStorePathAlone: boolean;
  /** Ownership, mtime, store_dir and from_image come from the conf (else 0/0 root/root, created, "/nix/store/", none). */
  readonly confOwnership: boolean;
  /** `--repo_tag`/`-t` exists (a non-empty value replaces the conf's repo_tag). */
  readonly repoTagOption: boolean;
  /** The first stderr line, before any layer (none: undefined). */
  readonly noBaseImageLine: string | undefined;
  /** "Creating layer N from paths": N of the first store layer, given the base image's layer count. */
  firstStoreLayerNumber(baseLayers: number): number;
  /** The line before the customisation layer, given how many layers came before it. */
  customisationLine(layersBefore: number): string;
}

const PROFILES: Readonly<Record<Generation, GenerationProfile>> = {
  "2020": {
    generation: "2020",
    nixRootMode: 0o555,
    symlinkedStorePathAlone: false,
    confOwnership: false,
    repoTagOption: false,
    noBaseImageLine: undefined,
    firstStoreLayerNumber: () => 0,
    customisationLine: () => "Creating the customisation layer...",
  },
  current: {
    generation: "current",
    nixRootMode: 0o755,
    symlinkedStorePathAlone: true,
    confOwnership: true,
    repoTagOption: true,
    noBaseImageLine: "No 'fromImage' provided",
    firstStoreLayerNumber: (baseLayers) => baseLayers + 1,
    customisationLine: (layersBefore) => `Creating layer ${layersBefore + 1} with customisation...`,
  },
};

export function generationProfile(generation: Generation): GenerationProfile {
  return PROFILES[generation];
}
