/**
 * The files the image copies from besides the store: a base image's layer
 * as a blob of its own, and the customisation layer's layer.tar, each read
 * in reused chunks, a file that changed under the read naming itself.
 */
import { closeSync, fstatSync, readSync, type Stats } from "node:fs";
import { TypeFlag } from "../tar/constants.ts";
import { ShortReadError } from "../tar/writer.ts";
import { CannotArchiveError } from "../store/errors.ts";
import { openCustomisationTar, type CustomisationLayer } from "../layer/customisation-layer.ts";
import type { BaseImage } from "../base-image/base-image.ts";

/**
 * Base layer `index` alone, as a registry blob: its member's bytes in the
 * base archive.  A member that is a link carries no bytes of its own in the
 * image the script writes, so it cannot be a blob: refused.
 */
export function* baseLayerBlob(base: BaseImage, index: number): Generator<Buffer> {
  const layer = base.layers[index]!;
  if (layer.header.type !== TypeFlag.regular || layer.copySize !== Number(layer.header.size)) {
    throw new CannotArchiveError(JSON.stringify(base.file), `base layer ${layer.path} is a link in the base archive: it cannot be published as a blob`);
  }
  yield* namingShortRead(JSON.stringify(base.file), "the base image changed while being read", fileBytes(base.fd, layer.copySize, layer.dataOffset));
}

/** Runs `reading`, turning a short read (the file changed under it) into CannotArchiveError naming `shownAs`. */
export function* namingShortRead(shownAs: string, what: string, reading: Generator<Buffer>): Generator<Buffer> {
  try {
    yield* reading;
  } catch (error) {
    if (error instanceof ShortReadError) throw new CannotArchiveError(shownAs, `${what} (${error.message})`, { cause: error });
    throw error;
  }
}

/**
 * The customisation layer's layer.tar, opened for `read` and closed after:
 * its size must still be the one checked before the first byte, and a change
 * while it is read names it.
 */
export function* customisationTarBytes(customisation: CustomisationLayer, read: (fd: number, stat: Stats) => Generator<Buffer>): Generator<Buffer> {
  const fd = openCustomisationTar(customisation);
  try {
    yield* namingShortRead(
      JSON.stringify(customisation.tarShownAs),
      "file changed size while being read",
      (function* () {
        const stat = fstatSync(fd);
        if (stat.size !== customisation.size) throw new ShortReadError(customisation.size, stat.size);
        yield* read(fd, stat);
      })(),
    );
  } finally {
    closeSync(fd);
  }
}

/** `size` bytes of a file from `position`, in reused chunks of at most 1 MiB (a blob: no tar padding). */
export function* fileBytes(fd: number, size: number, position: number): Generator<Buffer> {
  const buffer = Buffer.allocUnsafe(Math.min(size, 1 << 20));
  for (let done = 0; done < size; ) {
    const got = readSync(fd, buffer, 0, Math.min(buffer.length, size - done), position + done);
    if (got === 0) throw new ShortReadError(size, done);
    done += got;
    yield buffer.subarray(0, got);
  }
}
