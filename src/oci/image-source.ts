/**
 * The one way the audit reads an image, whatever holds it: a registry
 * (remote/), an OCI layout (layout/), a docker-archive or oci-archive
 * written by any tool (tarball/).  A transport resolves the image (its
 * manifest, an index narrowed to one platform) and hands its blobs out as
 * stored; oci/blob-content.ts checks them against their digests and
 * decompresses them by media type, the same for every transport.
 */

/** How a layer blob is stored; "sniff": the transport does not say (a docker-archive), its first bytes tell. */
export type BlobCompression = "none" | "gzip" | "zstd" | "sniff";

/** A blob of the image as its manifest (or an archive's manifest.json) lists it. */
export interface BlobRef {
  /** `sha256:<hex>` when the transport knows it; undefined for a docker-archive member not named by its digest. */
  readonly digest: string | undefined;
  /** Its size as stored, when the transport knows it. */
  readonly size: number | undefined;
  /** As the manifest gives it; undefined in a docker-archive. */
  readonly mediaType: string | undefined;
  readonly compression: BlobCompression;
  /** Where it is, for messages: `blobs/sha256/<hex>`, `<hex>.tar` in the archive, `/v2/<repo>/blobs/<digest>`. */
  readonly location: string;
}

/** A blob whose digest is known: the config always is (a docker-archive's is computed from its bytes). */
export interface ConfigRef extends BlobRef {
  readonly digest: string;
}

export type TransportName = "docker" | "oci" | "oci-archive" | "docker-archive";

/** The image a transport found: one manifest's config and layers. */
export interface ResolvedImage {
  readonly transport: TransportName;
  /** The image as the user wrote it (`docker://localhost:5000/app:1`, `oci:dir:tag`). */
  readonly name: string;
  /** The image manifest (not the index); undefined for a docker-archive, which has none. */
  readonly manifest: { readonly digest: string; readonly mediaType: string; readonly bytes: Buffer } | undefined;
  /** The platform chosen from a manifest list or OCI index (`linux/amd64`); undefined when there was none to choose from. */
  readonly platform: string | undefined;
  readonly config: ConfigRef;
  readonly layers: readonly BlobRef[];
}

/** `os/architecture[/variant]`, as `--platform` and an index's entries give it. */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string | undefined;
}

export interface ImageSource {
  /** Reads the manifest; an index or manifest list is narrowed to `platform` (an error naming the platforms there when none matches). */
  resolve(platform: Platform): Promise<ResolvedImage>;
  /**
   * A small blob (the config) whole, checked against its digest and size;
   * more than `limit` bytes is an error, never buffered.
   */
  readBlob(blob: ConfigRef, limit: number): Promise<Buffer>;
  /**
   * A blob's bytes as stored (still compressed), streamed.  The transport
   * checks nothing: oci/blob-content.ts wraps this with the digest and
   * size check and the decompression.
   */
  openBlob(blob: BlobRef): AsyncIterable<Buffer>;
  /** Bytes read from where the image is (over the network, for a registry) so far. */
  readonly bytesRead: number;
  close(): Promise<void>;
}

/** The image cannot be read: missing, unreachable, malformed, not allowed. No verdict. */
export class ImageSourceError extends Error {
  /** The image as the user wrote it. */
  readonly image: string;
  constructor(image: string, reason: string, options?: { cause?: unknown }) {
    super(`Cannot read image ${JSON.stringify(image)}: ${reason}`, options);
    this.image = image;
    this.name = "ImageSourceError";
  }
}

/**
 * A blob is not what the image claims: its bytes do not have the digest or
 * size the manifest gives, or its decompressed content is not the diff_id
 * the config gives.  The image is not self-consistent; no verdict on it.
 */
export class BlobMismatchError extends Error {
  readonly image: string;
  constructor(image: string, what: string) {
    super(`Cannot trust image ${JSON.stringify(image)}: ${what}`);
    this.image = image;
    this.name = "BlobMismatchError";
  }
}
