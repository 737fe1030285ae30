/**
 * The customisation layer: a ready layer.tar and its checksum file named by
 * the conf, checked before the first byte (the checksum read as the script
 * reads it, the tarball's size), then opened again to be copied.
 */
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { CannotArchiveError } from "../store/errors.ts";
import { pyStrip } from "../py/strip.ts";
import { fsEncode, strFacts } from "../py/fsname.ts";
import { pathInRoot } from "../store/root.ts";

/** `os.path.join(directory, name)` for a relative `name`: one slash between them unless there is one already. */
function joinPath(directory: string, name: string): string {
  return directory === "" || directory.endsWith("/") ? directory + name : `${directory}/${name}`;
}

/**
 * The file behind a conf path's bytes (fsencoded: lone surrogates are raw
 * bytes), found by the --root rule (store/root.ts) if there is a root; open()
 * follows a symlink as the last component.  Throws an fs error (`code`).
 */
function fsPathOf(path: Buffer, root: string | undefined): Buffer {
  return pathInRoot(path, root, { followLast: true });
}

/** `open(checksum_path).read().strip()`, asserted to be 64 characters. */
function readCustomisationChecksum(shownAs: string, root: string | undefined): string {
  const path = fsEncode(shownAs);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(readFileSync(fsPathOf(path, root)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== undefined) throw CannotArchiveError.fromFsError(shownAs, "read", error);
    throw new CannotArchiveError(JSON.stringify(shownAs), "not valid UTF-8 text", { cause: error });
  }
  // Text mode translates \r\n and \r to \n before strip().
  const checksum = pyStrip(text.replace(/\r\n?/g, "\n"));
  if (strFacts(checksum).length !== 64) throw new CannotArchiveError(JSON.stringify(shownAs), `Invalid sha256: expected 64 characters, found ${strFacts(checksum).length}`);
  return checksum;
}

/** The customisation layer's files, checked before the first byte. */
export interface CustomisationLayer {
  readonly checksum: string;
  readonly tarPath: Buffer;
  readonly tarShownAs: string;
  /** layer.tar's size when checked: the stream refuses a file that changed since. */
  readonly size: number;
}

/** Opens the layer.tar for reading; the caller closes the descriptor. */
export function openCustomisationTar(layer: Pick<CustomisationLayer, "tarPath" | "tarShownAs">): number {
  try {
    return openSync(layer.tarPath, "r");
  } catch (error) {
    throw CannotArchiveError.fromFsError(layer.tarShownAs, "open", error);
  }
}

export function checkCustomisationLayer(customisation: string, root: string | undefined): CustomisationLayer {
  const checksum = readCustomisationChecksum(joinPath(customisation, "checksum"), root);
  const tarShownAs = joinPath(customisation, "layer.tar");
  const tarBytes = fsEncode(tarShownAs);
  let tarPath: Buffer;
  try {
    tarPath = fsPathOf(tarBytes, root);
  } catch (error) {
    throw CannotArchiveError.fromFsError(tarShownAs, "open", error);
  }
  const fd = openCustomisationTar({ tarPath, tarShownAs });
  let size: number;
  try {
    const stat = fstatSync(fd);
    // Deliberately stricter than gettarinfo, which would store a symlink or
    // a directory as such: a layer must be the tarball's bytes.
    if (!stat.isFile()) throw new CannotArchiveError(JSON.stringify(tarShownAs), "the customisation layer must be a regular file");
    size = stat.size;
  } finally {
    closeSync(fd);
  }
  return { checksum, tarPath, tarShownAs, size };
}
