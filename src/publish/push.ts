/**
 * `push`: an image to a registry without a tarball.  A layer whose blob
 * digest is known beforehand (uncompressed: its diff_id, from the hash
 * passes; compressed: from the blob cache) is asked for with HEAD and
 * mounted from another repository when missing; the others are streamed
 * from the store, compressed on the way (layer-upload.ts), their digests
 * learnt at the end; then the config blob, and the manifest last, so the
 * tag never names a partly pushed image.
 */
import type { PreparedImage } from "../image/types.ts";
import type { ProgressEvent } from "../passes/progress-event.ts";
import { BlobCache, type Compression, type CompressedBlob } from "../passes/blob-cache.ts";
import { staleCacheEntry } from "./cached-layer.ts";
import { checkCompression } from "./compression.ts";
import { DiffIdMismatchError } from "./errors.ts";
import { uploadLayer } from "./layer-upload.ts";
import { RegistryError } from "../remote/errors.ts";
import { buildManifest, type Descriptor, type ManifestFormat } from "../oci/manifest.ts";
import { writtenLayerType } from "../oci/media-types.ts";
import { formatImageReference, type ImageReference } from "../remote/reference.ts";
import { RegistryClient, type RegistryOptions } from "../remote/registry.ts";
import { withRetries, type RetryPolicy } from "../remote/retry.ts";

export { DEFAULT_CHUNK_SIZE } from "./layer-upload.ts";

export interface PushOptions extends RegistryOptions, RetryPolicy {
  /** Manifest format (default "oci"). */
  readonly format?: ManifestFormat | undefined;
  /** Bytes per PATCH (default 256 MiB): an upload broken off resumes after the last whole one. */
  readonly chunkSize?: number | undefined;
  /** How layers are compressed (default gzip level 5, compression.ts). */
  readonly compress?: Compression | undefined;
  /** Compressed digests known from earlier pushes, and where this one's are kept (default: this push's memory only). */
  readonly blobCache?: BlobCache | undefined;
  /** Repositories of the same registry to mount missing layers from, tried in order. */
  readonly fromRepos?: readonly string[] | undefined;
  /** One line per layer (skipped, mounted, uploaded) and per retry, without newline. */
  readonly log?: ((line: string) => void) | undefined;
  /** Upload progress: phase "uploading", bytes of the layers being uploaded. */
  readonly progress?: ((event: ProgressEvent) => void) | undefined;
}

export type LayerOutcome = "uploaded" | "skipped" | "mounted";

export interface PushSummary {
  readonly reference: string;
  /** `sha256:` of the manifest pushed. */
  readonly manifestDigest: string;
  /** `sha256:` of the config: the image id. */
  readonly configDigest: string;
  /** Each layer's blob as the manifest names it, its diff_id, and what was done. */
  readonly layers: readonly PublishedLayer[];
  /** Layer bytes sent, retries included. */
  readonly bytesSent: number;
  /** The compression, its level filled in. */
  readonly compression: Required<Compression>;
  /** Layers read and compressed by this push (0 when the blob cache knew every layer the registry has). */
  readonly layersCompressed: number;
}

export interface PublishedLayer extends CompressedBlob {
  readonly mediaType: string;
  /** `sha256:` of the layer's uncompressed bytes. */
  readonly diffId: string;
  readonly outcome: LayerOutcome;
}

/** "3 layers uploaded (40 KiB), 2 skipped (1.2 MiB), 0 mounted (0 B)": layers and their blobs' bytes by outcome. */
export function summaryCounts(summary: { readonly layers: readonly { readonly size: number; readonly outcome: LayerOutcome }[] }): Record<LayerOutcome, { layers: number; bytes: number }> {
  const counts: Record<LayerOutcome, { layers: number; bytes: number }> = { uploaded: { layers: 0, bytes: 0 }, skipped: { layers: 0, bytes: 0 }, mounted: { layers: 0, bytes: 0 } };
  for (const layer of summary.layers) {
    counts[layer.outcome].layers++;
    counts[layer.outcome].bytes += layer.size;
  }
  return counts;
}

