/**
 * An OCI image layout read through a small file interface (LayoutFiles),
 * so that one reader serves a directory (layout/, `oci:`) and a tar
 * archive of one (tarball/, `oci-archive:`): the `oci-layout` marker,
 * `index.json`, the image chosen by its `org.opencontainers.image.ref.name`
 * (skopeo's REF), then indexes narrowed to the platform, and the blobs at
 * `blobs/<alg>/<hex>`.
 */
import { collectUpTo, readWholeBlob } from "./blob-content.ts";
import { ImageSourceError, type BlobRef, type ConfigRef, type ImageSource, type Platform, type ResolvedImage, type TransportName } from "./image-source.ts";
import type { Descriptor } from "./manifest.ts";
import { parseManifest, type IndexEntry } from "./manifest-parse.ts";
import { OCI_INDEX } from "./media-types.ts";
import { choosePlatform, formatPlatform } from "./platform.ts";
import { checkFetched, resolvedImage, resolveManifest, type FetchedManifest } from "./resolve.ts";

/** The files of a layout, by their path inside it (`index.json`, `blobs/sha256/…`). */
export interface LayoutFiles {
  /** The file's bytes, streamed; undefined when it is not there. */
  open(path: string): Promise<AsyncIterable<Buffer> | undefined>;
  /** Bytes read from the files so far. */
  readonly bytesRead: number;
  close(): Promise<void>;
}

/** index.json, oci-layout and manifests are small JSON: more is refused. */
export const MANIFEST_LIMIT = 4 << 20;

/** `sha256:<hex>` → `blobs/sha256/<hex>` (the digest was checked to be a sha256 by the parser). */
export function blobPath(digest: string): string {
  return `blobs/${digest.replace(":", "/")}`;
}

export class OciLayoutSource implements ImageSource {
  private readonly transport: TransportName;
  private readonly name: string;
  private readonly files: LayoutFiles;
  private readonly ref: string | undefined;

  constructor(transport: TransportName, name: string, files: LayoutFiles, ref: string | undefined) {
    this.transport = transport;
    this.name = name;
    this.files = files;
    this.ref = ref === "" ? undefined : ref;
  }

  get bytesRead(): number {
    return this.files.bytesRead;
  }

  private async readFile(path: string, missing: string): Promise<Buffer> {
    const chunks = await this.files.open(path);
    if (chunks === undefined) throw new ImageSourceError(this.name, missing);
    return collectUpTo(chunks, MANIFEST_LIMIT, () => new ImageSourceError(this.name, `${path} is larger than ${MANIFEST_LIMIT} bytes`));
  }

  /** The `oci-layout` marker: JSON naming an image layout version 1.x. */
  private async checkMarker(): Promise<void> {
    const bytes = await this.readFile("oci-layout", "no oci-layout file: not an OCI image layout");
    let version: unknown;
    try {
      version = (JSON.parse(bytes.toString("utf8")) as { imageLayoutVersion?: unknown } | null)?.imageLayoutVersion;
    } catch {
      throw new ImageSourceError(this.name, "its oci-layout file is not JSON");
    }
    if (typeof version !== "string" || !/^1\./.test(version)) throw new ImageSourceError(this.name, `its oci-layout file gives imageLayoutVersion ${JSON.stringify(version) ?? "none"}, not 1.x`);
  }

  /** The entry of index.json the REF names (several alike: by platform), or the only one. */
  private pick(entries: readonly IndexEntry[], platform: Platform): { entry: IndexEntry; chosen?: string } {
    const refs = [...new Set(entries.flatMap((entry) => (entry.refName === undefined ? [] : [JSON.stringify(entry.refName)])))];
    const listed = refs.length === 0 ? "it names no refs" : `its refs: ${refs.join(", ")}`;
    const matching = this.ref === undefined ? entries : entries.filter((entry) => entry.refName === this.ref);
    if (matching.length === 1) return { entry: matching[0]! };
    if (matching.length === 0) {
      throw new ImageSourceError(this.name, this.ref === undefined ? "index.json names no image" : `index.json names no image ${JSON.stringify(this.ref)} (${listed})`);
    }
    if (this.ref === undefined) throw new ImageSourceError(this.name, `index.json names ${entries.length} images: choose one with :REF (${listed})`);
    const entry = choosePlatform(matching, platform, this.name, `index.json's ref ${JSON.stringify(this.ref)}`);
    return { entry, chosen: formatPlatform(entry.platform) };
  }

  private async fetch(descriptor: Descriptor): Promise<FetchedManifest> {
    const path = blobPath(descriptor.digest);
    const bytes = await this.readFile(path, `${path} is missing (the manifest ${descriptor.digest})`);
    return { bytes, mediaType: descriptor.mediaType, where: `the manifest ${path}` };
  }

  async resolve(platform: Platform): Promise<ResolvedImage> {
    await this.checkMarker();
    const indexBytes = await this.readFile("index.json", "no index.json: not an OCI image layout");
    const index = parseManifest(indexBytes, OCI_INDEX, this.name, "index.json");
    if (index.kind !== "index") throw new ImageSourceError(this.name, "index.json is an image manifest, not an index");
    const picked = this.pick(index.manifests, platform);
    const top = await this.fetch(picked.entry);
    checkFetched(picked.entry, top.bytes, this.name, top.where);
    const chosen = await resolveManifest(this.name, top, (descriptor) => this.fetch(descriptor), platform);
    return resolvedImage(this.transport, this.name, { ...chosen, platform: chosen.platform ?? picked.chosen }, blobPath);
  }

  readBlob(blob: ConfigRef, limit: number): Promise<Buffer> {
    return readWholeBlob(this, blob, this.name, limit);
  }

  async *openBlob(blob: BlobRef): AsyncGenerator<Buffer, void, undefined> {
    const chunks = await this.files.open(blob.location);
    if (chunks === undefined) throw new ImageSourceError(this.name, `${blob.location} is missing`);
    yield* chunks;
  }

  close(): Promise<void> {
    return this.files.close();
  }
}
