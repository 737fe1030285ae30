/**
 * The generation table: everything that differs between the versions of
 * nixpkgs' stream_layered_image.py a conf may be written for, one entry per
 * generation (as profile/python.ts is for CPython versions).  Data only: the
 * stages read their facet of it (conf/, image/, layer/ through its
 * LayerStyle), and no other file holds a generation's constant.
 *
 * - "2020": the script of August 2020 (nixpkgs 20.09): `sys.argv[1]` is the
 *   conf.
 * - "current": the script nixpkgs ships today: argparse with
 *   `--repo_tag`/`-t`, the conf keys of CURRENT_KEYS besides the 2020 ones.
 */

export const GENERATIONS = ["2020", "current"] as const;
export type Generation = (typeof GENERATIONS)[number];

/** The keys the current script reads besides the 2020 ones. */
export const CURRENT_KEYS = ["store_dir", "from_image", "mtime", "uid", "gid", "uname", "gname"] as const;
export type CurrentKey = (typeof CURRENT_KEYS)[number];

export function isGeneration(value: string): value is Generation {
  return (GENERATIONS as readonly string[]).includes(value);
}

/** Who owns every store-layer member (`apply_filters`). */
export interface MemberOwner {
  readonly uid: number | bigint;
  readonly gid: number | bigint;
  readonly uname: string;
  readonly gname: string;
}

/** What one generation of the script does where the generations differ. */
export interface GenerationRules {
  readonly generation: Generation;
  /**
   * Which of CURRENT_KEYS the script reads (none or all of them, as
   * conf/validate.ts reads them); a conf is detected as the generation whose
   * keys it holds.
   */
  readonly confKeys: readonly CurrentKey[];
  /** `--repo_tag`/`-t` exists (a non-empty value replaces the conf's repo_tag). */
  readonly repoTagOption: boolean;
  /** The prefix every store path must start with; undefined: the conf's `store_dir` (a plain string prefix). */
  readonly storePathPrefix: string | undefined;
  /** The conf key whose time every member takes (the config's `created` is `created` in both). */
  readonly memberMtimeKey: "created" | "mtime";
  /** Every store-layer member's owner, /nix and /nix/store included; undefined: the conf's `uid`, `gid`, `uname`, `gname`. */
  readonly memberOwner: MemberOwner | undefined;
  /** `nix_root`'s mode for the /nix and /nix/store members. */
  readonly nixRootMode: number;
  /** A top-level store path that is a symlink is written alone (else rglob walks through it). */
  readonly symlinkedStorePathAlone: boolean;
  /** The first stderr line, before any layer, when there is no base image (none: undefined). */
  readonly noBaseImageLine: string | undefined;
  /** "Creating layer N from paths": N of the first store layer, given the base image's layer count. */
  firstStoreLayerNumber(baseLayers: number): number;
  /** The line before the customisation layer, given how many layers came before it. */
  customisationLine(layersBefore: number): string;
}

const RULES: Readonly<Record<Generation, GenerationRules>> = {
  "2020": {
    generation: "2020",
    confKeys: [],
    repoTagOption: false,
    storePathPrefix: "/nix/store/",
    memberMtimeKey: "created",
    memberOwner: { uid: 0, gid: 0, uname: "root", gname: "root" },
    nixRootMode: 0o555,
    symlinkedStorePathAlone: false,
    noBaseImageLine: undefined,
    firstStoreLayerNumber: () => 0,
    customisationLine: () => "Creating the customisation layer...",
  },
  current: {
    generation: "current",
    confKeys: CURRENT_KEYS,
    repoTagOption: true,
    storePathPrefix: undefined,
    memberMtimeKey: "mtime",
    memberOwner: undefined,
    nixRootMode: 0o755,
    symlinkedStorePathAlone: true,
    noBaseImageLine: "No 'fromImage' provided",
    firstStoreLayerNumber: (baseLayers) => baseLayers + 1,
    customisationLine: (layersBefore) => `Creating layer ${layersBefore + 1} with customisation...`,
  },
};

export function generationRules(generation: Generation): GenerationRules {
  return RULES[generation];
}
