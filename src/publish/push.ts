/**
 * `push`: an image to a registry without a tarball.  A layer whose blob
 * digest is known beforehand (uncompressed: its diff_id, from the hash
 * passes; compressed: from the blob cache) is asked for with HEAD and
 * mounted from another repository when missing; the others are streamed
 * from the store, compressed on the way (layer-upload.ts), their digests
 * learnt at the end; then the config blob, and the manifest last, so the
 * tag never names a partly pushed image.  pushConf goes further for a
 * store layer the digest cache does not know: its hash pass is its upload.
 */
import type { ImageConf } from "../conf/validate.ts";
import { prepareImageHashingElsewhere } from "../image/image.ts";
import type { ImageOptions, PreparedImage } from "../image/types.ts";
import { firstPass, type FirstPass, type FirstPassOptions, type HashedLayer } from "../passes/hash-passes.ts";
import type { ProgressEvent } from "../passes/progress-event.ts";
import { BlobCache, type Compression, type CompressedBlob } from "../passes/blob-cache.ts";
import { staleCacheEntry } from "./cached-layer.ts";
import { checkCompression } from "./compression.ts";
import { DiffIdMismatchError } from "./errors.ts";
import { openFirstPassBlob, openLayerBlob } from "./layer-blob.ts";
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
  const push = new ImagePush(ref, options);
  try {
    return await push.run(image);
  } finally {
    push.client.close();
  }
}

/**
 * Prepares `conf`'s image (prepareImageAsync with `imageOptions`) and pushes
 * it to `ref`.  With compression and a digest cache, each store layer the
 * cache does not know (new, or changed: the registry is unlikely to have
 * it) is read once: hashed, compressed and uploaded together, its diff_id
 * learnt at its end, instead of a hash pass and a second read.  Such a
 * layer is uploaded even where the registry has it, and a store path found
 * bad midway fails the push with its error after earlier layers were sent
 * (no tag moved either way).  Without a digest cache every layer is hashed
 * first, and a blob cache in `options` finds those the registry has.  Resolves with
 * the prepared image (the caller closes it; more pushes may use it) and
 * the summary.
 */
export async function pushConf(conf: ImageConf, imageOptions: ImageOptions, ref: ImageReference, options: PushOptions = {}): Promise<{ image: PreparedImage; summary: PushSummary }> {
  const push = new ImagePush(ref, options);
  try {
    const image = await push.prepare(conf, imageOptions);
    try {
      return { image, summary: await push.run(image) };
    } catch (error) {
      image.close();
      throw error;
    }
  } finally {
    push.client.close();
  }
}

/**
 * One push: its client and retry policy, the bytes sent so far, the store
 * layers its first passes uploaded.  pushConf's steps apart (prepare, run;
 * the client closed by the caller), for the CLI, which tells the input's
 * faults from the registry's by the step.
 */
export class ImagePush {
  readonly client: RegistryClient;
  private readonly compression: Required<Compression>;
  private image!: PreparedImage;
  private readonly ref: ImageReference;
  private readonly options: PushOptions;
  private readonly policy: RetryPolicy;
  private readonly format: ManifestFormat;
  private readonly blobCache: BlobCache;
  private connecting: Promise<void> | undefined;
  /** Store layers (by number) uploaded by their first pass, and their blobs. */
  private readonly firstPassed = new Map<number, CompressedBlob>();
  private bytesSent = 0;
  private layersCompressed = 0;
  /** Uncompressed bytes of the missing layers done (uploaded or mounted), for the progress events. */
  private bytesDone = 0;
  private missingBytes = 0;

