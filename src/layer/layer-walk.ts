/**
 * A store layer's walk alone: the entries `archive_paths_to` archives, in
 * its order, from readdir and lstat (no header made, no file opened); and
 * the layer style (how the conf's script generation writes members).
 * Apart from layer.ts, which makes the members' bytes.
 */
import { walkStorePath, type WalkedEntry, type WalkOptions } from "../store/walk.ts";
import { locateStorePath } from "../store/store-path.ts";
import { CannotArchiveError, displayPath } from "../store/errors.ts";
import type { PythonProfile, PythonVersion } from "../profile/python.ts";
import { generationRules, type GenerationRules, type MemberOwner } from "../profile/generation.ts";
import { UnencodableNameError } from "../py/fsname.ts";

/** How a generation of the script writes a store layer: its GenerationRules' facet, made by layerStyle. */
export interface LayerStyle {
  /** Every member's owner, /nix and /nix/store included. */
  readonly owner: MemberOwner;
  /** Mode of the /nix and /nix/store members. */
  readonly nixRootMode: number;
  /** A top-level store path that is a symlink is written alone, not walked through. */
  readonly symlinkedStorePathAlone: boolean;
}

/** A generation's layer style: its rules, with the conf's owner where the script reads the owner from the conf. */
export function layerStyle(rules: GenerationRules, confOwner?: MemberOwner): LayerStyle {
  const owner = rules.memberOwner ?? confOwner;
  if (owner === undefined) throw new TypeError(`the ${rules.generation} script's layers are owned by the conf's uid, gid, uname and gname: give them`);
  return { owner, nixRootMode: rules.nixRootMode, symlinkedStorePathAlone: rules.symlinkedStorePathAlone };
}

/** The style of a layer whose options name none: the 2020 generation's (whose owner the table fixes). */
export const DEFAULT_STYLE = layerStyle(generationRules("2020"));

/** What a layer's walk depends on besides its store paths. */
export interface LayerWalkOptions {
  /** Which script generation's layer to write (see layerStyle; default: the 2020 generation's). */
  readonly style?: LayerStyle | undefined;
  /** Read `/nix/store/...` from `<root>/nix/store/...`; names in the archive stay `/nix/store/...`. */
  readonly root?: string | undefined;
  /** The CPython whose tarfile bytes to reproduce. */
  readonly python?: PythonVersion | undefined;
}

function locate(path: string | Uint8Array, root: string | undefined) {
  try {
    return locateStorePath(path, root);
  } catch (error) {
    if (error instanceof UnencodableNameError) throw new CannotArchiveError(displayPath(error.value), "it cannot be a file name (it holds a lone surrogate outside U+DC80..U+DCFF)");
    throw error;
  }
}

/** Each store path's walk, as this CPython's rglob and this generation's script do it. */
export function* storeEntries(
  paths: readonly (string | Uint8Array)[],
  profile: PythonProfile,
  style: LayerStyle,
  root: string | undefined,
  onStorePathLink?: WalkOptions["onStorePathLink"],
): Generator<WalkedEntry> {
  const walkOptions = { root, childNamesFromBytes: profile.rglobChildNamesFromBytes, rglobLinkStats: profile.rglobLinkStats, symlinkAlone: style.symlinkedStorePathAlone, onStorePathLink };
  for (const path of paths) {
    const { fsPath, name } = locate(path, root);
    yield* walkStorePath(fsPath, name, walkOptions);
  }
}
