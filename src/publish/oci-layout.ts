/**
 * An OCI image layout directory (image-spec's image-layout.md): `oci-layout`,
 * `index.json`, `blobs/sha256/<hex>`, holding the same layers, config and
 * manifest a push sends.  A new DIR is built beside it and renamed into
 * place when complete.  In an existing layout each blob is written to a
 * temporary file and renamed (blobs are named by content, so a reader never
 * sees a partial one), blobs already present are not written again, and
 * index.json is replaced last: until then the layout is the old image.
 * Layers are compressed as push compresses them (layer-blob.ts), each blob
 * named by its digest once written; a layer whose compressed digest the
 * blob cache knows, and whose blob the layout has, is neither read nor
 * compressed.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import type { PreparedImage } from "../image/types.ts";
import { BlobCache, type Compression, type CompressedBlob } from "../passes/blob-cache.ts";
import { staleCacheEntry } from "./cached-layer.ts";
import { checkCompression } from "./compression.ts";
import { DiffIdMismatchError, LayoutError } from "./errors.ts";
import { openLayerBlob } from "./layer-blob.ts";
import { buildManifest, type ManifestFormat } from "../oci/manifest.ts";
import { writtenLayerType } from "../oci/media-types.ts";
import type { PublishedLayer } from "./push.ts";

export interface OciLayoutOptions {
  /** `org.opencontainers.image.ref.name` of the manifest in index.json (what `oci:DIR:NAME` names). */
  readonly refName?: string | undefined;
  readonly format?: ManifestFormat | undefined;
  /** How layers are compressed (default gzip level 5, compression.ts). */
  readonly compress?: Compression | undefined;
  /** Compressed digests known from earlier runs, and where this one's are kept (default: memory only). */
  readonly blobCache?: BlobCache | undefined;
  readonly log?: ((line: string) => void) | undefined;
}

export interface OciLayoutSummary {
  readonly directory: string;
  readonly manifestDigest: string;
  readonly configDigest: string;
  readonly layers: readonly PublishedLayer[];
  readonly compression: Required<Compression>;
  /** Layers read and compressed by this run. */
  readonly layersCompressed: number;
}

const REF_NAME = "org.opencontainers.image.ref.name";
const LAYOUT_VERSION = `${JSON.stringify({ imageLayoutVersion: "1.0.0" })}`;

function temporaryName(): string {
  return `.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
}

function fail(action: string, path: string, error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code;
  throw new LayoutError(`Cannot write OCI layout: ${action} ${JSON.stringify(path)}: ${code ?? (error as Error).message}`, { cause: error });
}

/** A blob's bytes whose sha256 is not the name it was to be written under. */
class BlobDigestError extends LayoutError {}

/**
 * Writes `chunks` to a temporary file in `blobs`, then renames it to the
 * hex digest `name` gives once they have ended (a throw there, or on the
 * way, leaves nothing behind): a reader never sees half a blob.
 */
async function writeBlob(blobs: string, chunks: Iterable<Buffer> | AsyncIterable<Buffer>, name: () => string | Promise<string>): Promise<void> {
  const temporary = join(blobs, temporaryName());
  let fd: number;
  try {
    fd = openSync(temporary, "wx", 0o644);
  } catch (error) {
    fail("creating", temporary, error);
  }
  try {
    for await (const chunk of chunks) {
      for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done);
    }
    const hex = await name();
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(temporary, join(blobs, hex));
  } catch (error) {
    if (fd >= 0) closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Layer `index`'s blob, compressed as it is written and named by its
 * digest; an uncompressed blob must be the layer's diff_id (BlobDigestError).
 */
async function writeLayerBlob(blobs: string, image: PreparedImage, index: number, compression: Compression): Promise<CompressedBlob> {
  const stream = openLayerBlob(image, index, compression);
  let blob: CompressedBlob | undefined;
  try {
    await writeBlob(blobs, stream.chunks, async () => {
      blob = await stream.result();
      const diffId = `sha256:${image.layers[index]!.sha256}`;
      if (compression.format === "none" && blob.digest !== diffId) throw new BlobDigestError(`Cannot write OCI layout: blob ${diffId} has ${blob.digest} (the digest it was written for does not match its bytes)`);
      return blob.digest.slice("sha256:".length);
    });
  } finally {
    await stream.chunks.return();
  }
  return blob!;
}

/** A blob already there with the size it must have (its name is its digest). */
function hasBlob(blobs: string, hex: string, size: number): boolean {
  try {
    return statSync(join(blobs, hex)).size === size;
  } catch {
    return false;
  }
}

/** index.json's manifests, without the one `refName` named before. */
function keptManifests(directory: string, refName: string): unknown[] {
  const file = join(directory, "index.json");
  if (!existsSync(file)) return [];
  let index: { manifests?: unknown };
  try {
    index = JSON.parse(readFileSync(file, "utf8")) as typeof index;
  } catch (error) {
    throw new LayoutError(`Cannot write OCI layout: ${JSON.stringify(file)} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(index.manifests)) throw new LayoutError(`Cannot write OCI layout: ${JSON.stringify(file)} has no "manifests" list`);
  return index.manifests.filter((entry) => (entry as { annotations?: Record<string, unknown> } | null)?.annotations?.[REF_NAME] !== refName);
}

