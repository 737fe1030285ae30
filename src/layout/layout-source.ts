/**
 * `oci:DIR[:REF]`: an OCI image layout in a directory, read by the one
 * layout reader (oci/layout-reader.ts) over the directory's files.  A file
 * is opened when its bytes are first asked for and closed when they end or
 * the reader stops; nothing but the path inside the layout is joined to DIR
 * (the reader builds blob paths from checked sha256 digests only).
 */
import { statSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { fileChunks } from "../oci/file-chunks.ts";
import { ImageSourceError, type Platform, type ResolvedImage } from "../oci/image-source.ts";
import { OciLayoutSource, type LayoutFiles } from "../oci/layout-reader.ts";

/** An errno as a message names it: `EACCES`. */
function errno(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/** The files of the layout in `dir`. */
export class DirectoryFiles implements LayoutFiles {
  private readonly dir: string;
  private readonly image: string;
  bytesRead = 0;

  constructor(dir: string, image: string) {
    this.dir = dir;
    this.image = image;
  }

  async open(path: string): Promise<AsyncIterable<Buffer> | undefined> {
    const file = join(this.dir, path);
    let handle;
    try {
      handle = await open(file, "r");
    } catch (error) {
      if (errno(error) === "ENOENT" || errno(error) === "ENOTDIR") return undefined;
      throw new ImageSourceError(this.image, `cannot open ${path} (${errno(error)})`);
    }
    const fail = (error: unknown): Error => new ImageSourceError(this.image, `cannot read ${path} (${errno(error)})`);
    const chunks = fileChunks(handle, 0, undefined, (bytes) => (this.bytesRead += bytes), fail);
    return (async function* closing() {
      try {
        yield* chunks;
      } finally {
        await handle.close();
      }
    })();
  }

  async close(): Promise<void> {
    // Each file is closed when its bytes end or are abandoned.
  }
}

export class LayoutSource extends OciLayoutSource {
  private readonly dir: string;
  private readonly image: string;

  /** `name` is the image as the user wrote it (`oci:DIR:REF`); REF undefined or "" takes the only image. */
  constructor(name: string, dir: string, ref: string | undefined) {
    super("oci", name, new DirectoryFiles(dir, name), ref);
    this.dir = dir;
    this.image = name;
  }

  override resolve(platform: Platform): Promise<ResolvedImage> {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(this.dir).isDirectory();
    } catch (error) {
      return Promise.reject(new ImageSourceError(this.image, `no directory ${JSON.stringify(this.dir)} (${errno(error)})`));
    }
    if (!isDirectory) return Promise.reject(new ImageSourceError(this.image, `${JSON.stringify(this.dir)} is not a directory (an oci-archive: is a tar file)`));
    return super.resolve(platform);
  }
}