/** HEADs run a few at a time: they are small, and a registry far away answers slowly. */
const HEAD_CONCURRENCY = 4;
/**
 * Layers uploaded at a time.  Two were measured slower than one on the
 * bench's 2-core machine (our reads and CRC and a local registry's sha256
 * already share both cores); a remote registry may gain from more.
 */
const UPLOAD_CONCURRENCY = 1;

async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Pushes `image` to `ref`; resolves with what was uploaded, skipped and mounted. */
export async function pushImage(image: PreparedImage, ref: ImageReference, options: PushOptions = {}): Promise<PushSummary> {
  const push = new ImagePush(image, ref, options);
  try {
    return await push.run();
  } finally {
    push.client.close();
  }
}

/** One pushImage: its client and retry policy, and the bytes sent so far. */
class ImagePush {
  readonly client: RegistryClient;
  private readonly image: PreparedImage;
  private readonly ref: ImageReference;
  private readonly options: PushOptions;
  private readonly policy: RetryPolicy;
  private readonly format: ManifestFormat;
  private readonly compression: Required<Compression>;
  private readonly blobCache: BlobCache;
  private bytesSent = 0;
  private layersCompressed = 0;
  /** Uncompressed bytes of the missing layers done (uploaded or mounted), for the progress events. */
  private bytesDone = 0;
  private missingBytes = 0;

  constructor(image: PreparedImage, ref: ImageReference, options: PushOptions) {
    this.image = image;
    this.ref = ref;
    this.options = options;
    this.format = options.format ?? "oci";
    this.compression = checkCompression(this.format, options.compress);
    this.blobCache = options.blobCache ?? new BlobCache(undefined);
    this.client = new RegistryClient(ref.registry, ref.endpoint, options);
    this.policy = { ...options, onRetry: options.onRetry ?? ((error, retry, delay) => options.log?.(`${error.message}; retry ${retry}/${options.retries ?? 3} in ${delay} ms`)) };
  }

  /** The blob layer `index` is known to be before it is read: uncompressed, itself; compressed, the blob cache's. */
  private knownBlob(index: number): CompressedBlob | undefined {
    const layer = this.image.layers[index]!;
    if (this.compression.format === "none") return { digest: `sha256:${layer.sha256}`, size: layer.size };
    return this.blobCache.read(`sha256:${layer.sha256}`, this.compression);
  }

  /** The layers the registry lacks, then the config, then the manifest (so the tag never names a partial image). */
  async run(): Promise<PushSummary> {
    const { image, client, policy, ref } = this;
    const { repository } = ref;
    await withRetries(policy, () => client.connect());
    const known = image.layers.map((_, index) => this.knownBlob(index));
    const present = await mapLimited(known, HEAD_CONCURRENCY, (blob) => (blob === undefined ? Promise.resolve(false) : withRetries(policy, () => client.hasBlob(repository, blob.digest))));
    this.missingBytes = image.layers.reduce((total, layer, index) => total + (present[index] ? 0 : layer.size), 0);
    const layers = await mapLimited(image.layers, UPLOAD_CONCURRENCY, (_, index) => this.pushLayer(index, known[index], present[index]!));
    const manifest = buildManifest(image, this.format, layers);
    const configDigest = manifest.config.digest;
    if (!(await withRetries(policy, () => client.hasBlob(repository, configDigest))) && !(await this.tryMount(configDigest)).mounted) {
      await withRetries(policy, () => client.putBlob(repository, configDigest, image.configBytes));
    }
    await withRetries(policy, () => client.putManifest(repository, ref.tag, manifest.mediaType, manifest.bytes));
    return {
      reference: formatImageReference(ref),
      manifestDigest: manifest.digest,
      configDigest: manifest.config.digest,
      layers,
      bytesSent: this.bytesSent,
      compression: this.compression,
      layersCompressed: this.layersCompressed,
    };
  }

