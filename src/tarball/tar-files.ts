/**
 * A tar archive as files by name, for the archive transports: indexed
 * once, on first use (tar-index.ts), then each member streamed from its
 * range of the one open descriptor.  As LayoutFiles it lets the layout
 * reader read an `oci-archive:` as it reads a directory.
 */
import { open, type FileHandle } from "node:fs/promises";
import { fileChunks } from "../oci/file-chunks.ts";
import { ImageSourceError } from "../oci/image-source.ts";
import type { LayoutFiles } from "../oci/layout-reader.ts";
import { lookUpMember, normaliseMemberName, readTarIndex, type TarEntry } from "./tar-index.ts";

function errno(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

export class TarFiles implements LayoutFiles {
  private readonly file: string;
  private readonly image: string;
  private loading: Promise<{ handle: FileHandle; entries: Map<string, TarEntry> }> | undefined;
  bytesRead = 0;

  /** `file` is the archive, `image` the image as the user wrote it (for messages). */
  constructor(file: string, image: string) {
    this.file = file;
    this.image = image;
  }

  private fail(reason: string): ImageSourceError {
    return new ImageSourceError(this.image, `${JSON.stringify(this.file)}: ${reason}`);
  }

  private async load(): Promise<{ handle: FileHandle; entries: Map<string, TarEntry> }> {
    let handle: FileHandle;
    try {
      handle = await open(this.file, "r");
    } catch (error) {
      throw this.fail(`cannot open it (${errno(error)})`);
    }
    try {
      if (!(await handle.stat()).isFile()) throw this.fail("not a file (an oci: layout is a directory)");
      const entries = readTarIndex(handle.fd);
      if (typeof entries === "string") throw this.fail(entries);
      return { handle, entries };
    } catch (error) {
      await handle.close();
      throw error instanceof ImageSourceError ? error : this.fail(`cannot read it (${errno(error)})`);
    }
  }

  private index(): Promise<{ handle: FileHandle; entries: Map<string, TarEntry> }> {
    this.loading ??= this.load();
    return this.loading;
  }

  /** The regular member `name` is (links followed); undefined when the archive has no such name; a link to nowhere is an error. */
  async member(name: string): Promise<TarEntry | undefined> {
    const { entries } = await this.index();
    const normal = normaliseMemberName(name);
    if (normal === undefined || !entries.has(normal)) return undefined;
    const found = lookUpMember(entries, name);
    if (typeof found === "string") throw this.fail(found);
    return found;
  }

  async open(path: string): Promise<AsyncIterable<Buffer> | undefined> {
    const entry = await this.member(path);
    if (entry === undefined) return undefined;
    const { handle } = await this.index();
    const fail = (error: unknown): Error => this.fail(`cannot read member ${JSON.stringify(path)} (${errno(error)})`);
    return fileChunks(handle, entry.dataOffset, entry.dataOffset + entry.size, (bytes) => (this.bytesRead += bytes), fail);
  }

  async close(): Promise<void> {
    const loading = this.loading;
    this.loading = undefined;
    if (loading === undefined) return;
    try {
      await (await loading).handle.close();
    } catch {
      // It never opened: nothing to close.
    }
  }
}
