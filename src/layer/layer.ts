/**
 * One store layer's tarball: the reference's `archive_paths_to`, as lazy
 * chunks (layerChunks), as its walk alone (layerWalk, metadata only: what
 * the digest cache checks, and a cached layer streams from), or written to
 * a Sink.  The layer style says how the conf's script generation writes it.
 */
import { closeSync, openSync } from "node:fs";
import { crc32 } from "node:zlib";
import { encodeHeader } from "../tar/header.ts";
import { TypeFlag } from "../tar/constants.ts";
import { ShortReadError, TarChunker } from "../tar/writer.ts";
import { nixRootHeader, storeEntryHeader } from "../store/entry.ts";
import { walkStorePath, walkStorePathFrom, type WalkedEntry, type WalkOptions } from "../store/walk.ts";
import { locateStorePath } from "../store/store-path.ts";
import { CannotArchiveError, displayPath } from "../store/errors.ts";
import { DEFAULT_PYTHON, profileFor, type PythonProfile, type PythonVersion } from "../profile/python.ts";
import { generationRules, type GenerationRules, type MemberOwner } from "../profile/generation.ts";
import { UnencodableNameError } from "../py/fsname.ts";
import type { Sink } from "./sinks.ts";

/**
 * What one member of a layer looked like: lets a second pass say which path
 * changed without hashing content twice.  Any write to a file moves its
 * ctime (which user space cannot set back), so size, ctime and inode catch a
 * content change; the header's CRC catches the rest (mode, link target...).
 */
export interface EntryRecord {
  readonly name: string;
  /** Content bytes (0 for anything but regular files). */
  readonly size: number;
  /** CRC-32 of the member's header bytes. */
  readonly crc: number;
  readonly ctimeMs: number;
  readonly inode: number;
}

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
const DEFAULT_STYLE = layerStyle(generationRules("2020"));

export interface LayerOptions {
  /** Which script generation's layer to write (see layerStyle; default: the 2020 generation's). */
  readonly style?: LayerStyle | undefined;
  /** Read `/nix/store/...` from `<root>/nix/store/...`; names in the archive stay `/nix/store/...`. */
  readonly root?: string | undefined;
  /** The CPython whose tarfile bytes to reproduce. */
  readonly python?: PythonVersion | undefined;
  /** Refill one buffer: each chunk is valid only until the next is requested. */
  readonly reuseChunks?: boolean | undefined;
  /** Called after each store member is written, in archive order. */
  readonly onEntry?: ((record: EntryRecord) => void) | undefined;
  /** Lends each buffer to fill (implies reuseChunks): see TarChunker. */
  readonly nextBuffer?: (() => Buffer) | undefined;
  /**
   * Open empty regular files too (the default), as the script does: an
   * unreadable empty file fails there.  A second pass may skip them.
   */
  readonly openEmptyFiles?: boolean | undefined;
  /** Called with each store entry as the walk finds it, before its header is made. */
  readonly onWalked?: ((entry: WalkedEntry) => void) | undefined;
  /** The layer's entries as a layerWalk found them: streamed without walking again (a digest cache hit). */
  readonly walked?: Iterable<WalkedEntry> | undefined;
}

function openForReading(entry: WalkedEntry): number {
  try {
    return openSync(entry.fsPath, "r");
  } catch (error) {
    throw CannotArchiveError.fromFsError(entry.name, "open", error);
  }
}

