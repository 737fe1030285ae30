/**
 * One store layer's tarball: the reference's `archive_paths_to`, as lazy
 * chunks (layerChunks) or written to a Sink, from its walk (layer-walk.ts:
 * also what the digest cache checks, and a cached layer streams from).  The
 * layer style says how the conf's script generation writes it.
 */
import { closeSync, openSync } from "node:fs";
import { crc32 } from "node:zlib";
import { encodeHeader } from "../tar/header.ts";
import { TypeFlag } from "../tar/constants.ts";
import { ShortReadError, TarChunker } from "../tar/writer.ts";
import { nixRootHeader, storeEntryHeader } from "../store/entry.ts";
import type { WalkedEntry, WalkOptions } from "../store/walk.ts";
import { CannotArchiveError, displayPath } from "../store/errors.ts";
import { DEFAULT_PYTHON, profileFor } from "../profile/python.ts";
import type { Sink } from "./sinks.ts";
import { DEFAULT_STYLE, storeEntries, type LayerWalkOptions } from "./layer-walk.ts";

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

export interface LayerOptions extends LayerWalkOptions {
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
  /** Called with each symlinked store path the walk goes through (see WalkOptions.onStorePathLink). */
  readonly onStorePathLink?: WalkOptions["onStorePathLink"];
  /** The layer's entries as a walk found them (a digest cache hit's kept walk): streamed without walking again. */
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
  for (const entry of options.walked ?? storeEntries(paths, profile, style, options.root, options.onStorePathLink)) {
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