  /** Layer `index`: skipped when the registry has its blob, else mounted from another repository, else read, compressed and uploaded. */
  private async pushLayer(index: number, known: CompressedBlob | undefined, present: boolean): Promise<PublishedLayer> {
    const { image, options } = this;
    const layer = image.layers[index]!;
    const diffId = `sha256:${layer.sha256}`;
    const mediaType = writtenLayerType(this.format, this.compression.format)!;
    const name = `Layer ${index + 1}/${image.layers.length} ${diffId}`;
    const blobName = (blob: CompressedBlob): string => (this.compression.format === "none" ? "" : ` (${this.compression.format} ${blob.digest}, ${blob.size} bytes)`);
    if (known !== undefined && present) {
      options.log?.(`${name}: skipped, the registry has it${blobName(known)}`);
      return { ...known, mediaType, diffId, outcome: "skipped" };
    }
    const { mounted, session: opened } = known === undefined ? { mounted: false, session: undefined } : await this.tryMount(known.digest);
    if (mounted) {
      this.bytesDone += layer.size;
      options.log?.(`${name}: mounted from another repository${blobName(known!)}`);
      return { ...known!, mediaType, diffId, outcome: "mounted" };
    }
    const blob = await this.upload(index, opened);
    if (known !== undefined && known.digest !== blob.digest) {
      options.log?.(`${name}: its blob cache entry said ${known.digest}, ${known.size} bytes, but it compressed to ${blob.digest}, ${blob.size} bytes: the entry was dropped (the new blob was uploaded)`);
      this.blobCache.drop(diffId, this.compression);
    }
    if (this.compression.format !== "none") this.blobCache.write(diffId, this.compression, blob);
    options.log?.(`${name}: uploaded ${this.compression.format === "none" ? `${blob.size} bytes` : `as ${this.compression.format} ${blob.digest}, ${blob.size} bytes (of ${layer.size})`}`);
    return { ...blob, mediaType, diffId, outcome: "uploaded" };
  }

  /** Layer `index` read, compressed and streamed into an upload session (`opened`, or a new one). */
  private async upload(index: number, opened: URL | undefined): Promise<CompressedBlob> {
    const { image, options, client, policy } = this;
    const { repository } = this.ref;
    const layer = image.layers[index]!;
    const session = opened ?? (await withRetries(policy, () => client.startUpload(repository)));
    const doneBefore = this.bytesDone;
    if (this.compression.format !== "none") this.layersCompressed++;
    try {
      const blob = await uploadLayer(
        {
          client,
          repository,
          image,
          index,
          compression: this.compression,
          policy: options,
          log: options.log,
          onSent: (bytes) => (this.bytesSent += bytes),
          onRead: (read) => {
            this.bytesDone = doneBefore + Math.min(read, layer.size);
            options.progress?.({ phase: "uploading", layer: index, layers: image.layers.length, layerBytesDone: Math.min(read, layer.size), layerBytesTotal: layer.size, imageBytesDone: Math.min(this.bytesDone, this.missingBytes), imageBytesTotal: this.missingBytes });
          },
        },
        session,
      );
      this.bytesDone = doneBefore + layer.size;
      return blob;
    } catch (error) {
      const digestDisagrees = (error instanceof RegistryError && error.code === "DIGEST_INVALID") || error instanceof DiffIdMismatchError;
      throw staleCacheEntry(image, index, error, digestDisagrees) ?? error;
    }
  }

  /** Mounts `digest` from the first of --from-repo that has it; else the upload session the last refusal opened. */
  private async tryMount(digest: string): Promise<{ mounted: boolean; session: URL | undefined }> {
    const { repository } = this.ref;
    let session: URL | undefined;
    for (const from of this.options.fromRepos ?? []) {
      if (from === repository) continue;
      const answer = await withRetries(this.policy, () => this.client.mountBlob(repository, digest, from));
      if (answer === true) return { mounted: true, session: undefined };
      session = answer;
    }
    return { mounted: false, session };
  }
}