/** One run of writeOciLayout: where its blobs go, how its layers are compressed, what it did. */
interface LayoutRun {
  readonly image: PreparedImage;
  readonly blobs: string;
  readonly format: ManifestFormat;
  readonly compression: Required<Compression>;
  readonly blobCache: BlobCache;
  readonly log: ((line: string) => void) | undefined;
  compressed: number;
}

/** Layer `index`: skipped when the layout has its blob (uncompressed: its diff_id; compressed: the blob cache's digest), else written. */
async function layoutLayer(run: LayoutRun, index: number): Promise<PublishedLayer> {
  const { image, compression, blobCache, log } = run;
  const layer = image.layers[index]!;
  const diffId = `sha256:${layer.sha256}`;
  const mediaType = writtenLayerType(run.format, compression.format)!;
  const name = `Layer ${index + 1}/${image.layers.length} ${diffId}`;
  const compressed = compression.format !== "none";
  const known = compressed ? blobCache.read(diffId, compression) : { digest: diffId, size: layer.size };
  const blobName = (blob: CompressedBlob): string => (compressed ? ` (${compression.format} ${blob.digest}, ${blob.size} bytes)` : "");
  if (known !== undefined && hasBlob(run.blobs, known.digest.slice("sha256:".length), known.size)) {
    log?.(`${name}: skipped, the layout has it${blobName(known)}`);
    return { ...known, mediaType, diffId, outcome: "skipped" };
  }
  let blob: CompressedBlob;
  try {
    if (compressed) run.compressed++;
    blob = await writeLayerBlob(run.blobs, image, index, compression);
  } catch (error) {
    throw staleCacheEntry(image, index, error, error instanceof BlobDigestError || error instanceof DiffIdMismatchError) ?? error;
  }
  if (known !== undefined && known.digest !== blob.digest) {
    log?.(`${name}: its blob cache entry said ${known.digest}, ${known.size} bytes, but it compressed to ${blob.digest}, ${blob.size} bytes: the entry was dropped`);
    blobCache.drop(diffId, compression);
  }
  if (compressed) blobCache.write(diffId, compression, blob);
  log?.(`${name}: written, ${compressed ? `${compression.format} ${blob.digest}, ${blob.size} bytes (of ${layer.size})` : `${blob.size} bytes`}`);
  return { ...blob, mediaType, diffId, outcome: "uploaded" };
}

/** index.json replaced last (through a temporary file), with `manifest` under `refName` and the other entries kept. */
function writeIndex(target: string, existing: boolean, refName: string, manifest: { mediaType: string; digest: string; bytes: Buffer }): void {
  const manifests = [...keptManifests(target, refName), { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length, annotations: { [REF_NAME]: refName } }];
  const index = Buffer.from(`${JSON.stringify({ schemaVersion: 2, manifests })}`);
  const indexTemporary = join(target, `index.json${temporaryName()}`);
  try {
    if (!existing) writeFileSync(join(target, "oci-layout"), LAYOUT_VERSION);
    writeFileSync(indexTemporary, index);
    renameSync(indexTemporary, join(target, "index.json"));
  } catch (error) {
    rmSync(indexTemporary, { force: true });
    fail("writing", join(target, "index.json"), error);
  }
}

/** Writes `image` as an OCI layout at `directory` (created, or updated in place when it is one). */
export async function writeOciLayout(image: PreparedImage, directory: string, options: OciLayoutOptions = {}): Promise<OciLayoutSummary> {
  const refName = options.refName ?? "latest";
  const format = options.format ?? "oci";
  const compression = checkCompression(format, options.compress);
  const existing = existsSync(join(directory, "oci-layout"));
  if (!existing && existsSync(directory)) throw new LayoutError(`Cannot write OCI layout: ${JSON.stringify(directory)} exists and is not an OCI layout (no oci-layout file)`);
  // A new layout is built beside its place and renamed into it at the end.
  const target = existing ? directory : join(dirname(directory), `.${basename(directory)}${temporaryName()}`);
  const blobs = join(target, "blobs", "sha256");
  const run: LayoutRun = { image, blobs, format, compression, blobCache: options.blobCache ?? new BlobCache(undefined), log: options.log, compressed: 0 };
  try {
    try {
      mkdirSync(blobs, { recursive: true });
    } catch (error) {
      fail("creating", blobs, error);
    }
    const layers: PublishedLayer[] = [];
    for (let index = 0; index < image.layers.length; index++) layers.push(await layoutLayer(run, index));
    const manifest = buildManifest(image, format, layers);
    for (const [digest, bytes] of [[manifest.config.digest, image.configBytes], [manifest.digest, manifest.bytes]] as const) {
      const hex = digest.slice("sha256:".length);
      if (!hasBlob(blobs, hex, bytes.length)) await writeBlob(blobs, [bytes], () => hex);
    }
    writeIndex(target, existing, refName, manifest);
    if (!existing) {
      try {
        renameSync(target, directory);
      } catch (error) {
        fail("renaming into", directory, error);
      }
    }
    return { directory, manifestDigest: manifest.digest, configDigest: manifest.config.digest, layers, compression, layersCompressed: run.compressed };
  } catch (error) {
    if (!existing) rmSync(target, { recursive: true, force: true });
    throw error;
  }
}