  constructor(ref: ImageReference, options: PushOptions) {
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

  /** The image of `conf`, its store layers unknown to a digest cache uploaded by their first pass (see pushConf). */
  prepare(conf: ImageConf, imageOptions: ImageOptions): Promise<PreparedImage> {
    const onePass = this.compression.format !== "none" && imageOptions.digestCache !== undefined && imageOptions.digestCache !== false;
    return prepareImageHashingElsewhere(conf, imageOptions, {}, onePass ? (num, layers, paths, mtime, passOptions) => this.uploadFirstPass(num, layers, paths, mtime, passOptions) : undefined);
  }

  /** Connects once, before the first request (the first passes' or run()'s). */
  private connect(): Promise<void> {
    this.connecting ??= withRetries(this.policy, () => this.client.connect());
    return this.connecting;
  }

  /**
   * Store layer `num` of `layers`, unknown to the digest cache, read once:
   * hashed, compressed and uploaded together (a retry reads it again from
   * its start); resolves with what its hash pass would have left.
   */
  private async uploadFirstPass(num: number, layers: number, paths: readonly string[], mtime: bigint, passOptions: FirstPassOptions): Promise<HashedLayer> {
    const { client, policy, options, compression } = this;
    const { repository } = this.ref;
    await this.connect();
    const session = await withRetries(policy, () => client.startUpload(repository));
    this.layersCompressed++;
    let pass: FirstPass | undefined;
    const blob = await uploadLayer(
      {
        client,
        repository,
        name: `Store layer ${num + 1}/${layers}`,
        known: undefined,
        open: (onRead) => {
          pass = firstPass(num, layers, paths, mtime, passOptions);
          return openFirstPassBlob(pass, compression, onRead);
        },
        policy: options,
        log: options.log,
        onSent: (bytes) => (this.bytesSent += bytes),
        onRead: () => {},
      },
      session,
    );
    const hashed = pass!.result();
    const diffId = `sha256:${hashed.sha256}`;
    this.recordBlob(`Store layer ${num + 1}/${layers} ${diffId}`, diffId, this.blobCache.read(diffId, compression), blob);
    this.firstPassed.set(num, blob);
    return hashed;
  }

  /** The layers the registry lacks, then the config, then the manifest (so the tag never names a partial image). */
  async run(image: PreparedImage): Promise<PushSummary> {
    this.image = image;
    const { client, policy, ref } = this;
    const { repository } = ref;
    await this.connect();
    const baseCount = image.layers.filter((layer) => layer.kind === "base").length;
    const uploaded = new Map([...this.firstPassed].map(([num, blob]) => [baseCount + num, blob]));
    const known = image.layers.map((_, index) => uploaded.get(index) ?? this.knownBlob(index));
    const present = await mapLimited(known, HEAD_CONCURRENCY, (blob, index) => (blob === undefined || uploaded.has(index) ? Promise.resolve(uploaded.has(index)) : withRetries(policy, () => client.hasBlob(repository, blob.digest))));
    this.missingBytes = image.layers.reduce((total, layer, index) => total + (present[index] ? 0 : layer.size), 0);
    const layers = await mapLimited(image.layers, UPLOAD_CONCURRENCY, (_, index) => this.pushLayer(index, known[index], present[index]!, uploaded.has(index)));
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

  /** Layer `index`: uploaded already by its first pass, skipped when the registry has its blob, else mounted from another repository, else read, compressed and uploaded. */
  private async pushLayer(index: number, known: CompressedBlob | undefined, present: boolean, firstPassed: boolean): Promise<PublishedLayer> {
    const { image, options } = this;
    const layer = image.layers[index]!;
    const diffId = `sha256:${layer.sha256}`;
    const mediaType = writtenLayerType(this.format, this.compression.format)!;
    const name = `Layer ${index + 1}/${image.layers.length} ${diffId}`;
    const blobName = (blob: CompressedBlob): string => (this.compression.format === "none" ? "" : ` (${this.compression.format} ${blob.digest}, ${blob.size} bytes)`);
    if (firstPassed) {
      options.log?.(`${name}: uploaded as ${this.compression.format} ${known!.digest}, ${known!.size} bytes (of ${layer.size}), read once: hashed, compressed and sent together`);
      return { ...known!, mediaType, diffId, outcome: "uploaded" };
    }
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
    this.recordBlob(name, diffId, known, blob);
    options.log?.(`${name}: uploaded ${this.compression.format === "none" ? `${blob.size} bytes` : `as ${this.compression.format} ${blob.digest}, ${blob.size} bytes (of ${layer.size})`}`);
    return { ...blob, mediaType, diffId, outcome: "uploaded" };
  }

  /**
   * The blob just uploaded for `diffId` kept in the blob cache (compressed
   * only); an entry (`known`) that said another blob is dropped with one
   * line naming the layer as `name` does.
   */
  private recordBlob(name: string, diffId: string, known: CompressedBlob | undefined, blob: CompressedBlob): void {
    if (known !== undefined && known.digest !== blob.digest) {
      this.options.log?.(`${name}: its blob cache entry said ${known.digest}, ${known.size} bytes, but it compressed to ${blob.digest}, ${blob.size} bytes: the entry was dropped (the new blob was uploaded)`);
      this.blobCache.drop(diffId, this.compression);
    }
    if (this.compression.format !== "none") this.blobCache.write(diffId, this.compression, blob);
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
      const compression = this.compression;
      const blob = await uploadLayer(
        {
          client,
          repository,
          name: `Layer ${index + 1}/${image.layers.length} sha256:${layer.sha256}`,
          open: (onRead) => openLayerBlob(image, index, compression, onRead),
          known: compression.format === "none" ? { digest: `sha256:${layer.sha256}`, size: layer.size } : undefined,
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
