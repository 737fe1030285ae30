import { closeSync, openSync } from "node:fs";
import { encodeHeader } from "./tar/header.js";
import { TypeFlag } from "./tar/constants.js";
import { ShortReadError, TarChunker } from "./tar/writer.js";
import { nixRootHeader, storeEntryHeader } from "./entry.js";
import { walkStorePath, type WalkedEntry } from "./walk.js";
import { locateStorePath } from "./store-path.js";
import { CannotArchiveError, displayPath } from "./errors.js";
import { DEFAULT_PYTHON, profileFor, type PythonVersion } from "./profile.js";
import type { Sink } from "./sinks.js";

export interface LayerOptions {
  /** Read `/nix/store/...` from `<root>/nix/store/...`; names in the archive stay `/nix/store/...`. */
  readonly root?: string;
  /** The CPython whose tarfile bytes to reproduce. */
  readonly python?: PythonVersion;
}

function* regularFileContent(chunker: TarChunker, entry: WalkedEntry, size: number): Generator<Buffer> {
  let fd: number;
  try {
    fd = openSync(entry.fsPath, "r");
  } catch (error) {
    throw CannotArchiveError.fromFsError(entry.name, "open", error);
  }
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
  const chunker = new TarChunker();
  yield* chunker.bytes(encodeHeader(nixRootHeader("/nix", mtime), format));
  yield* chunker.bytes(encodeHeader(nixRootHeader("/nix/store", mtime), format));
  for (const path of paths) {
    const { fsPath, name } = locateStorePath(path, options.root);
    for (const entry of walkStorePath(fsPath, name, { root: options.root, childNamesFromBytes: profile.rglobChildNamesFromBytes })) {
      const header = storeEntryHeader(entry, mtime);
      yield* chunker.bytes(encodeHeader(header, format));
      if (header.type === TypeFlag.regular) yield* regularFileContent(chunker, entry, Number(header.size));
    }
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