function* regularFileContent(chunker: TarChunker, entry: WalkedEntry, size: number): Generator<Buffer> {
  const fd = openForReading(entry);
  try {
    yield* chunker.fileContent(fd, size);
  } catch (error) {
    if (error instanceof ShortReadError) {
      throw new CannotArchiveError(
        displayPath(entry.name),
        `file shrank while being read (expected ${error.expected} bytes, got ${error.actual})`,
        { cause: error },
      );
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined) throw CannotArchiveError.fromFsError(entry.name, "read", error);
    throw error;
  } finally {
    closeSync(fd);
  }
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
function walkOptionsFor(profile: PythonProfile, style: LayerStyle, root: string | undefined): WalkOptions {
  return { root, childNamesFromBytes: profile.rglobChildNamesFromBytes, rglobLinkStats: profile.rglobLinkStats, symlinkAlone: style.symlinkedStorePathAlone };
}

function* storeEntries(paths: readonly (string | Uint8Array)[], profile: PythonProfile, style: LayerStyle, root: string | undefined): Generator<WalkedEntry> {
  const walkOptions = walkOptionsFor(profile, style, root);
  for (const path of paths) {
    const { fsPath, name } = locate(path, root);
    yield* walkStorePath(fsPath, name, walkOptions);
  }
}

/**
 * What a pass records of a member.  ctime/inode only for file content: a
 * directory's ctime moves whenever a child comes or goes, which the walk
 * reports by the child's name.
 */
function entryRecord(entry: WalkedEntry, regular: boolean, size: number, headerBytes: Uint8Array): EntryRecord {
  return { name: entry.name, size, crc: crc32(headerBytes), ctimeMs: regular ? entry.stat.ctimeMs : 0, inode: regular ? entry.stat.ino : 0 };
}

/**
 * The bytes of the reference's `archive_paths_to(obj, paths, mtime)`, as a
 * lazy sequence of chunks: `/nix`, `/nix/store`, then for each store path in
 * the order given `sorted(chain([path], path.rglob("*")))`.
 */
export function* layerChunks(
  paths: readonly (string | Uint8Array)[],
  mtime: number | bigint,
  options: LayerOptions = {},
): Generator<Buffer> {
  const profile = profileFor(options.python ?? DEFAULT_PYTHON);
  const format = profile.tarFormat;
  const chunker = new TarChunker(options.reuseChunks, options.nextBuffer);
  const style = options.style ?? DEFAULT_STYLE;
  yield* chunker.bytes(encodeHeader(nixRootHeader("/nix", mtime, style.owner, style.nixRootMode), format));
  yield* chunker.bytes(encodeHeader(nixRootHeader("/nix/store", mtime, style.owner, style.nixRootMode), format));
  for (const entry of options.walked ?? storeEntries(paths, profile, style, options.root)) {
    options.onWalked?.(entry);
    const header = storeEntryHeader(entry, mtime, style.owner);
    const headerBytes = encodeHeader(header, format);
    yield* chunker.bytes(headerBytes);
    const regular = header.type === TypeFlag.regular;
    const size = regular ? Number(header.size) : 0;
    // Every regular file is opened, empty ones too, as the script does.
    if (regular && (size > 0 || options.openEmptyFiles !== false)) yield* regularFileContent(chunker, entry, size);
    options.onEntry?.(entryRecord(entry, regular, size, headerBytes));
  }
  yield* chunker.finish();
}

/**
 * The entries layerChunks walks (and gives `onWalked`), from the walk alone:
 * no header made, no link read, no file opened.  What the digest cache
 * checks a layer's store paths against, and what a cached layer is then
 * streamed from (layerChunks' `walked`).
 */
export function layerWalk(paths: readonly (string | Uint8Array)[], options: Pick<LayerOptions, "root" | "python" | "style"> = {}): Generator<WalkedEntry> {
  return storeEntries(paths, profileFor(options.python ?? DEFAULT_PYTHON), options.style ?? DEFAULT_STYLE, options.root);
}

/** One of two parts of a layer's walk split at the entry named `from`/`until`: the entries before it, or it and those after. */
export type WalkPart = { readonly until: string } | { readonly from: string };

/**
 * Part of layerWalk's entries: those before the entry named `until`, or
 * from the entry named `from` to the end, so two threads can each walk one
 * part of a large layer.  Returns false (the store changed) when no entry
 * has that name; the `from` part then yields nothing.
 */
export function* layerWalkPart(paths: readonly (string | Uint8Array)[], part: WalkPart, options: Pick<LayerOptions, "root" | "python" | "style"> = {}): Generator<WalkedEntry, boolean> {
  if ("until" in part) {
    for (const entry of layerWalk(paths, options)) {
      if (entry.name === part.until) return true;
      yield entry;
    }
    return false;
  }
  const walkOptions = walkOptionsFor(profileFor(options.python ?? DEFAULT_PYTHON), options.style ?? DEFAULT_STYLE, options.root);
  let started = false;
  for (const path of paths) {
    const { fsPath, name } = locate(path, options.root);
    if (started) yield* walkStorePath(fsPath, name, walkOptions);
    else started = yield* walkStorePathFrom(fsPath, name, part.from, walkOptions);
  }
  return started;
}

/** `archive_paths_to(obj, paths, mtime)`: writes one layer tarball to `sink`. */
export async function archivePathsTo(
  sink: Sink,
  paths: readonly (string | Uint8Array)[],
  mtime: number | bigint,
  options: LayerOptions = {},
): Promise<void> {
  for (const chunk of layerChunks(paths, mtime, options)) {
    const wait = sink.write(chunk);
    if (wait !== undefined) await wait;
  }
}
